"""Ids and kinds of a record frame's columns as integer codes, for column-wise linking.

The trace linking (:mod:`.trace._trace_link`) and the lineage check (:mod:`.._lineage`) match
records by id over a million rows. Hashing the id strings is most of their cost, so each id
column is hashed once into codes, and every match then runs on integers (``np.unique``,
``searchsorted``, fancy indexing). Missing values (``None``, the frame's contract; NaN too)
get code -1, which never matches.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from flink_agents_nb.eventlog.columns._arrays import addresses, is_none

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


#: The id columns the reading processes number per row (``_numbering.RowIds``), by family:
#: ids are matched within their family (an event's id with upstream and handled ids, an
#: execution id with parent ids; a trace's input run id), never across families.
ID_FAMILIES: dict[str, tuple[str, ...]] = {
    "event": ("event_id", "upstream_event_id"),
    "execution": ("execution_id", "parent_execution_id"),
    "run": ("run_id",),
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
