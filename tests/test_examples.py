"""Every example in examples/ runs as a script in smoke mode (``--small``), in a fresh
interpreter. Examples needing an optional package that is missing are skipped, naming it."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# example -> (packages it cannot run without, extra arguments, text its output must hold)
CASES = {
    "trace_tables.py": ((), ["--graph", "{tmp}/graph.mmd"], "w1 = b*w0 = 4.546 (not 1.818)"),
    "expression_swell.py": ((), ["--out", "{tmp}/swell.png"], "linear in n"),
    "mlp_digits.py": (("sklearn",), ["--out", "{tmp}/loss.png"], "test accuracy"),
    "per_example_gradients.py": ((), [], "same numbers"),
    "newton.py": ((), [], "hvp(loss, w, v) equals hessian(loss)(w) @ v"),
    "lagrangian.py": ((), [], "relative drift"),
    "property_test.py": (("hypothesis",), [], "ok: test_composed_with_random_programs"),
    "data_parallel.py": (("jax",), ["--host-devices", "8"], "same numbers as one device"),
    "sparse_newton.py": ((), ["--out", "{tmp}/bratu.png"], "Newton converged"),
    "schrodinger.py": ((), [], "laplacian agrees with trace(hessian)"),
    "spectral.py": ((), [], "spectral derivatives match the analytic values"),
}
# optional packages whose absence an example survives (it then skips a plot or a column)
OPTIONAL_OUTPUTS = {"expression_swell.py": "swell.png", "mlp_digits.py": "loss.png",
                    "sparse_newton.py": "bratu.png"}


def test_every_example_is_covered():
    scripts = {p.name for p in EXAMPLES.glob("*.py")} - {"quickstart.py"}
    assert scripts == set(CASES), "add new examples to CASES"


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_runs_in_smoke_mode(name, tmp_path):
    required, extra, expected = CASES[name]
    for module in required:
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{name} needs the optional package {module!r}, which is not installed")
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg", PYTHONIOENCODING="utf-8")
    args = [a.replace("{tmp}", str(tmp_path)) for a in extra]
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--small", *args],
        capture_output=True, text=True, encoding="utf-8", env=env, cwd=tmp_path, timeout=300,
    )
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert expected in proc.stdout, proc.stdout[-3000:]
    png = OPTIONAL_OUTPUTS.get(name)
    if png and importlib.util.find_spec("matplotlib") is not None:
        data = (tmp_path / png).read_bytes()
        assert data.startswith(b"\x89PNG"), f"{name} wrote no PNG"
