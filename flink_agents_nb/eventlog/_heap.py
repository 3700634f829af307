"""Freed memory given back to the system before a read's largest allocations.

By the time the frame is built (:func:`._load.load_log`), a read has freed much of what it
used on the way: a worker's part as it was sent, unpacked and merged, the ids' codes per
part, the typed vocabulary's buffers. Most of it was small blocks in the middle of the heap,
which ``free`` keeps for reuse rather than returning: ~100 MB on 1M records of 0.3.1 nested,
held when the frame's object block (8 bytes a row per object column) is then allocated
anew, and the trace linking's arrays after it. glibc's ``malloc_trim(0)`` returns every
whole free page of the heap (~1-5 ms); measured on 1M records, the reader's peak is 15-60 MB
lower (nested 809 -> 777 MB, trace ~830 -> ~775 MB). Without glibc (macOS, musl, Windows)
nothing is done.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any


def _malloc_trim() -> Callable[[int], Any] | None:
    """glibc's ``malloc_trim``, ``None`` where this process has none."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # (TypeError: Windows' CDLL(None))
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_TRIM = _malloc_trim()
#: Whether :func:`give_back` can return memory here (glibc).
AVAILABLE = _TRIM is not None


def give_back() -> None:
    """Return the heap's free pages to the system (glibc; elsewhere: nothing)."""
    if _TRIM is not None:
        _TRIM(0)
