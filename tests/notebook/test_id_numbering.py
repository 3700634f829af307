"""Ids numbered from the strings' memory (``_numbering`` over ``_strkeys``): the codes are
those of ``pd.factorize`` (equal values equal codes, missing -1, a value's code its place
among the distinct values) for strings of every length around the word boundaries, equal
strings that are other objects, strings that cannot be read from memory (subclasses, non
ASCII, too long), numbers, ``None``, NaN, runs of one object; when every key collides
(values compared and numbered by value); across blocks; when the layout is not read; and
through a worker's merge."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from flink_agents_nb.eventlog.columns._arrays import addresses
from flink_agents_nb.eventlog.ids import _numbering, _strkeys
from flink_agents_nb.eventlog.ids._ids import ID_FAMILIES
from flink_agents_nb.eventlog.ids._numbering import Numbering, RowIds, WorkerIds


class _Sub(str):
    pass


def _made(text: str) -> str:
    """An equal string that is another object (not interned, not a literal)."""
    return "".join([text[: len(text) // 2], text[len(text) // 2 :]]) if text else "".join([])


def _values() -> list[Any]:
    rng = np.random.default_rng(7)
    base = ["", "a", "ab", "x" * 7, "y" * 8, "z" * 9, "w" * 15, "v" * 16, "u" * 17]
    base += ["t" * 55, "s" * 63, "r" * 64, "q" * 200, "id-\x00", "id-", "id-\x00\x00"]
    base += ["é", "日本-1", "e-00001", "e-00002", "e-0000l", "e-00001 ", " e-00001"]
    base += [f"run-{i}-{j}-x1" for i in range(5) for j in range(3)]
    base += [f"{i:036x}" for i in range(30)]  # uuid-like, 5 words each
    values: list[Any] = []
    for i in rng.integers(0, len(base), size=1500).tolist():
        text = base[i]
        kind = int(rng.integers(0, 10))
        if kind == 0:
            values.append(_Sub(text))  # equal to the str: one code
        elif kind == 1:
            values.append(np.str_(text))
        elif kind < 5:
            values.append(_made(text))
        else:
            values.append(text)
    values += [None, float("nan"), np.nan, 7, 7.0, "7", True, 1, 2.5, None, pd.NA, None]
    order = rng.permutation(len(values))
    out = [values[i] for i in order]
    one = _made("run-shared-object")
    out[100:110] = [one] * 10  # a run of one object
    out[200:205] = [None] * 5
    return out


def _expected(values: list[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = [v.encode().decode() if isinstance(v, str) else v for v in values]  # exact strs
    codes, _ = pd.factorize(array, use_na_sentinel=True)
    return codes


def _same_partition(got: np.ndarray, expected: np.ndarray) -> None:
    assert got.tolist().count(-1) == expected.tolist().count(-1)
    assert ((got < 0) == (expected < 0)).all()
    given = expected >= 0
    pairs = set(zip(got[given].tolist(), expected[given].tolist(), strict=True))
    assert len(pairs) == len(set(got[given].tolist())) == len(set(expected[given].tolist()))


def _number(values: list[Any]) -> tuple[np.ndarray, Numbering]:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    numbering = Numbering()
    half = len(array) // 2  # two calls: the second meets the first's values
    codes = np.concatenate(
        [numbering.number("event", array[:half]), numbering.number("event", array[half:])]
    )
    return codes, numbering


def _check(values: list[Any]) -> None:
    codes, numbering = _number(values)
    _same_partition(codes, _expected(values))
    distinct = numbering.distinct("event")
    assert len(distinct) == codes.max() + 1  # one value per code, at its code
    given = codes >= 0
    assert all(d == v for d, v in zip(distinct[codes[given]], np.array(values)[given]))  # noqa: B905


def test_codes_are_those_of_factorize() -> None:
    _check(_values())


def test_strings_read_from_memory_as_from_their_text() -> None:
    made = [_made("k" * n + "-" + str(n)) for n in range(_strkeys.MAX_CHARS - 3)]
    array = np.array(made, dtype=object)
    ok, lens, words = _strkeys.object_words(addresses(array))
    assert ok.all() and _strkeys.LAYOUT_OK
    tlens, twords = _strkeys.text_words(made)
    assert lens.tolist() == [len(v) for v in made] == tlens.tolist()
    assert (words == twords[:, : words.shape[1]]).all() and not twords[:, words.shape[1] :].any()
    keys = _strkeys.keys_of(lens, words)
    assert (keys == _strkeys.keys_of(tlens, twords)).all()  # whatever the width
    odd = np.array([_Sub("a"), "é", "x" * 64, 5, b"bytes"], dtype=object)
    assert not _strkeys.object_words(addresses(odd))[0].any()


def test_every_key_colliding_still_numbers_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Values with one key (different ones: hash-equal but not equal) are compared and
    numbered by value."""

    def one_key(lens: np.ndarray, words: np.ndarray) -> np.ndarray:
        return np.full(len(lens), 12345, dtype=np.int64)

    monkeypatch.setattr(_numbering, "keys_of", one_key)
    _check(_values())


