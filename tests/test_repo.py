"""Repository checks: the README's Quick start and CI cannot drift apart, and the packaging
promises (numpy-only core, lazy jax, py.typed) hold."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CI = ROOT / ".ci" / "run"


def _quick_start_section() -> str:
    text = README.read_text()
    match = re.search(r"^## Quick start\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, "README.md has no '## Quick start' section"
    return match.group(1)


def _quick_start_lines() -> list[str]:
    section = _quick_start_section()
    blocks = re.findall(r"^```(\w*)\s*\n(.*?)^```\s*$", section, re.M | re.S)
    sh_blocks = [body for lang, body in blocks if lang == "sh"]
    assert len(sh_blocks) == 1, f"Quick start needs exactly one ```sh block, has {len(sh_blocks)}"
    assert len(blocks) == 1, "Quick start must hold no fenced block besides the sh one"
    return [ln.strip() for ln in sh_blocks[0].splitlines() if ln.strip()]


def _ci_lines() -> list[str]:
    return [ln.strip() for ln in CI.read_text().splitlines()]


def test_quick_start_has_one_sh_block_with_install_demo_and_tests():
    lines = _quick_start_lines()
    assert 'python -m pip install -e ".[test]"' in lines
    assert 'python -m funcad explain "b*sin(a) + b**2" a=2 b=5' in lines  # the main demo
    assert sum("pytest" in ln for ln in lines) == 1, "exactly one test command"


def test_ci_runs_the_readme_test_command_verbatim():
    (test_cmd,) = [ln for ln in _quick_start_lines() if "pytest" in ln]
    assert test_cmd in _ci_lines(), f".ci/run does not run the README's `{test_cmd}`"


def test_ci_installs_and_runs_the_demo_as_the_readme_does():
    ci = _ci_lines()
    for line in _quick_start_lines():
        if "venv" in line or "activate" in line:
            continue  # CI makes its own virtualenv in a temporary directory
        assert line in ci, f".ci/run lacks the README line `{line}`"
    assert "set -euo pipefail" in ci
    assert "ruff check ." in ci
    assert CI.read_text().startswith("#!/usr/bin/env bash\n")
    assert os.access(CI, os.X_OK), ".ci/run must be executable"


def test_pyproject_packaging():
    tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = meta["project"]
    assert project["dependencies"] == ["numpy>=2.0", "scipy>=1.11"]
    assert project["requires-python"] == ">=3.10"
    extras = project["optional-dependencies"]
    assert set(extras) >= {"xla", "cuda12", "test", "docs"}
    assert any(d.startswith("jax[cuda12]") for d in extras["cuda12"])
    test_names = {re.split(r"[<>=\[ ]", d)[0] for d in extras["test"]}
    assert test_names >= {"pytest", "hypothesis", "pytest-xdist", "jax", "autograd"}
    assert (ROOT / "funcad" / "py.typed").exists()
    assert "py.typed" in meta["tool"]["setuptools"]["package-data"]["funcad"]


def test_import_funcad_never_imports_jax():
    code = (
        "import sys, funcad, funcad.numpy, funcad.tree_util, funcad_xla; "
        "assert 'jax' not in sys.modules, sorted(m for m in sys.modules if 'jax' in m)"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_docs_example_prints_what_the_docs_show(capsys):
    text = (ROOT / "docs" / "index.md").read_text()
    pattern = r"```python\n(.*?)```\s*\nprints\s*\n\s*```\n(.*?)```"
    code, shown = re.search(pattern, text, re.S).groups()
    exec(compile(code, "docs/index.md", "exec"), {})
    assert capsys.readouterr().out.strip() == shown.strip()
