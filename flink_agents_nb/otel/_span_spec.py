"""One span to export (:class:`SpanSpec`) and the helpers every span builder shares:
derived ids, error types, nanosecond durations, and garbage collection paused while
building in bulk."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SpanSpec:
    """One span to export (ids as ints; ``parent_id`` 0 for a root)."""

    trace_id: int
    span_id: int
    parent_id: int
    name: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    kind: str = "INTERNAL"


def _id(bits: int, *parts: Any) -> int:
    digest = hashlib.md5("\x1f".join(map(str, parts)).encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[: bits // 8], "big") or 1


def _error_type(error: Any, category: Any) -> str:
    if isinstance(category, str) and category:
        return category
    text = str(error or "")
    head = text.split(":", 1)[0].strip()
    return head if head and " " not in head else "error"


def _ns(ms: Any) -> int:
    """A duration in ms as whole nanoseconds (0 when missing); exact for ms with 6 decimals."""
    return 0 if ms != ms else round(float(ms) * 1e6)


def _none(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and value != value) else value


@contextmanager
def gc_paused() -> Iterator[None]:
    """No garbage collections inside (restored after): bulk building of spans and OTLP lines
    makes many small dicts and no cycles, and each full collection would walk every object
    alive (a read log's millions of attribute dicts), which cost more than the building."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
