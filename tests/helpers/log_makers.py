"""The benchmark's event-log generators (``benchmarks/bench_eventlog.py``), for tests that
read logs shaped as the benchmark's: ``MAKERS[kind](directory, records)`` writes 8 subtask
files whose times overlap."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location(
        "bench_eventlog", ROOT / "benchmarks" / "bench_eventlog.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_BENCH = _bench()
#: Format -> writer of that many records into a directory: ours, 0.3.1 nested, 0.4 trace.
MAKERS: dict[str, Callable[[Path, int], None]] = {
    "ours": _BENCH.make_logs,
    "nested": _BENCH.make_nested_logs,
    "trace": _BENCH.make_trace_logs,
}
