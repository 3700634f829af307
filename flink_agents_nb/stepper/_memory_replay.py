"""Rebuild a key's short-term and sensory memory at any step from recorded memory writes.

Action rows of the record frame carry ``attributes["memoryWrites"]``: ``{"memory", "path",
"value"}`` per write, in write order (only for actions that succeeded do they take effect).
A path ending in ``{}`` creates an object node; other paths set a value, creating parents.
Short-term memory persists per key across inputs; sensory memory lives for one input.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

_MISSING = object()
#: Every this many replayed write rows a snapshot is kept, so going back is cheap.
CHECKPOINT_EVERY = 512


def apply_write(root: dict[str, Any], path: str, value: Any) -> None:
    """Apply one recorded write to the nested dict ``root`` (in place)."""
    make_object = path.endswith("{}")
    parts = (path[:-2] if make_object else path).split(".")
    node = root
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    last = parts[-1]
    if make_object:
        if not isinstance(node.get(last), dict):
            node[last] = {}
    else:
        node[last] = copy.deepcopy(value) if isinstance(value, (dict, list)) else value


def lookup(root: dict[str, Any], path: str) -> Any:
    """The value at dotted ``path`` in ``root``, or :data:`_MISSING`."""
    node: Any = root
    for part in path.rstrip("{}").split(".") if path.endswith("{}") else path.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


_NO_WRITES = (b'"memoryWrites":[]}', b'"memoryWrites":null}')


def writes_of(attributes: Any) -> list[dict[str, Any]]:
    """The memory writes of an action row's attributes (empty when none were recorded).
    A log's lazily decoded attributes whose JSON ends with an empty or null
    ``memoryWrites`` (the last key: its value) are not decoded to find none."""
    raw = getattr(attributes, "raw", None)
    if type(raw) is bytes and raw.endswith(_NO_WRITES):
        return []
    if isinstance(attributes, Mapping):  # a dict, or lazily decoded (eventlog._attributes)
        writes = attributes.get("memoryWrites")
        if isinstance(writes, list):
            return [w for w in writes if isinstance(w, dict) and "path" in w]
    return []


@dataclass(frozen=True)
class MemoryChange:
    """One path that changed at a step: ``old`` is ``None`` for a new path (``new_path``)."""

    memory: str
    path: str
    old: Any
    new: Any
    new_path: bool


class MemoryReplay:
    """Replays write rows of one record frame; built lazily by the stepper.

    Args:
        frame: the record frame.
        key_codes: factorized key per frame row.
    """

    def __init__(self, frame: pd.DataFrame, key_codes: np.ndarray) -> None:
        is_ok_action = (frame["record_type"].to_numpy() == "action") & (
            frame["status"].to_numpy() == "ok"
        )
        rows = np.flatnonzero(is_ok_action)
        attrs = frame["attributes"].to_numpy()
        has = np.fromiter((bool(writes_of(attrs[r])) for r in rows), bool, len(rows))
        self.rows = rows[has]
        self._attrs = attrs
        self._input_seq = frame["input_seq"].to_numpy()
        codes = key_codes[self.rows]
        order = np.argsort(codes, kind="stable")
        self._sorted_codes = codes[order]
        self._sorted_rows = self.rows[order]
        # key code -> (count applied, short-term state), checkpoints by count.
        self._cache: dict[int, tuple[int, dict[str, Any]]] = {}
        self._checkpoints: dict[int, dict[int, dict[str, Any]]] = {}

    @property
    def recorded(self) -> bool:
        """Whether any memory writes were recorded at all."""
        return len(self.rows) > 0

    def rows_of_key(self, key_code: int) -> np.ndarray:
        """Frame rows (ascending) of ok actions of this key that wrote memory."""
        lo = np.searchsorted(self._sorted_codes, key_code, "left")
        hi = np.searchsorted(self._sorted_codes, key_code, "right")
        return self._sorted_rows[lo:hi]

    def short_term(self, key_code: int, upto_row: int) -> dict[str, Any]:
        """Short-term memory of the key after every write in rows ``<= upto_row`` (a copy)."""
        rows = self.rows_of_key(key_code)
        count = int(np.searchsorted(rows, upto_row, "right"))
        start, state = 0, {}
        cached = self._cache.get(key_code)
        if cached is not None and cached[0] <= count:
            start, state = cached[0], copy.deepcopy(cached[1])
        else:
            points = self._checkpoints.get(key_code, {})
            best = max((c for c in points if c <= count), default=None)
            if best is not None:
                start, state = best, copy.deepcopy(points[best])
        points = self._checkpoints.setdefault(key_code, {})
        for i in range(start, count):
            for w in writes_of(self._attrs[rows[i]]):
                if w.get("memory", "short_term") == "short_term":
                    apply_write(state, str(w["path"]), w.get("value"))
            if (i + 1) % CHECKPOINT_EVERY == 0 and (i + 1) not in points:
                points[i + 1] = copy.deepcopy(state)
        self._cache[key_code] = (count, state)
        return copy.deepcopy(state)

    def sensory(self, key_code: int, input_seq: Any, upto_row: int) -> dict[str, Any]:
        """Sensory memory of the key's input ``input_seq`` after writes in rows ``<= upto_row``."""
        rows = self.rows_of_key(key_code)
        rows = rows[: np.searchsorted(rows, upto_row, "right")]
        state: dict[str, Any] = {}
        mine: list[int] = []
        for r in rows[::-1]:  # a key's inputs run in order: this input's rows come last
            if self._input_seq[r] != input_seq:
                break
            mine.append(int(r))
        for r in reversed(mine):
            for w in writes_of(self._attrs[r]):
                if w.get("memory") == "sensory":
                    apply_write(state, str(w["path"]), w.get("value"))
        return state

    def changes(self, before: dict[str, dict[str, Any]], rows: list[int]) -> list[MemoryChange]:
        """What the writes of action ``rows`` changed, relative to ``before`` (per memory)."""
        seen: dict[tuple[str, str], MemoryChange] = {}
        for r in rows:
            for w in writes_of(self._attrs[r]):
                memory = str(w.get("memory", "short_term"))
                path = str(w["path"])
                if path.endswith("{}"):
                    continue
                old = (
                    seen[(memory, path)].old
                    if (memory, path) in seen
                    else lookup(before.get(memory, {}), path)
                )
                seen[(memory, path)] = MemoryChange(
                    memory, path, None if old is _MISSING else old, w.get("value"), old is _MISSING
                )
        return list(seen.values())
