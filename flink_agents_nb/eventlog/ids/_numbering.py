"""A read's ids numbered by the process that read them, so no id is hashed after the read.

Matching records by id (the trace linking, the lineage check) needs the id columns as codes
(equal ids, equal codes: see :mod:`._ids`). Each process numbers the ids of the rows it
read as its read ends (:class:`RowIds`): the reader while its worker still reads, the worker
before it sends its part, with its codes, its distinct ids and their keys
(:class:`WorkerIds`). The reader then looks the worker's keys up in its own (ids on both
sides are compared) and remaps the worker's codes (:meth:`Numbering.merge`). The ids of one
family (:data:`._ids.ID_FAMILIES`) share a numbering.

How, on a million rows (ids scattered over the heap of the records read, each a cache miss
away): a run of rows holding one object (the reader's shared columns: a trace's run id,
parent execution id) is numbered once, by address; the strings' identities are read from
their memory in numpy gathers (:mod:`._strkeys`: length and words, mixed into a 64-bit key),
numbered as integers (pandas' ``Int64HashTable``), and every value numbered with another
object's key is compared with it word for word: exact, no Python call per value. Values
without a key (not ASCII strings of up to :data:`._strkeys.MAX_CHARS` characters: numbers,
long or non-ASCII strings) are numbered exactly in a dict; values whose key another value
has (a key collision) too. Missing values (``None``, NaN: ``pd.isna``) get -1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from pandas._libs.hashtable import Int64HashTable, Int64Vector
from pandas._libs.lib import is_string_array

from flink_agents_nb.eventlog.columns._arrays import addresses, joined
from flink_agents_nb.eventlog.ids._column_rows import ColumnRows
from flink_agents_nb.eventlog.ids._ids import ID_COLUMNS, ID_FAMILIES
from flink_agents_nb.eventlog.ids._strkeys import (
    BLOCK,
    keys_of,
    object_words,
    readable,
    same_words,
    text_words,
)
from flink_agents_nb.eventlog.ids._worker_ids import WorkerIds, probe_key

_NONE = id(None)
_NO_ROWS = np.zeros((0, 2), dtype=np.uint64)
Pick = Callable[[np.ndarray], np.ndarray]  # the values at some positions (object array)


class _Family:
    """One family's numbering: its values and their keys (0: none) in order of first sight
    (a value's code is its place), the table of keys (to the code of each key's first
    value), per code the address, length and words of its value side by side (one cache
    miss for the comparisons; written only for the codes in the table: no other row is
    read), and dicts of the values numbered by value."""

    def __init__(self) -> None:
        self.table: Any = None  # Int64HashTable: key -> code of its first value
        self.count = 0
        #: the values, or how to pick them (taken when asked for: the reader seldom asks)
        self.values: list[np.ndarray | tuple[Pick, np.ndarray]] = []
        self.keys: list[np.ndarray] = []
        #: per code: address, length, words (``uint64``; grown by doubling)
        self.rows = _NO_ROWS
        self.exact: dict[Any, int] = {}  # keyed values whose key a different value has
        self.others: dict[Any, int] = {}  # values without a key
        self.expect = 0  # how many values it may see (its arrays are sized once for them)

    def add(
        self,
        values: np.ndarray | tuple[Pick, np.ndarray],
        keys: np.ndarray,
        addrs: np.ndarray | None = None,
        lens: np.ndarray | None = None,
        words: np.ndarray | None = None,
    ) -> np.ndarray:
        """Give ``values`` (or ``(pick, positions)``: the values ``pick(positions)``, alive
        meanwhile) the next codes (returned); ``addrs``, ``lens``, ``words``: theirs, for
        values put in the table (compared with later), else they get no row."""
        n, at = len(keys), self.count
        if addrs is not None and lens is not None and words is not None:
            self._note(at, addrs, lens, words)
        self.values.append(values)
        self.keys.append(keys)
        self.count += n
        return np.arange(at, at + n, dtype=np.intp)

    def _note(self, at: int, addrs: np.ndarray, lens: np.ndarray, words: np.ndarray) -> None:
        """Write the rows of codes ``at...`` (the rows are zeros until written: a row is
        written once, and pages never written cost no memory)."""
        n, had = len(addrs), len(self.rows)
        width = max(self.rows.shape[1], 2 + words.shape[1])
        if at + n > had or width > self.rows.shape[1]:
            size = max(2 * had, at + n, self.expect, 1024)
            grown = np.zeros((size, width), dtype=np.uint64)
            grown[: min(at, had), : self.rows.shape[1]] = self.rows[:at]
            self.rows = grown
        mine = self.rows[at : at + n]
        mine[:, 0], mine[:, 1] = addrs.view(np.uint64), lens.view(np.uint64)
        mine[:, 2 : 2 + words.shape[1]] = words

    def taken(self, i: int) -> np.ndarray:
        """The values of the ``i``-th :meth:`add` (picked now if not yet)."""
        part = self.values[i]
        if isinstance(part, tuple):
            pick, positions = part
            part = self.values[i] = pick(positions)
        return part

    def values_at(self, codes: np.ndarray) -> np.ndarray:
        """The values of ``codes`` (increasing or not), picking only those."""
        sizes = [len(p) if isinstance(p, np.ndarray) else len(p[1]) for p in self.values]
        bounds = np.cumsum([0, *sizes])
        which = np.searchsorted(bounds, codes, side="right") - 1
        out = np.empty(len(codes), dtype=object)
        for i in np.unique(which).tolist():
            rows = np.flatnonzero(which == i)
            part, at = self.values[i], codes[rows] - bounds[i]
            if isinstance(part, np.ndarray):
                out[rows] = part[at]
            else:  # (a pick takes increasing positions)
                order = np.argsort(at, kind="stable")
                out[rows[order]] = part[0](part[1][at[order]])
        return out

    def by_value(self, table: dict[Any, int], values: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """Codes of ``values`` numbered by value in ``table`` (new ones added; raises
        ``TypeError`` on unhashable values)."""
        codes = np.empty(len(values), dtype=np.intp)
        for i, value in enumerate(values.tolist()):
            code = table.get(value)
            if code is None:
                code = table[value] = int(self.add(values[i : i + 1], keys[i : i + 1])[0])
            codes[i] = code
        return codes


class Numbering:
    """Id values numbered as they come, per family of :data:`ID_FAMILIES`: equal values
    (Python's ``==``) get equal codes 0, 1, 2... (a value's code is its place in
    :meth:`distinct`), missing ones (``None``, NaN) -1. Raises ``TypeError`` on unhashable
    values. Every value's key is kept, for :meth:`merge`."""

    def __init__(self) -> None:
        self._families = {family: _Family() for family in ID_FAMILIES}
        self.merged = False  # after merge(): its new values are in no table
        #: per family: whether every value numbered is a ``str`` (kept by :func:`number_part`)
        self.strings = dict.fromkeys(ID_FAMILIES, True)

    def number(self, family: str, values: np.ndarray, expect: int = 0) -> np.ndarray:
        """Codes (``intp``) of the object array ``values``; ``expect``: how many values the
        family may see in all (its table is sized once: growing it rehashes everything).
        Not after :meth:`merge` (``merged``: the values it numbered are in no table)."""
        addrs = addresses(values)
        given = np.flatnonzero(addrs != _NONE)
        codes = np.full(len(values), -1, dtype=np.intp)
        if len(given):
            codes[given] = self.number_at(
                family, addrs[given], lambda rows: values[given[rows]], expect
            )
        return codes

    def number_at(self, family: str, addrs: np.ndarray, pick: Pick, expect: int = 0) -> np.ndarray:
        """Codes of the values at ``addrs`` (live objects, no ``None``), as :meth:`number`;
        ``pick``: the values at some (increasing) positions of ``addrs``. A block at a
        time: the strings read from their memory, keyed, numbered by key and compared."""
        fam = self._families[family]
        codes = np.full(len(addrs), -1, dtype=np.intp)
        slow = []
        for at in range(0, len(addrs), BLOCK):
            block = addrs[at : at + BLOCK]
            ok, lens, words = object_words(block)
            rows = np.arange(at, at + len(block))
            if not ok.all():
                slow.append(rows[~ok])
                rows, block, lens, words = rows[ok], block[ok], lens[ok], words[ok]
            if len(rows):
                codes[rows] = self._keyed(fam, block, lens, words, _at(pick, rows), expect)
        if slow:  # rare: strings made otherwise, numbers, long or non-ASCII strings
            rest = np.concatenate(slow)
            values = pick(rest)
            text = np.array([readable(v) for v in values.tolist()], dtype=bool)
            if text.any():  # keyed as those read
                some = values[text]
                tlens, twords = text_words(some.tolist())
                rows = rest[text]
                codes[rows] = self._keyed(fam, addrs[rows], tlens, twords, some.__getitem__, expect)
            if not text.all():
                codes[rest[~text]] = self._unkeyed(fam, values[~text])
        return codes

    def _keyed(
        self,
        fam: _Family,
        addrs: np.ndarray,
        lens: np.ndarray,
        words: np.ndarray,
        pick: Pick,
        expect: int,
    ) -> np.ndarray:
        """Codes of values by their lengths and words: by key, then compared with the
        first value of their key where another object; those that differ (another value
        with that key) numbered by value."""
        keys = keys_of(lens, words)
        if fam.table is None:
            fam.table = Int64HashTable(max(expect, len(keys), 1))
            fam.expect = expect
        start = fam.count
        codes: np.ndarray = fam.table.get_labels(keys, Int64Vector(), start, -1)
        top = np.maximum.accumulate(np.maximum(codes, start - 1))  # a new code (>= start)
        first = np.flatnonzero(np.diff(top, prepend=start - 1) > 0)  # first shows as a new top
        if len(first):
            fam.add((pick, first), keys[first], addrs[first], lens[first], words[first])
        theirs = fam.rows[codes]
        check = np.flatnonzero(addrs.view(np.uint64) != theirs[:, 0])  # one object: one value
        if len(check):
            theirs = theirs[check]
            same = (lens[check].view(np.uint64) == theirs[:, 1]) & same_words(
                words[check], theirs[:, 2:]
            )
            bad = check[~same]
            if len(bad):
                codes[bad] = fam.by_value(fam.exact, pick(bad), keys[bad])
        return codes

    @staticmethod
    def _unkeyed(fam: _Family, values: np.ndarray) -> np.ndarray:
        codes = np.full(len(values), -1, dtype=np.intp)
        given = np.flatnonzero(~pd.isna(values))
        if len(given):
            codes[given] = fam.by_value(fam.others, values[given], np.zeros(len(given), np.int64))
        return codes

    def distinct(self, family: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """The values numbered in ``family`` with codes ``start`` to ``stop`` (``None``:
        the last), at their codes."""
        fam = self._families[family]
        return joined([fam.taken(i) for i in range(len(fam.values))], object)[start:stop]

    def value_keys(self, family: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """The keys of :meth:`distinct` (``int64``; 0: a value without one)."""
        return joined(self._families[family].keys, np.int64)[start:stop]

    def done(self) -> None:
        """Nothing is numbered or merged after: the tables and rows (the memory that only
        numbering more needs: tens of MB on a million ids) are freed; :meth:`distinct`,
        :meth:`value_keys` and :meth:`size` still answer."""
        self.merged = True
        for fam in self._families.values():
            fam.table, fam.rows = None, _NO_ROWS

    def size(self, family: str) -> int:
        """How many distinct values ``family`` has numbered."""
        return self._families[family].count

    def merge(self, family: str, values: np.ndarray, value_keys: np.ndarray) -> np.ndarray:
        """Codes of ``values`` (distinct, numbered elsewhere; ``value_keys``: their keys, 0
        for none): those whose key this numbering has are compared with its value of that
        key (and numbered by value when they differ), the others get new codes uncompared.
        Nothing can be numbered after (they are in no table)."""
        fam = self._families[family]
        self.merged = True
        fam.rows = _NO_ROWS  # (no value is compared with its words again)
        codes = np.empty(len(values), dtype=np.intp)
        keyed = np.flatnonzero(value_keys != 0)
        found = np.full(len(keyed), -1, dtype=np.intp)
        if len(keyed) and fam.table is not None:
            found = fam.table.lookup(value_keys[keyed])
        rows = keyed[found >= 0]
        if len(rows):  # ids on both sides, or one key only: compared
            at = found[found >= 0]
            mine = fam.values_at(at)
            pairs = zip(values[rows].tolist(), mine.tolist(), strict=True)
            same = np.array([a == b for a, b in pairs], dtype=bool)
            codes[rows[same]] = at[same]
            bad = rows[~same]
            codes[bad] = fam.by_value(fam.exact, values[bad], value_keys[bad])
        fresh = keyed[found < 0]
        codes[fresh] = fam.add(values[fresh], value_keys[fresh])
        unkeyed = np.flatnonzero(value_keys == 0)
        codes[unkeyed] = self._unkeyed(fam, values[unkeyed])
        return codes


def _at(pick: Pick, rows: np.ndarray) -> Pick:
    """``pick`` of ``rows[positions]``."""
    return lambda positions: pick(rows[positions])


Part = tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray], set[str]]


