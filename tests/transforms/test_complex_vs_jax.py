"""Complex differentiation against JAX (float64): real losses of complex inputs, holomorphic
Jacobians, FFT gradients under jit/vmap/hessian, mixed real/complex promotion under grad,
vjp with complex cotangents, linear_transpose of complex maps, allow_int and the errors of
holomorphic=True. Every number here is JAX's, computed side by side."""
from __future__ import annotations

import numpy as np
import pytest
from jax_reference import assert_close_to_jax, jax

import funcad
import funcad.numpy as fnp
from funcad.errors import FuncadTypeError

jnp = jax.numpy
RNG = np.random.default_rng(7)
Z = RNG.standard_normal(6) + 1j * RNG.standard_normal(6)
W = RNG.standard_normal(6) + 1j * RNG.standard_normal(6)
X = RNG.standard_normal(6)
M = RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))

BACKENDS = ("eager", "numpy", "xla")


def _run(transform, backend):
    return transform if backend == "eager" else funcad.jit(transform, backend=backend)


# (name, funcad loss, jax loss, arguments): real scalar losses.
REAL_LOSSES = [
    ("abs2_poly", lambda ns, z: ns.sum(ns.abs(z**3 - 2j * z + 1) ** 2), (Z,)),
    ("real_inner", lambda ns, z, w: ns.real(ns.sum(z * ns.conj(w))), (Z, W)),
    ("angle_log_abs", lambda ns, z: ns.sum(ns.angle(z) * ns.log(ns.abs(z))), (Z,)),
    ("exp_sin_imag", lambda ns, z: ns.sum(ns.imag(ns.exp(z) * ns.sin(z))), (Z,)),
    ("matmul_quadratic", lambda ns, m, z: ns.real(ns.vdot(z[:3], m @ z[:3])), (M, Z)),
    ("fft_power", lambda ns, z: ns.sum(ns.abs(ns.fft.fft(z)) ** 2 * ns.arange(6.0)), (Z,)),
    ("rfft_band", lambda ns, x: ns.sum(ns.abs(ns.fft.rfft(x, n=8)[1:3]) ** 2), (X,)),
    ("irfft_smooth", lambda ns, z: ns.sum(ns.fft.irfft(z[:4], n=6) ** 3), (Z,)),
    ("fft2_ortho", lambda ns, m: ns.sum(ns.real(ns.fft.fft2(m, norm="ortho")) ** 2), (M,)),
    ("hfft_ihfft", lambda ns, z: ns.sum(ns.fft.hfft(z[:4]) * ns.arange(6.0))
     + ns.sum(ns.abs(ns.fft.ihfft(ns.real(z)))), (Z,)),
    # mixed real/complex promotion: float64 * complex128, weak Python complex scalars
    ("mixed_promotion", lambda ns, x, z: ns.sum(ns.abs(x * z + 1j * x - (0.5 + 2j)) ** 2),
     (X, Z)),
    ("real_to_complex_exp", lambda ns, x: ns.sum(ns.real(ns.exp(1j * x) * (2 - 1j))), (X,)),
]


def _ns_pair(loss):
    return (lambda *a: loss(fnp, *a)), (lambda *a: loss(jnp, *a))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name,loss,args", REAL_LOSSES, ids=[r[0] for r in REAL_LOSSES])
def test_grad_of_real_loss_is_jax(name, loss, args, backend):
    ours, theirs = _ns_pair(loss)
    argnums = tuple(range(len(args)))
    got = _run(funcad.value_and_grad(ours, argnums), backend)(*args)
    want = jax.value_and_grad(theirs, argnums)(*args)
    assert_close_to_jax(got, want, 1e-10, 1e-10)


