"""Taylor mode: ``jet`` (truncated power series through every primitive), and the forward
Laplacian: ``laplacian`` and ``hessian_diag`` by forward propagation of (value, Jacobian,
second-order diagonal), never forming the Hessian."""
from __future__ import annotations

from funcad.taylor import control as _control  # noqa: F401 - registers control-flow rules
from funcad.taylor import elementwise as _elementwise  # noqa: F401 - registers recurrences
from funcad.taylor import linalg as _linalg  # noqa: F401 - registers decompositions' rules
from funcad.taylor.jet_api import jet
from funcad.taylor.laplacian_api import hessian_diag, laplacian

__all__ = ["hessian_diag", "jet", "laplacian"]