def test_small_blocks_and_no_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_numbering, "BLOCK", 7)  # first values in earlier blocks
    _check(_values())
    monkeypatch.setattr(_strkeys, "LAYOUT_OK", False)  # every value from its text
    _check(_values())


def test_unhashable_values_fail_the_rows_not_the_read() -> None:
    column = np.empty(40, dtype=object)
    column[:] = [f"id-{i}" for i in range(40)]
    column[33] = {"not": "hashable"}
    ids = RowIds()
    ids.number_rows({"event_id": [column[:20], column[20:]]}, 40)
    assert ids.failed and ids.codes() is None


def test_rows_numbered_from_column_parts() -> None:
    """``number_rows`` reads the columns' parts in place: rows before a column's first
    part are missing, runs of one object are numbered once, calls continue the rows."""
    values = _values()
    array = np.empty(len(values), dtype=object)
    array[:] = values
    ids = RowIds()
    parts: dict[str, list[Any]] = {name: [] for names in ID_FAMILIES.values() for name in names}
    parts["upstream_event_id"] = [array[:700], array[700:1000]]
    ids.number_rows(parts, 1000)
    parts["upstream_event_id"] += [array[1000:1200], array[1200:]]
    parts["event_id"] = [array[1100:]]  # event ids from row 1100 on only
    ids.number_rows(parts, len(array))
    codes = ids.codes()
    assert codes is not None
    up, ev = codes["upstream_event_id"], codes["event_id"]
    assert (ev[:1100] == -1).all()
    together = np.concatenate([up[:1000], up[1000:], ev[1100:]])
    expected = _expected(values[:1000] + values[1000:] + values[1100:])
    _same_partition(together, expected)
    assert (codes["run_id"] == -1).all() and len(codes["run_id"]) == len(array)


@pytest.mark.parametrize("collide", [False, True])
def test_merge_gives_the_codes_of_numbering_all_here(
    collide: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker's numbering (its distinct values, keys and codes) merged into the
    reader's: the codes of numbering both parts in one process."""
    if collide:
        monkeypatch.setattr(
            _numbering,
            "keys_of",
            lambda lens, words: (lens % 3) * 2 + 1,  # many collisions
        )
    values = _values()
    cut = 900
    mine, theirs = np.empty(cut, dtype=object), np.empty(len(values) - cut, dtype=object)
    mine[:], theirs[:] = values[:cut], values[cut:]
    reader, worker = RowIds(), RowIds(Numbering())
    reader.number_rows({"event_id": [mine]}, cut)
    worker.number_rows({"event_id": [theirs]}, len(theirs))
    part = _numbering.worker_part(worker, dict.fromkeys(ID_FAMILIES, 0), {"event_id": [theirs]})
    assert part is not None
    codes, distinct, keys, _ = part
    sent = WorkerIds.of([(codes, distinct, keys, len(theirs))])
    assert sent is not None
    reader.add_numbered([(len(theirs), codes)], sent)
    got = reader.codes()
    assert got is not None
    _same_partition(got["event_id"], _expected(values))


def test_merged_values_get_no_rows_and_the_tables_go_after() -> None:
    """Only numbering more reads the rows (words for the comparisons) and the tables: a
    worker's values merged are given none, and both are freed once the worker's rows are
    in (memory: a row is ~56 bytes per id, a table ~32 bytes); numbering after that is
    refused (the codes fall back to hashing), never wrong."""
    mine = np.array([f"{i:036x}" for i in range(3000)], dtype=object)
    theirs = np.array([f"{i:036x}" for i in range(2000, 6000)], dtype=object)
    reader, worker = RowIds(), RowIds(Numbering())
    reader.number_rows({"event_id": [mine]}, len(mine))
    worker.number_rows({"event_id": [theirs]}, len(theirs))
    family = reader.numbering._families["event"]
    assert family.rows.nbytes >= 3000 * 8 * 7  # address, length, 5 words per id
    part = _numbering.worker_part(worker, dict.fromkeys(ID_FAMILIES, 0), {"event_id": [theirs]})
    assert part is not None
    sent = WorkerIds.of([(part[0], part[1], part[2], len(theirs))])
    assert sent is not None
    codes = reader.numbering.merge("event", sent.distinct["event"], sent.keys["event"])
    assert family.rows.nbytes == 0 and family.count == 6000
    assert (codes[:1000] == np.arange(2000, 3000)).all()  # ids on both sides: the reader's
    assert (codes[1000:] == np.arange(3000, 6000)).all()
    again = RowIds()
    again.number_rows({"event_id": [mine]}, len(mine))
    again.add_numbered([(len(theirs), part[0])], sent)
    assert all(f.table is None and not f.rows.size for f in again.numbering._families.values())
    got = again.codes()
    assert got is not None
    expected = np.concatenate([np.arange(3000), np.arange(2000, 6000)])
    assert (got["event_id"] == expected).all()
    again.number_rows({"event_id": [mine, theirs]}, 10000)  # more rows after: refused
    assert again.failed and again.codes() is None
