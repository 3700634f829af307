"""A read's ids numbered by the process that read them, so no id is hashed after the read.

Matching records by id (the trace linking, the lineage check) needs the id columns as codes
(equal ids, equal codes: see :mod:`._ids`). Hashing a million id strings costs ~0.2 µs
each, memory bound, and used to run after the read, in one process. Now each process
numbers the ids of the rows it read as its read ends (:class:`RowIds`): the reader while
its worker still reads, the worker before it sends its part, with its codes, its distinct
ids and their hashes (:class:`WorkerIds`). The reader then numbers only the worker's
distinct ids whose hash may be among its own (:meth:`Numbering.merge`: a bit filter of
its hashes, a few % false candidates, then compared; the others are new ids, numbered
without hashing), and remaps the
worker's codes. The ids of one family (:data:`._ids.ID_FAMILIES`) share a numbering.

Python's ``hash`` is the same in a forked worker (one hash secret), equal values hash
equal, and a hash is cached in its string: hashing the worker's ids there costs a lookup.
"""

from __future__ import annotations

from typing import Any, TypeGuard

import numpy as np
from pandas._libs.hashtable import ObjectVector, PyObjectHashTable
from pandas._libs.lib import is_string_array

from flink_agents_nb.eventlog._arrays import is_none, joined
from flink_agents_nb.eventlog._ids import ID_COLUMNS, ID_FAMILIES


class Numbering:
    """Id values numbered as they come, one hash table per family of :data:`ID_FAMILIES`:
    equal values (Python's ``==``, as ``pd.factorize``) get equal codes 0, 1, 2... in order
    of first sight, missing ones (``None``, NaN) -1. Each value is hashed once; the tables
    keep what was numbered, so later values are numbered against it. Raises ``TypeError``
    on unhashable values. ``hashed``: the Python hashes of the values are kept too (taken
    as each value is first numbered, while it is in the cache), for :meth:`merge`."""

    def __init__(self, hashed: bool = False) -> None:
        self.hashed = hashed
        self._tables: dict[str, Any] = {}
        self._new: dict[str, list[np.ndarray]] = {family: [] for family in ID_FAMILIES}
        self._hashes: dict[str, list[np.ndarray]] = {family: [] for family in ID_FAMILIES}
        self._count = dict.fromkeys(ID_FAMILIES, 0)
        self._filters: dict[str, np.ndarray] = {}
        self._filtered: dict[str, int] = {}  # how many values each filter holds
        self.merged = False  # after merge(): its new values are in no table
        #: per family: whether every value numbered is a ``str`` (kept by :func:`number_part`)
        self.strings = dict.fromkeys(ID_FAMILIES, True)

    def number(self, family: str, values: np.ndarray, expect: int = 0) -> np.ndarray:
        """Codes (``intp``) of the object array ``values``; ``expect``: how many values the
        family may see in all (the table is sized once: growing it rehashes everything).
        Not after :meth:`merge` (``merged``: the values it numbered are in no table)."""
        table = self._tables.get(family)
        if table is None:
            table = self._tables[family] = PyObjectHashTable(max(expect, len(values), 1))
        return self._labels(family, table, values)

    def _labels(self, family: str, table: Any, values: np.ndarray) -> np.ndarray:
        found = ObjectVector()
        codes: np.ndarray = table.get_labels(values, found, self._count[family], -1)
        new = found.to_array()
        self._count[family] += len(new)
        self._new[family].append(new)
        if self.hashed:
            self._hashes[family].append(hashes(new))
        return codes

    def distinct(self, family: str, start: int = 0) -> np.ndarray:
        """The values numbered in ``family`` from code ``start`` on, at their codes."""
        return joined(self._new[family], object)[start:]

    def value_hashes(self, family: str, start: int = 0) -> np.ndarray:
        """The Python hashes of :meth:`distinct` (``int64``)."""
        if not self.hashed:
            return hashes(self.distinct(family, start))
        return joined(self._hashes[family], np.int64)[start:]

    def size(self, family: str) -> int:
        """How many distinct values ``family`` has numbered."""
        return self._count[family]

    def prepare_merge(self) -> None:
        """Note the hashes of the values numbered so far in a bit filter per family (done
        while a worker still reads: :meth:`merge` then only looks bits up)."""
        for family in ID_FAMILIES:
            self._filters[family] = _filter(self.value_hashes(family))
            self._filtered[family] = self._count[family]

    def merge(self, family: str, values: np.ndarray, value_hashes: np.ndarray) -> np.ndarray:
        """Codes of ``values`` (distinct, numbered elsewhere; ``value_hashes``: their Python
        hashes): those whose hash may be among this numbering's values (a bit filter of
        them: no false misses) are hashed and looked up (and numbered when not found), the
        others get new codes unhashed. Nothing can be numbered after (they are in no
        table)."""
        bits = self._filters.get(family)
        if bits is None or self._filtered.get(family) != self._count[family]:
            bits = _filter(self.value_hashes(family))
        self.merged = True
        codes = np.empty(len(values), dtype=np.intp)
        seen = _in(bits, value_hashes)  # hash maybe seen here: compared (a few % by chance)
        rows = np.flatnonzero(seen)
        if len(rows):  # ids on both sides, or equal hashes only: compared
            table = self._tables.get(family)
            if table is None:
                table = self._tables[family] = PyObjectHashTable(len(rows))
            codes[rows] = self._labels(family, table, values[rows])
        rows = np.flatnonzero(~seen)
        start = self._count[family]
        codes[rows] = np.arange(start, start + len(rows))
        self._count[family] += len(rows)
        self._new[family].append(values[rows])
        if self.hashed:
            self._hashes[family].append(value_hashes[rows])
        return codes