@pytest.mark.parametrize("name,loss,args", REAL_LOSSES[:6], ids=[r[0] for r in REAL_LOSSES[:6]])
def test_hessian_of_real_loss_is_jax(name, loss, args):
    ours, theirs = _ns_pair(loss)
    if np.iscomplexobj(args[0]):  # the Hessian in the real and imaginary parts
        def ours_ri(re, im, *rest):
            return ours(re + 1j * im, *rest)

        def theirs_ri(re, im, *rest):
            return theirs(re + 1j * im, *rest)

        args = (args[0].real, args[0].imag, *args[1:])
        got = funcad.hessian(ours_ri, (0, 1))(*args)
        want = jax.hessian(theirs_ri, (0, 1))(*args)
    else:
        got, want = funcad.hessian(ours)(*args), jax.hessian(theirs)(*args)
    assert_close_to_jax(got, want, 1e-9, 1e-9)


HOLOMORPHIC = [
    ("poly", lambda ns, z: z**3 - 2j * z),
    ("exp_sin", lambda ns, z: ns.exp(z) * ns.sin(z[::-1])),
    ("log_sqrt", lambda ns, z: ns.log(z) + ns.sqrt(z + 3)),
    ("matvec", lambda ns, z: (ns.asarray(M) @ z[:3]) * z[3:]),
    ("fft", lambda ns, z: ns.fft.fft(z * z, n=8)[:5]),
    ("ifft_cumsum", lambda ns, z: ns.cumsum(ns.fft.ifft(z, norm="ortho"))),
]


@pytest.mark.parametrize("name,fn", HOLOMORPHIC, ids=[h[0] for h in HOLOMORPHIC])
def test_holomorphic_jacobians_are_jax(name, fn):
    ours, theirs = _ns_pair(fn)
    want = jax.jacfwd(theirs, holomorphic=True)(Z)
    assert_close_to_jax(funcad.jacfwd(ours, holomorphic=True)(Z), want, 1e-10, 1e-10)
    assert_close_to_jax(funcad.jacrev(ours, holomorphic=True)(Z), want, 1e-10, 1e-10)
    assert_close_to_jax(funcad.jacobian(ours, holomorphic=True)(Z), want, 1e-10, 1e-10)
    jitted = funcad.jit(funcad.jacrev(ours, holomorphic=True), backend="xla")(Z)
    assert_close_to_jax(jitted, want, 1e-10, 1e-10)


@pytest.mark.parametrize("name,fn", HOLOMORPHIC[:4], ids=[h[0] for h in HOLOMORPHIC[:4]])
def test_holomorphic_grad_and_hessian_are_jax(name, fn):
    ours, theirs = _ns_pair(fn)

    def ours_s(z):
        return fnp.sum(ours(z))

    def theirs_s(z):
        return jnp.sum(theirs(z))

    got = funcad.value_and_grad(ours_s, holomorphic=True)(Z)
    assert_close_to_jax(got, jax.value_and_grad(theirs_s, holomorphic=True)(Z), 1e-10, 1e-10)
    assert_close_to_jax(funcad.grad(ours_s, holomorphic=True)(Z),
                        jax.grad(theirs_s, holomorphic=True)(Z), 1e-10, 1e-10)
    assert_close_to_jax(funcad.hessian(ours_s, holomorphic=True)(Z),
                        jax.hessian(theirs_s, holomorphic=True)(Z), 1e-9, 1e-9)


def test_fft_gradients_under_jit_vmap_and_hessian():
    def loss(ns, x, k):
        spec = ns.fft.rfft(x) * (1j * k)
        return ns.sum(ns.fft.irfft(spec, n=x.shape[-1]) ** 2)

    k = np.arange(4.0)
    ours, theirs = _ns_pair(loss)
    xs = RNG.standard_normal((3, 6))
    want = jax.vmap(jax.grad(theirs), (0, None))(xs, k)
    for backend in BACKENDS:
        got = _run(funcad.vmap(funcad.grad(ours), (0, None)), backend)(xs, k)
        assert_close_to_jax(got, want, 1e-10, 1e-10)
    assert_close_to_jax(funcad.hessian(ours)(X, k), jax.hessian(theirs)(X, k), 1e-9, 1e-9)
    assert_close_to_jax(funcad.jit(funcad.hessian(ours), backend="xla")(X, k),
                        jax.hessian(theirs)(X, k), 1e-9, 1e-9)


