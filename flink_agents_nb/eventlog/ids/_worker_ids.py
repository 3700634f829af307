"""What a worker sent of the ids it numbered (see :mod:`._numbering`), checked."""

from __future__ import annotations

from typing import Any, TypeGuard

import numpy as np

from flink_agents_nb.eventlog.ids._ids import ID_FAMILIES
from flink_agents_nb.eventlog.ids._strkeys import keys_of, text_words


def probe_key() -> np.ndarray:
    """A key the worker sends with its own: equal to the reader's when both key alike."""
    return keys_of(*text_words(["flink-agents-nb read ids"]))


class WorkerIds:
    """What a worker sent of its ids, checked: its distinct values per family (object
    arrays, at their codes in its numbering, every segment's in order) and their keys;
    per segment, its codes per id column (see :class:`..files._segments.Segment`)."""

    def __init__(self, distinct: dict[str, np.ndarray], value_keys: dict[str, np.ndarray]):
        self.distinct = distinct
        self.keys = value_keys
        #: per family, the distinct values with ``None`` last (code -1)
        gap = np.array([None], dtype=object)
        self._with_gap = {f: np.concatenate([v, gap]) for f, v in distinct.items()}

    @classmethod
    def of(cls, segments: list[tuple[Any, Any, Any, int]]) -> WorkerIds | None:
        """From each segment's ``(codes, distinct, keys, rows)``; ``None`` when anything
        is missing or does not fit (wrong type, length, or a code out of range)."""
        distinct: dict[str, np.ndarray] = {}
        found: dict[str, np.ndarray] = {}
        for family in ID_FAMILIES:
            values, sums = [], []
            for _, new, new_keys, _ in segments:
                if type(new) is not dict or type(new_keys) is not dict:
                    return None
                probe = new_keys.get("")
                if not _array(probe, "i") or probe.tolist() != probe_key().tolist():
                    return None
                v, h = new.get(family), new_keys.get(family)
                if not _array(v, "O") or not _array(h, "i") or len(v) != len(h):
                    return None
                values.append(v)
                sums.append(h.astype(np.int64))
            distinct[family] = np.concatenate(values) if values else np.empty(0, object)
            found[family] = np.concatenate(sums) if sums else np.empty(0, np.int64)
        for codes, _, _, rows in segments:
            if type(codes) is not dict:
                return None
            for family, names in ID_FAMILIES.items():
                for name in names:
                    column = codes.get(name)
                    if not _array(column, "i") or len(column) != rows:
                        return None
                    if rows and not -1 <= column.min() <= column.max() < len(distinct[family]):
                        return None
        return cls(distinct, found)

    def values(self, name: str, codes: np.ndarray) -> np.ndarray:
        """The id column ``name`` of a segment from its codes (``None`` at -1)."""
        family = next(f for f, names in ID_FAMILIES.items() if name in names)
        out: np.ndarray = self._with_gap[family][codes]
        return out


def _array(value: Any, kind: str) -> TypeGuard[np.ndarray]:
    return type(value) is np.ndarray and value.ndim == 1 and value.dtype.kind == kind
