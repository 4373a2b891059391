"""Higher-order primitives, each one block: cond, loops (while, scan), call (jit, remat),
custom (custom_jvp_call, custom_vjp_call, custom_lin)."""
