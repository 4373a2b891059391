"""Exceptions raised by host functions that compiled programs call back into.

jax reports an exception from a host callback as its own runtime error (with the
original's traceback as text), or re-raises the original on its fast path. The host side
remembers each exception here and the executable raises the remembered one, so a
``pure_callback`` mismatch is the same funcad error on XLA as on the NumPy backend.
"""
from __future__ import annotations

import threading

_lock = threading.Lock()
_pending: list[BaseException] = []  # the latest few; host threads are not the caller's


def remember(exc: BaseException) -> None:
    """Called by a host function with the exception it is about to raise."""
    with _lock:
        _pending.append(exc)
        del _pending[:-8]


def raise_remembered(err: BaseException) -> None:
    """Raise the host exception that ``err`` (raised by a compiled call) reports, if any;
    return when ``err`` is that exception itself or unrelated."""
    if not _pending:
        return
    text = str(err)
    with _lock:
        for i in range(len(_pending) - 1, -1, -1):
            exc = _pending[i]
            if exc is err:
                del _pending[i]
                return
            if str(exc) and str(exc) in text:
                del _pending[i]
                break
        else:
            return
    raise exc from err


__all__ = ["raise_remembered", "remember"]