FFT_MAPS = [
    ("fft", lambda ns, z: ns.fft.fft(z, n=5, axis=0), Z.reshape(3, 2)),
    ("ifftn", lambda ns, z: ns.fft.ifftn(z, norm="forward"), Z.reshape(2, 3)),
    ("rfft_even", lambda ns, x: ns.fft.rfft(x), X),
    ("rfft_odd_pad", lambda ns, x: ns.fft.rfft(x, n=7, norm="ortho"), X),
    ("rfft2", lambda ns, x: ns.fft.rfft2(x), X.reshape(2, 3)),
    ("irfft_even", lambda ns, z: ns.fft.irfft(z, n=6), Z[:4]),
    ("irfft_odd", lambda ns, z: ns.fft.irfft(z, n=7), Z[:4]),
    ("irfftn_axes", lambda ns, z: ns.fft.irfftn(z, axes=(0, 1)), Z.reshape(3, 2)),
    ("hfft", lambda ns, z: ns.fft.hfft(z, n=5), Z[:3]),
    ("ihfft", lambda ns, x: ns.fft.ihfft(x), X),
]


@pytest.mark.parametrize("name,fn,arg", FFT_MAPS, ids=[f[0] for f in FFT_MAPS])
def test_fft_vjp_and_linear_transpose_are_jax(name, fn, arg):
    """Complex cotangents through every kind of transform (rfft/irfft's Hermitian
    bookkeeping included): vjp and linear_transpose equal JAX's."""
    ours, theirs = _ns_pair(fn)
    out, pullback = funcad.vjp(ours, arg)
    ct = RNG.standard_normal(out.shape)
    if np.iscomplexobj(out):
        ct = ct + 1j * RNG.standard_normal(out.shape)
    want = jax.vjp(theirs, arg)[1](ct)
    assert_close_to_jax(pullback(ct), want, 1e-10, 1e-10)
    assert_close_to_jax(funcad.linear_transpose(ours, arg)(ct),
                        jax.linear_transpose(theirs, arg)(ct), 1e-10, 1e-10)
    t = RNG.standard_normal(arg.shape) + (1j * RNG.standard_normal(arg.shape)
                                           if np.iscomplexobj(arg) else 0)
    assert_close_to_jax(funcad.jvp(ours, (arg,), (t,)), jax.jvp(theirs, (arg,), (t,)),
                        1e-10, 1e-10)


def test_vjp_with_complex_cotangents_is_jax():
    def fn(ns, z, x):
        return ns.sin(z) * x + ns.conj(z) * 2j, ns.abs(z) * x

    ours, theirs = _ns_pair(fn)
    ct = (W, X[::-1])
    got = funcad.vjp(ours, Z, X)[1](ct)
    assert_close_to_jax(got, jax.vjp(theirs, Z, X)[1](ct), 1e-10, 1e-10)


def test_linear_transpose_of_complex_maps_is_jax():
    def fn(ns, z):
        return ns.asarray(M) @ z[:3] + 1j * ns.conj(z[3:]) - ns.real(z[:3])

    ours, theirs = _ns_pair(fn)
    got = funcad.linear_transpose(ours, Z)(W[:3])
    assert_close_to_jax(got, jax.linear_transpose(theirs, Z)(W[:3]), 1e-12, 1e-12)


