"""Ids and kinds of a record frame's columns as integer codes, for column-wise linking.

The trace linking (:mod:`.trace._trace_link`) and the lineage check (:mod:`._lineage`) match
records by id over a million rows. Hashing the id strings is most of their cost, so each id
column is hashed once into codes, and every match then runs on integers (``np.unique``,
``searchsorted``, fancy indexing). Missing values (``None``, the frame's contract; NaN too)
get code -1, which never matches.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from pandas._libs.hashtable import ObjectVector, PyObjectHashTable

from flink_agents_nb.eventlog._arrays import addresses, is_none

#: Leads every array :func:`id_codes` hashes: with a gap first, pandas picks its table of
#: Python objects at once (no scan for an all-strings column), which on ids scattered over
#: a million-record heap is also ~20% faster than its table of encoded strings.
_GAP = np.array([None], dtype=object)


class EventCodes(NamedTuple):
    """A frame's ``event_id`` and ``upstream_event_id`` as codes of one numbering, per row
    (equal ids equal codes; -1: missing, or not coded: ``upstream`` is coded on event rows
    only). The trace linking makes them; the lineage check then hashes no id again."""

    event: np.ndarray
    upstream: np.ndarray


#: The id columns the reading processes number per row (:class:`RowIds`), by family: ids
#: are matched within their family (an event's id with upstream and handled ids, an
#: execution id with parent ids), never across families.
ID_FAMILIES: dict[str, tuple[str, str]] = {
    "event": ("event_id", "upstream_event_id"),
    "execution": ("execution_id", "parent_execution_id"),
}
ID_COLUMNS = tuple(name for names in ID_FAMILIES.values() for name in names)


class Kinds:
    """A column of few distinct values (record and entity types) as codes: one hash pass
    over the objects' addresses, then one over the distinct objects (few when equal values
    are one object, as the reader makes them; one per row at worst)."""

    def __init__(self, values: np.ndarray) -> None:
        by_object, found = pd.factorize(addresses(values))
        one = np.empty(len(found), dtype=np.intp)
        one[by_object] = np.arange(len(values))  # any row of each object
        objects = values[one]
        #: whether the column holds ``None`` only (or nothing)
        self.all_none = bool(is_none(objects).all())
        try:  # gaps: code -1
            by_value, distinct = pd.factorize(objects, use_na_sentinel=True)
            self.codes = by_value[by_object] if len(by_value) else by_object
            self.values = list(distinct)
        except TypeError:  # unhashable junk: one code per object
            self.codes, self.values = by_object, objects.tolist()

    def of(self, *names: str) -> np.ndarray:
        """Where the column holds one of ``names`` (bool, per row)."""
        table = [isinstance(v, str) and v in names for v in self.values]
        return np.array([*table, False], dtype=bool)[self.codes]  # code -1: the last


def id_codes(*columns: np.ndarray, by_object: tuple[bool, ...] = ()) -> list[np.ndarray]:
    """The values of the object arrays ``columns`` numbered together, in one hash pass:
    equal values get equal codes (any order), missing ones -1. A column flagged in
    ``by_object`` holds its equal values as one object (the reader's shared columns): one
    value per object is hashed. Raises ``TypeError`` on unhashable values."""
    picked: list[np.ndarray] = [_GAP]
    spread: list[tuple[np.ndarray, np.ndarray] | None] = []
    for j, column in enumerate(columns):
        if j < len(by_object) and by_object[j]:
            given = np.flatnonzero(~is_none(column))
            each, objs = pd.factorize(addresses(column)[given])
            one = np.empty(len(objs), dtype=np.intp)
            one[each] = given
            picked.append(column[one])
            spread.append((given, each))
        else:
            picked.append(column)
            spread.append(None)
    found = pd.factorize(np.concatenate(picked), use_na_sentinel=True)[0]
    out, at = [], 1
    for column, part, how in zip(columns, picked[1:], spread, strict=True):
        mine = found[at : at + len(part)]
        at += len(part)
        if how is None:
            out.append(mine)
            continue
        given, each = how
        codes = np.full(len(column), -1, dtype=np.intp)
        codes[given] = mine[each]
        out.append(codes)
    return out


def lookup(
    key_codes: np.ndarray, values: np.ndarray, query_codes: np.ndarray, last: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``values`` by key (codes from :func:`id_codes`; the first, or ``last``, of equal
    keys; -1 never matches) looked up at ``query_codes``: (values, found mask; the values
    where not found are arbitrary)."""
    if not len(key_codes) or not len(query_codes):
        return np.empty(len(query_codes), dtype=values.dtype), np.zeros(len(query_codes), bool)
    size = int(max(key_codes.max(), query_codes.max())) + 2  # slot -1: missing keys
    n = len(key_codes)
    given = np.flatnonzero(key_codes >= 0)  # positions of the keys that may match
    # per code, its first (or last) position: one unbuffered pass, no sort (np.unique's)
    at = np.full(size, -1 if last else n, dtype=np.int64)
    (np.maximum if last else np.minimum).at(at, key_codes[given], given)
    pos = at[query_codes]
    found = (pos >= 0) & (pos < n)
    return values[np.where(found, pos, 0)], found


class Numbering:
    """Id values numbered as they come, one hash table per family of :data:`ID_FAMILIES`:
    equal values (Python's ``==``, as ``pd.factorize``) get equal codes 0, 1, 2... in order
    of first sight, missing ones (``None``, NaN) -1. Each value is hashed once; the tables
    keep what was numbered, so later values (a worker's distinct ids) are numbered against
    it. Raises ``TypeError`` on unhashable values."""

    def __init__(self) -> None:
        self._tables: dict[str, Any] = {}
        self._new: dict[str, list[np.ndarray]] = {family: [] for family in ID_FAMILIES}
        self._count = dict.fromkeys(ID_FAMILIES, 0)

    def number(self, family: str, values: np.ndarray, expect: int = 0) -> np.ndarray:
        """Codes (``intp``) of the object array ``values``; ``expect``: how many values the
        family may see in all (the table is sized once: growing it rehashes everything)."""
        table = self._tables.get(family)
        if table is None:
            table = self._tables[family] = PyObjectHashTable(max(expect, len(values), 1))
        found = ObjectVector()
        codes: np.ndarray = table.get_labels(values, found, self._count[family], -1)
        new = found.to_array()
        self._count[family] += len(new)
        self._new[family].append(new)
        return codes

    def distinct(self, family: str) -> np.ndarray:
        """Every value numbered in ``family``, at its code."""
        parts = self._new[family]
        return np.concatenate(parts) if parts else np.empty(0, dtype=object)

    def size(self, family: str) -> int:
        """How many distinct values ``family`` has numbered."""
        return self._count[family]


class RowIds:
    """The :data:`ID_COLUMNS` of a read as codes per row, in the order read: built as the
    rows come, so no process hashes an id after the read. This process numbers the rows
    it read (:meth:`number_rows`); a worker's rows come numbered in its own numbering with
    its distinct values (:meth:`add_numbered`: only those are hashed here). ``failed``
    (values not hashable): no codes; the linking then hashes as it always did."""

    def __init__(self) -> None:
        self.numbering = Numbering()
        self.parts: dict[str, list[np.ndarray]] = {name: [] for name in ID_COLUMNS}
        self.rows = 0  # rows numbered so far
        self.failed = False

    def number_rows(self, parts: dict[str, list[Any]], total: int, expect: int = 0) -> None:
        """Number rows ``rows..total`` of the columns ``parts`` (a ``_Columns.parts``: each
        column a list of arrays holding its last rows; rows before them are missing)."""
        start, self.rows = self.rows, total
        if self.failed or total <= start:
            return
        try:
            for family, names in ID_FAMILIES.items():
                for name in names:
                    values = _rows(parts.get(name, []), total, start)
                    if values is None:
                        codes = np.full(total - start, -1, dtype=np.intp)
                    else:
                        codes = self.numbering.number(family, values, 2 * max(expect, total))
                    self.parts[name].append(codes)
        except TypeError:  # unhashable junk: the linking hashes (and meets it) as before
            self.failed = True

    def add_numbered(
        self,
        segments: list[tuple[int, dict[str, np.ndarray] | None]],
        distinct: dict[str, np.ndarray] | None,
    ) -> None:
        """Append rows numbered elsewhere: per segment, its rows and codes per column (in
        the other numbering, whose values at their codes are ``distinct``, per family;
        ``None``: not numbered). Only the distinct values are hashed here. Codes that do
        not fit (wrong length or type, out of range) leave ``failed``, never wrong codes."""
        if not self.failed and not _fits(segments, distinct):
            self.failed = True
        if not self.failed:
            assert distinct is not None
            try:
                remap = {
                    family: np.append(self.numbering.number(family, distinct[family]), -1)
                    for family in ID_FAMILIES
                }
            except TypeError:  # unhashable junk: the linking hashes as before
                self.failed = True
        for n, codes in segments:
            self.rows += n
            if self.failed or codes is None:
                continue
            for family, names in ID_FAMILIES.items():
                for name in names:
                    self.parts[name].append(remap[family][codes[name]])  # -1: the last

    def codes(self) -> dict[str, np.ndarray] | None:
        """Per-row codes of each id column, in the order read (``None`` when failed)."""
        if self.failed:
            return None
        return {
            name: np.concatenate(parts) if parts else np.empty(0, dtype=np.intp)
            for name, parts in self.parts.items()
        }


def _fits(
    segments: list[tuple[int, dict[str, np.ndarray] | None]],
    distinct: dict[str, np.ndarray] | None,
) -> bool:
    """Whether a worker's codes and values (see :meth:`RowIds.add_numbered`) are whole."""
    if type(distinct) is not dict:
        return False
    for family in ID_FAMILIES:
        values = distinct.get(family)
        if type(values) is not np.ndarray or values.dtype != object or values.ndim != 1:
            return False
    for n, codes in segments:
        if type(codes) is not dict:
            return False
        for family, names in ID_FAMILIES.items():
            for name in names:
                column = codes.get(name)
                if (
                    type(column) is not np.ndarray
                    or column.dtype.kind != "i"
                    or column.shape != (n,)
                    or (n and not -1 <= column.min() <= column.max() < len(distinct[family]))
                ):
                    return False
    return True


def _rows(parts: list[Any], total: int, start: int) -> np.ndarray | None:
    """Rows ``start..total`` of a column whose arrays ``parts`` hold its last rows (the
    rows before them are missing: ``None``), as one object array; ``None``: all missing."""
    have = sum(len(part) for part in parts)
    first = total - have  # the column's first row
    if have == 0 or first >= total:
        return None
    need = total - max(start, first)
    picked: list[np.ndarray] = []
    got = 0
    for part in reversed(parts):
        if got >= need:
            break
        picked.append(part)
        got += len(part)
    values = picked[0] if len(picked) == 1 else np.concatenate(picked[::-1])
    values = values[len(values) - need :]
    if start < first:
        gap = np.full(first - start, None, dtype=object)
        values = np.concatenate([gap, values])
    return values