#: The bit filter of :meth:`Numbering.merge`: 2**25 bits (4 MB; 1M distinct ids set ~3%).
_BITS = 25
_MASK = (1 << _BITS) - 1


def _filter(value_hashes: np.ndarray) -> np.ndarray:
    """A bit per slot (``hash & _MASK``), set for the slots of ``value_hashes``."""
    bits = np.zeros(1 << (_BITS - 3), dtype=np.uint8)
    slots = value_hashes & _MASK
    np.bitwise_or.at(bits, slots >> 3, np.left_shift(1, slots & 7).astype(np.uint8))
    return bits


def _in(bits: np.ndarray, value_hashes: np.ndarray) -> np.ndarray:
    """Whether the slot of each of ``value_hashes`` is set in ``bits`` (bool)."""
    slots = value_hashes & _MASK
    return (bits[slots >> 3] >> (slots & 7).astype(np.uint8)) & 1 != 0


def _probe() -> np.ndarray:
    """A hash the worker sends with its own: equal to the reader's when both hash alike
    (a forked worker does; should another start one day, its hashes would be refused)."""
    return hashes(np.array(["flink-agents-nb read ids"], dtype=object))


def hashes(values: np.ndarray) -> np.ndarray:
    """The Python hashes of the objects ``values`` (int64; a string's is cached in it after
    its first hashing). Raises ``TypeError`` on unhashable values."""
    return np.fromiter(map(hash, values.tolist()), dtype=np.int64, count=len(values))


Part = tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray], set[str]]


def worker_part(rows: RowIds, before: dict[str, int], parts: dict[str, list[Any]]) -> Part | None:
    """What a worker sends of the ids of a part it read (``parts``, a ``_Columns.parts``,
    numbered into ``rows``, whose numbering ``hashed`` is shared by the worker's parts and
    had ``before`` values per family before this part): codes per id column (``int32``),
    the values this part added and their hashes, per family, and the id columns that may
    be sent as their codes only (every value a ``str`` or ``None``: rebuilt equal from the
    distinct values); ``None`` when a value was not hashable."""
    codes = rows.codes()
    if codes is None:
        return None
    numbering = rows.numbering
    distinct = {family: numbering.distinct(family, before[family]) for family in ID_FAMILIES}
    value_hashes = {f: numbering.value_hashes(f, before[f]) for f in ID_FAMILIES}
    value_hashes[""] = _probe()
    coded = set()
    for family, names in ID_FAMILIES.items():
        new = distinct[family]
        numbering.strings[family] &= not len(new) or bool(is_string_array(new, skipna=False))
        for name in names:
            column = parts.get(name)
            if not column or not numbering.strings[family]:
                continue
            values = column[0] if len(column) == 1 else np.concatenate(column)
            if len(values) == len(codes[name]) and is_none(values[codes[name] < 0]).all():
                coded.add(name)  # (NaN, say, would come back None)
    return (
        {name: codes[name].astype(np.int32) for name in ID_COLUMNS},
        distinct,
        value_hashes,
        coded,
    )