def test_allow_int_gives_float0_zero_gradients_as_jax():
    def fn(x, n):
        return fnp.sum(x * n)

    g = funcad.grad(fn, argnums=(0, 1), allow_int=True)(X, np.arange(6))
    want = jax.grad(lambda x, n: jnp.sum(x * n), argnums=(0, 1), allow_int=True)(
        X, np.arange(6))
    np.testing.assert_allclose(g[0], want[0])
    assert g[1].dtype == want[1].dtype == funcad.ad.float0 and g[1].shape == want[1].shape
    # A pytree argument mixing floats and integers.
    g = funcad.grad(lambda p: fnp.sum(p["w"] * p["k"]), allow_int=True)(
        {"w": X, "k": np.arange(6)})
    np.testing.assert_allclose(g["w"], np.arange(6.0))
    assert g["k"].dtype == funcad.ad.float0
    # jacrev: zero blocks of the integer's dtype, as JAX's.
    got = funcad.jacrev(lambda x, n: x * n, argnums=(0, 1), allow_int=True)(X, np.arange(6))
    want = jax.jacrev(lambda x, n: x * n, argnums=(0, 1), allow_int=True)(X, np.arange(6))
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, np.asarray(b))
        assert a.dtype == b.dtype
    with pytest.raises(FuncadTypeError, match="allow_int"):
        funcad.grad(fn, argnums=1)(X, np.arange(6))


@pytest.mark.parametrize("case", ["real_input", "real_output", "complex_output_plain"])
def test_holomorphic_errors_as_jax(case):
    """Where JAX raises a TypeError, funcad raises its own (a TypeError too)."""
    fns = {
        "real_input": (lambda z: z * z, 1.5, dict(holomorphic=True)),
        "real_output": (lambda z: fnp.abs(z), 1 + 1j, dict(holomorphic=True)),
        "complex_output_plain": (lambda z: z * z, 1 + 1j, {}),
    }
    fn, arg, kw = fns[case]
    jfn = {"real_input": lambda z: z * z, "real_output": jnp.abs,
           "complex_output_plain": lambda z: z * z}[case]
    with pytest.raises(TypeError):
        jax.grad(jfn, **kw)(arg)
    with pytest.raises(FuncadTypeError):
        funcad.grad(fn, **kw)(arg)
    with pytest.raises(FuncadTypeError):
        funcad.value_and_grad(fn, **kw)(arg)


def test_jacobian_mode_checks_as_jax():
    with pytest.raises(TypeError):
        jax.jacfwd(lambda z: jnp.abs(z))(Z)
    with pytest.raises(FuncadTypeError, match="holomorphic"):
        funcad.jacfwd(lambda z: fnp.abs(z))(Z)
    with pytest.raises(FuncadTypeError, match="holomorphic"):
        funcad.jacrev(lambda x: fnp.exp(1j * x))(X)
    with pytest.raises(FuncadTypeError, match="complex inputs"):
        funcad.jacfwd(lambda z: z * 1j, holomorphic=True)(X)
    # Without holomorphic, the side that is complex decides: real output of complex input
    # goes backward, complex output of real input forward, as jax.jacrev / jax.jacfwd.
    assert_close_to_jax(funcad.jacobian(lambda z: fnp.abs(z) ** 2)(Z),
                        jax.jacrev(lambda z: jnp.abs(z) ** 2)(Z), 1e-12, 1e-12)
    assert_close_to_jax(funcad.jacobian(lambda x: fnp.exp(1j * x[:2]))(X),
                        jax.jacfwd(lambda x: jnp.exp(1j * x[:2]))(X), 1e-12, 1e-12)


def _control_flow_losses(ns, lax):
    def scan_loss(z):
        carry, _ = lax.scan(lambda c, x: (c * x + ns.sin(c), c), z[0], z[:4])
        return ns.abs(carry) ** 2

    def cond_loss(z):
        picked = lax.cond(ns.real(z[0]) > 0, lambda v: v * v, lambda v: ns.exp(v), z[1])
        return ns.abs(picked) ** 2

    def fori_loss(z):
        return ns.sum(ns.abs(lax.fori_loop(0, 3, lambda i, c: c * z, z)) ** 2)

    def scatter_gather_loss(z):
        moved = z.at[0].add(z[1] * 2j)[ns.array([1, 0, 1])]
        return ns.sum(ns.abs(moved) ** 2)

    return [scan_loss, cond_loss, fori_loss, scatter_gather_loss]


