"""Column builders for a chunk of 0.4 Trace Log records decoded typed (:mod:`._typed`).

:func:`._typed_columns._trace_records` builds a trace chunk's columns with these. Each gives
what the general path gives for the same values (:func:`..columns._arrays.shared`,
:func:`..columns._arrays.timestamps`, :func:`.._attributes.cells`), cheaper on what trace logs hold:

- :class:`Few`: columns of a few distinct values (entity types and names, statuses,
  problem categories; decoded as learned ``Literal`` values, each one object) coded by
  object address, and their shared columns built from the codes, without comparing or
  hashing a string per row;
- :func:`stamps`: times parsed from one joined buffer, per width (Java's
  ``Instant.toString()`` writes 0, 3, 6 or 9 fraction digits: one chunk mixes widths);
- :func:`trace_cells`: the ``{}`` attributes (most records) as the shared :data:`EMPTY` cell.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.eventlog._attributes import EMPTY, cells
from flink_agents_nb.eventlog.columns._arrays import addresses, objects, timestamps

#: :class:`Few` hashes its distinct objects' values by pandas when there are more.
_MANY = 256


class Few:
    """A column of ``str``/``None`` values as codes by value (``None``: -1), found by
    object address: one hash pass over the addresses, then one per distinct object (few
    when equal values are one object, as learned ``Literal`` values are; one per row at
    worst, still right)."""

    def __init__(self, values: np.ndarray) -> None:
        self._build(addresses(values), values.__getitem__)

    @classmethod
    def of(cls, at: np.ndarray, take: Callable[[np.ndarray], np.ndarray]) -> Few:
        """The :class:`Few` of a column given by its values' addresses ``at`` (``id``) and
        ``take(rows)``, its values in ``rows`` (an object array; called once, on a row
        of each distinct object)."""
        few = cls.__new__(cls)
        few._build(at, take)
        return few

    def _build(self, at: np.ndarray, take: Callable[[np.ndarray], np.ndarray]) -> None:
        by_object, _ = pd.factorize(at)
        one = np.empty(int(by_object.max()) + 1 if len(by_object) else 0, dtype=np.intp)
        one[by_object] = np.arange(len(at))  # a row of each object
        distinct_objects = take(one)
        if len(one) > _MANY:  # a string per row (a chunk decoded before any learning)
            codes, distinct = pd.factorize(distinct_objects, use_na_sentinel=True)
            index = dict(zip(distinct.tolist(), range(len(distinct)), strict=True))
            code = codes.tolist()
        else:
            index = {}
            code = [-1 if v is None else index.setdefault(v, len(index)) for v in distinct_objects]
        #: the distinct values (not ``None``), in no particular order
        self.values = list(index)
        #: per row, its value's index in :attr:`values` (-1: ``None``)
        self.codes = np.array([*code, -1], dtype=np.intp)[by_object]
        self._table = objects([*self.values, None])  # code -1: the last slot, None

    def mask(self, wanted: Any) -> np.ndarray:
        """Where the column holds a value for which ``wanted(value)`` is true (bool per row;
        ``None`` never)."""
        return np.array([bool(wanted(v)) for v in self.values] + [False], dtype=bool)[self.codes]

    def column(self, where: np.ndarray | None = None) -> np.ndarray:
        """The values as a new object array, equal values one object (``shared``); with
        ``where``, ``None`` where it is false."""
        codes = self.codes if where is None else np.where(where, self.codes, -1)
        return self._table[codes]

    def mapped(self, value_of: dict[str, Any], where: np.ndarray) -> np.ndarray:
        """Each value replaced by ``value_of`` (values not in it kept), one object each;
        ``None`` where ``where`` is false."""
        table = objects([*(value_of.get(v, v) for v in self.values), None])
        return table[np.where(where, self.codes, -1)]


def stamps(values: list[Any]) -> np.ndarray:
    """:func:`..columns._arrays.timestamps` of a chunk's times, faster when they are ASCII strings
    ending with ``Z`` (Flink Agents writes them so): parsed from one joined buffer, per
    width, without a string made per row. Anything else: ``timestamps`` itself."""
    n = len(values)
    try:  # each ended by a newline: their places give the widths (a time holds none)
        data = ("\n".join(values) + "\n").encode("ascii")
    except (TypeError, UnicodeError):
        return timestamps(values)
    buffer = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buffer == 10)
    if len(ends) != n or b"\0" in data:  # (NUL: numpy's bytes would drop it)
        return timestamps(values)
    width = len(data) // n  # with the newline
    try:
        if len(data) == width * n and (ends == np.arange(1, n + 1) * width - 1).all():
            parsed = _parsed(buffer.reshape(n, width)[:, :-1])
            return timestamps(values) if parsed is None else parsed
        starts = np.concatenate(([0], ends[:-1] + 1))
        lengths = ends - starts
        out = np.empty(n, dtype="datetime64[ns]")
        for each in np.unique(lengths).tolist():
            rows = np.flatnonzero(lengths == each)
            windows = np.lib.stride_tricks.sliding_window_view(buffer, max(each, 1))
            parsed = _parsed(windows[starts[rows]])  # (one index a row, not a byte)
            if parsed is None:
                return timestamps(values)
            out[rows] = parsed
        return out
    except ValueError:  # not an ISO time numpy reads
        return timestamps(values)


def _parsed(table: np.ndarray) -> np.ndarray | None:
    """The times in the rows of ``table`` (one text a row, bytes as ``uint8``), when each
    ends with ``Z``; else ``None``. Raises ``ValueError`` on text numpy cannot read."""
    rows, width = table.shape
    if width < 2 or not (table[:, -1] == 0x5A).all():  # "Z"
        return None
    bare = np.ascontiguousarray(table[:, :-1]).view(f"S{width - 1}")
    return bare.reshape(rows).astype("datetime64[ns]")


def trace_cells(raws: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`.._attributes.cells` of a trace chunk's raw attributes, most of them ``{}``
    (started records, llm calls): those are found from their lengths and first bytes (one
    join, no object per row) and get the shared :data:`EMPTY` cell; the rest go to
    ``cells``. Same cells, same mentions."""
    n = len(raws)
    joined = np.frombuffer(b"\n".join(raws), np.uint8)  # the decoded lines hold no newline:
    ends = np.flatnonzero(joined == 10)  # one piece per value
    if len(ends) != n - 1:
        return cells(raws)
    starts = np.concatenate(([0], ends + 1))
    lengths = np.diff(np.append(starts, len(joined) + 1)) - 1
    empty = lengths == 2
    empty[empty] = joined[starts[empty]] == 0x7B  # a valid 2-byte value starting "{": "{}"
    if np.count_nonzero(empty) < n // 4:
        return cells(raws)
    out = np.empty(n, dtype=object)
    out.fill(EMPTY)
    mentions = np.zeros(n, dtype=bool)
    at = np.flatnonzero(~empty)
    if len(at):
        out[at], mentions[at] = cells(list(map(raws.__getitem__, at.tolist())))
    return out, mentions
