"""Where a test's own line is: error messages cite the user's line, and tests check it."""
from __future__ import annotations

import pathlib


def marker_line(test_file: str, marker: str) -> str:
    """``NAME.py:LINE`` of the one line of ``test_file`` that ends with ``marker``."""
    path = pathlib.Path(test_file)
    lines = path.read_text().splitlines()
    (lineno,) = [i + 1 for i, line in enumerate(lines) if line.rstrip().endswith(marker)]
    return f"{path.name}:{lineno}"