@pytest.mark.parametrize("k", range(4), ids=["scan", "cond", "fori_loop", "scatter_gather"])
def test_complex_through_control_flow_and_indexing_is_jax(k):
    ours = _control_flow_losses(fnp, funcad.lax)[k]
    theirs = _control_flow_losses(jnp, jax.lax)[k]
    want = jax.grad(theirs)(Z)
    for backend in BACKENDS:
        assert_close_to_jax(_run(funcad.grad(ours), backend)(Z), want, 1e-10, 1e-10)


_LAX_UNARY = ("neg sign exp exp2 log log1p expm1 sqrt rsqrt sin cos tan asin acos atan sinh "
              "cosh tanh asinh acosh atanh abs square real imag conj").split()
_LAX_BINARY = "add sub mul div pow max min".split()


def _lax_case(name):
    lax, jl = funcad.lax, jax.lax
    if name in _LAX_BINARY:
        return getattr(lax, name), getattr(jl, name), 2
    if name == "integer_pow":
        return (lambda x: lax.integer_pow(x, -3)), (lambda x: jl.integer_pow(x, -3)), 1
    return getattr(lax, name), getattr(jl, name), 1


@pytest.mark.parametrize("name", [*_LAX_UNARY, *_LAX_BINARY, "integer_pow"])
def test_lax_primitives_at_complex_values_are_jax(name):
    """Each elementwise primitive at complex operands (real parts in (0.3, 1.5), away from
    branch cuts): value, JVP and its JVP (second order), VJP with a complex cotangent and
    vmap, all against jax.lax (their XLA lowerings: the complex rows of tests/xla)."""
    ours, theirs, nargs = _lax_case(name)
    rng = np.random.default_rng(3)

    def draw(shape=(3,)):
        return rng.uniform(0.3, 1.5, shape) + 1j * rng.uniform(-0.7, 0.7, shape)

    args = tuple(draw() for _ in range(nargs))
    tangents = tuple(draw() for _ in range(nargs))
    want = theirs(*args)
    assert_close_to_jax(ours(*args), want, 1e-12, 1e-12)
    assert_close_to_jax(funcad.jvp(ours, args, tangents), jax.jvp(theirs, args, tangents),
                        1e-11, 1e-11)
    assert_close_to_jax(
        funcad.jvp(lambda *v: funcad.jvp(ours, v, tangents)[1], args, tangents)[1],
        jax.jvp(lambda *v: jax.jvp(theirs, v, tangents)[1], args, tangents)[1], 1e-10, 1e-10)
    ct = draw() if np.iscomplexobj(np.asarray(want)) else rng.standard_normal(3)
    assert_close_to_jax(funcad.vjp(ours, *args)[1](ct), jax.vjp(theirs, *args)[1](ct),
                        1e-11, 1e-11)
    stacked = tuple(np.stack([a, 2 * a]) for a in args)
    assert_close_to_jax(funcad.vmap(ours)(*stacked), jax.vmap(theirs)(*stacked), 1e-12, 1e-12)


def test_numpy_fft_on_traced_values_dispatches_to_funcad():
    """numpy.fft's functions called on traced values run funcad.numpy.fft's."""
    def loss(ns, x):
        return ns.sum(ns.abs(ns.fft.rfft(x)) ** 2) + ns.sum(ns.real(ns.fft.fft(x)) ** 2)

    got = funcad.grad(lambda x: loss(np, x))(X)
    assert_close_to_jax(got, jax.grad(lambda x: loss(jnp, x))(X), 1e-12, 1e-12)
