"""Some rows of a reader's column read in place from its parts (no array joined)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flink_agents_nb.eventlog.columns._arrays import addresses

_NONE = id(None)


class ColumnRows:
    """Rows ``start..total`` of a column whose arrays ``parts`` hold its last rows (the
    rows before them are missing: ``None``), read without joining them (no reference
    counted per value)."""

    def __init__(self, parts: list[Any], total: int, start: int) -> None:
        have = sum(len(part) for part in parts)
        first = total - have  # the column's first row
        self.size = total - start
        self.gap = min(max(first - start, 0), self.size)  # missing rows in front
        need = self.size - self.gap
        picked: list[np.ndarray] = []
        got = 0
        for part in reversed(parts):
            if got >= need:
                break
            picked.append(part)
            got += len(part)
        self.parts = picked[::-1]
        self.skip = got - need  # rows of the first part before ``start``
        self.bounds = np.cumsum([0] + [len(part) for part in self.parts])

    def addresses(self) -> np.ndarray:
        """The values' addresses (``None``'s where missing), ``int64``."""
        pieces = [np.full(self.gap, _NONE, dtype=np.int64)]
        pieces += [addresses(part).astype(np.int64, copy=False) for part in self.parts]
        return (
            np.concatenate(pieces)[: self.gap]
            if not self.parts
            else np.concatenate([pieces[0], np.concatenate(pieces[1:])[self.skip :]])
        )

    def pick(self, rows: np.ndarray) -> np.ndarray:
        """The values at ``rows`` (increasing positions counted from ``start``; not in the
        gap)."""
        at = rows - self.gap + self.skip
        cuts = np.searchsorted(at, self.bounds)  # each part's slice of ``at``
        out = np.empty(len(rows), dtype=object)
        for j, part in enumerate(self.parts):
            if cuts[j] < cuts[j + 1]:
                out[cuts[j] : cuts[j + 1]] = part[at[cuts[j] : cuts[j + 1]] - self.bounds[j]]
        return out