class WorkerIds:
    """What a worker sent of its ids, checked: its distinct values per family (object
    arrays, at their codes in its numbering, every segment's in order) and their hashes;
    per segment, its codes per id column (see :class:`._parallel.Segment`)."""

    def __init__(self, distinct: dict[str, np.ndarray], value_hashes: dict[str, np.ndarray]):
        self.distinct = distinct
        self.hashes = value_hashes
        #: per family, the distinct values with ``None`` last (code -1)
        gap = np.array([None], dtype=object)
        self._with_gap = {f: np.concatenate([v, gap]) for f, v in distinct.items()}

    @classmethod
    def of(cls, segments: list[tuple[Any, Any, Any, int]]) -> WorkerIds | None:
        """From each segment's ``(codes, distinct, hashes, rows)``; ``None`` when anything
        is missing or does not fit (wrong type, length, or a code out of range)."""
        distinct: dict[str, np.ndarray] = {}
        found: dict[str, np.ndarray] = {}
        for family in ID_FAMILIES:
            values, sums = [], []
            for _, new, new_hashes, _ in segments:
                if type(new) is not dict or type(new_hashes) is not dict:
                    return None
                probe = new_hashes.get("")
                if not _array(probe, "i") or probe.tolist() != _probe().tolist():
                    return None
                v, h = new.get(family), new_hashes.get(family)
                if not _array(v, "O") or not _array(h, "i") or len(v) != len(h):
                    return None
                values.append(v)
                sums.append(h)
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


class RowIds:
    """The :data:`ID_COLUMNS` of a read as codes per row, in the order read, built as the
    rows come: this process numbers the rows it read (:meth:`number_rows`); a worker's rows
    come numbered (:meth:`add_numbered`). ``failed`` (values not hashable, or numbered in
    an order that cannot be followed): no codes; the linking then hashes as before."""

    def __init__(self, numbering: Numbering | None = None, expect: int = 0) -> None:
        self.numbering = Numbering() if numbering is None else numbering
        #: how many distinct ids a family may have in all (its table is sized so once)
        self.expect = expect
        self.parts: dict[str, list[np.ndarray]] = {name: [] for name in ID_COLUMNS}
        self.rows = 0  # rows numbered so far
        self.failed = False

    def number_rows(self, parts: dict[str, list[Any]], total: int) -> None:
        """Number rows ``rows..total`` of the columns ``parts`` (a ``_Columns.parts``: each
        column a list of arrays holding its last rows; rows before them are missing)."""
        start, self.rows = self.rows, total
        if total <= start:
            return
        if self.numbering.merged:
            self.failed = True
        if self.failed:
            return
        try:
            for family, names in ID_FAMILIES.items():
                for name in names:
                    values = _rows(parts.get(name, []), total, start)
                    codes = np.full(total - start, -1, dtype=np.intp)
                    if values is not None:
                        given = np.flatnonzero(~is_none(values))  # gaps: not hashed
                        if len(given) == len(values):
                            codes = self.numbering.number(family, values, self.expect)
                        elif len(given):
                            codes[given] = self.numbering.number(family, values[given], self.expect)
                    self.parts[name].append(codes)
        except TypeError:  # unhashable junk: the linking hashes (and meets it) as before
            self.failed = True

    def add_numbered(self, segments: list[tuple[int, Any]], worker: WorkerIds | None) -> None:
        """Append rows numbered by a worker: per segment, its rows and its codes per id
        column (checked by ``worker``: ``None`` when not given or not fitting, ``failed``
        then); only the worker's ids whose hashes this numbering has seen are hashed."""
        if worker is None:
            self.failed = True
        if not self.failed:
            assert worker is not None
            try:
                remap = {
                    family: np.append(
                        self.numbering.merge(
                            family, worker.distinct[family], worker.hashes[family]
                        ),
                        -1,
                    )
                    for family in ID_FAMILIES
                }
            except TypeError:  # unhashable junk: the linking hashes as before
                self.failed = True
        for n, codes in segments:
            self.rows += n
            if self.failed:
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
