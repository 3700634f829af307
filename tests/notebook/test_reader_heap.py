"""The reader gives the heap's free pages back before its largest allocations
(``eventlog/_heap.py``): memory freed in the middle of the heap leaves the process' resident
set (glibc), and nothing breaks where there is no ``malloc_trim``."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from flink_agents_nb.eventlog import _heap


def _resident_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(
    not _heap.AVAILABLE or not Path("/proc/self/statm").exists(), reason="no glibc, no /proc"
)
def test_free_pages_in_the_middle_of_the_heap_are_given_back() -> None:
    blocks = [np.ones(8 << 10) for _ in range(800)]  # 64 KB each: in the heap, not mapped
    guard = np.ones(8 << 10)  # (a block above them: free() alone cannot trim the heap's top)
    del blocks
    before = _resident_mb()
    _heap.give_back()
    assert before - _resident_mb() > 25  # of the 50 MB freed
    del guard


def test_nothing_is_done_without_malloc_trim(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (_heap._malloc_trim() is not None) == _heap.AVAILABLE
    monkeypatch.setattr(_heap, "_TRIM", None)
    _heap.give_back()  # (no error)