def worker_part(
    rows: RowIds,
    before: dict[str, int],
    parts: dict[str, list[Any]],
    after: dict[str, int] | None = None,
) -> Part | None:
    """What a worker sends of the ids of a part it read (``parts``, a ``_Columns.parts``,
    numbered into ``rows``, whose numbering is shared by the worker's parts and had
    ``before`` values per family before this part, ``after`` after it: ``None``, this part
    was the last numbered): codes per id column (``int32``), the
    values this part added and their keys, per family, and the id columns that may be sent
    as their codes only (every value a ``str`` or ``None``: rebuilt equal from the distinct
    values); ``None`` when a value was not hashable."""
    codes = rows.codes()
    if codes is None:
        return None
    numbering = rows.numbering
    stop = dict.fromkeys(ID_FAMILIES, None) if after is None else after
    distinct = {f: numbering.distinct(f, before[f], stop[f]) for f in ID_FAMILIES}
    value_keys = {f: numbering.value_keys(f, before[f], stop[f]) for f in ID_FAMILIES}
    value_keys[""] = probe_key()
    coded = set()
    for family, names in ID_FAMILIES.items():
        new = distinct[family]
        numbering.strings[family] &= not len(new) or bool(is_string_array(new, skipna=False))
        for name in names:
            column = parts.get(name)
            if not column or not numbering.strings[family]:
                continue
            at = np.concatenate(list(map(addresses, column)))  # (not the objects: a miss each)
            if len(at) == len(codes[name]) and (at[codes[name] < 0] == id(None)).all():
                coded.add(name)  # (NaN, say, would come back None)
    return (
        {name: codes[name].astype(np.int32) for name in ID_COLUMNS},
        distinct,
        value_keys,
        coded,
    )


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
        column a list of arrays holding its last rows; rows before them are missing). A run
        of rows holding one object is numbered once; ``None`` by address."""
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
                    self.parts[name].append(
                        self._codes(family, ColumnRows(parts.get(name, []), total, start))
                    )
        except TypeError:  # unhashable junk: the linking hashes (and meets it) as before
            self.failed = True

    def _codes(self, family: str, column: ColumnRows) -> np.ndarray:
        addrs = column.addresses()
        codes = np.full(len(addrs), -1, dtype=np.intp)
        given = addrs != _NONE
        runs = given.copy()  # where a run of one object starts
        runs[1:] &= addrs[1:] != addrs[:-1]
        starts = np.flatnonzero(runs)
        if not len(starts):
            return codes
        got = self.numbering.number_at(
            family, addrs[starts], lambda rows: column.pick(starts[rows]), self.expect
        )
        if len(starts) == len(addrs):
            return got
        codes[given] = got[np.cumsum(runs)[given] - 1]
        return codes

    def add_numbered(self, segments: list[tuple[int, Any]], worker: WorkerIds | None) -> None:
        """Append rows numbered by a worker: per segment, its rows and its codes per id
        column (checked by ``worker``: ``None`` when not given or not fitting, ``failed``
        then); only the worker's ids whose keys this numbering has are compared."""
        if worker is None:
            self.failed = True
        if not self.failed:
            assert worker is not None
            try:
                remap = {
                    family: np.append(
                        self.numbering.merge(family, worker.distinct[family], worker.keys[family]),
                        -1,
                    )
                    for family in ID_FAMILIES
                }
            except TypeError:  # unhashable junk: the linking hashes as before
                self.failed = True
        self.numbering.done()  # (its tables go before the frame is built)
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
