"""The frame's object block is made by moving the column parts' references
(``_moved.move_columns``): the same objects in the same places as taking copies would put
there, every reference count as it was, parts that something else can see left intact,
and the copying path (its fallback) giving the same frame."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from flink_agents_nb.eventlog.columns import _assembly, _moved
from flink_agents_nb.eventlog.columns._arrays import addresses
from flink_agents_nb.eventlog.columns._columns import _Columns
from flink_agents_nb.eventlog.files import _files, _parallel
from flink_agents_nb.eventlog.files._files import LogProblem, list_log_files
from flink_agents_nb.eventlog.typed._vocab import Vocabulary
from tests.helpers.log_makers import MAKERS


class Value:
    """A value whose references are counted by the test alone."""

    def __init__(self, i: int) -> None:
        self.i = i

    def __repr__(self) -> str:
        return f"V{self.i}"


def _parts(values: list[Any], cuts: list[int]) -> list[np.ndarray]:
    parts = []
    for lo, hi in zip([0, *cuts], [*cuts, len(values)], strict=True):
        part = np.empty(hi - lo, dtype=object)
        part[:] = values[lo:hi]
        parts.append(part)
    return parts


def _counts(values: list[Any]) -> list[int]:
    """The reference counts of ``values`` (``None``'s: 0, it is everybody's)."""
    return [0 if v is None else sys.getrefcount(v) for v in values]


@pytest.fixture
def declined(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The parts not moved but copied (their positions in their column)."""
    seen: list[int] = []
    real = _moved._movable

    def movable(parts: list[Any], i: int) -> bool:
        ok = real(parts, i)  # (the count of parts[i] is the same from here)
        if not ok:
            seen.append(i)
        return ok

    monkeypatch.setattr(_moved, "_movable", movable)
    return seen


@pytest.mark.parametrize("ordered", [True, False])
def test_moving_puts_the_same_objects_and_keeps_every_count(
    ordered: bool, declined: list[int]
) -> None:
    n = 50
    values: list[Any] = [Value(i) for i in range(n)]
    values[7] = values[3]  # one object twice
    values[11] = values[12] = None
    nones = _parts([None] * n, [20])  # (3: None only: left as they are, freed)
    columns = [_parts(values, [10, 25]), [], _parts(values[::-1], []), nones]  # (1: no parts)
    want_counts = _counts(values)  # the parts' references included
    order = np.random.default_rng(3).permutation(n) if ordered else None
    block = _moved.move_columns(columns, order, n)
    assert not declined  # moved, not copied
    assert all(not parts for parts in columns)  # consumed (and freed)
    assert block is not None and block.shape == (4, n) and block.dtype == object
    want = np.asarray(values, dtype=object)
    reversed_ = np.asarray(values[::-1], dtype=object)
    if order is not None:
        want, reversed_ = want[order], reversed_[order]
    assert (addresses(block[0]) == addresses(want)).all()  # the very objects
    assert (addresses(block[1]) == id(None)).all()
    assert (addresses(block[2]) == addresses(reversed_)).all()
    assert (addresses(block[3]) == id(None)).all()
    del want, reversed_
    assert _counts(values) == want_counts  # the block holds what the parts held
    del block  # two references per value: one per column
    held = [2 * sum(w is v for w in values) for v in values]
    assert _counts(values) == [c - (h if v is not None else 0) for c, h, v in zip(
        want_counts, held, values, strict=True)]  # fmt: skip


def _move_some(values: list[Any]) -> None:
    nones = _parts([None] * 30, [10])
    block = _moved.move_columns([_parts(values, [4]), [], nones], np.arange(30)[::-1].copy(), 30)
    assert block is not None


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None's count is immortal from 3.12")
def test_none_keeps_its_count() -> None:
    values = [Value(i) if i % 3 else None for i in range(30)]
    _move_some(values)  # (once first: whatever is made once holds its Nones)
    before = sys.getrefcount(None)
    _move_some(values)
    after = sys.getrefcount(None)  # (pytest's assert holds Nones of its own)
    assert after == before


def test_parts_seen_elsewhere_are_copied_not_emptied(declined: list[int]) -> None:
    values = [Value(i) for i in range(12)]
    base = np.asarray(values, dtype=object)
    held = _parts(values, [3])[0]  # referred to from here too
    strided = np.repeat(base, 2)[::2]  # a view with strides
    columns = [[held, base[3:9], base[9:]], [strided], _parts(values, [6])]  # views of base
    block = _moved.move_columns(columns, None, 12)
    assert block is not None and all(row.tolist() == values for row in block)
    assert declined == [0, 1, 2, 0]  # the third column's parts were nobody else's: moved
    assert held.tolist() == values[:3] and base.tolist() == values  # left intact
    assert strided.tolist() == values


def test_the_same_part_twice_is_moved_once(declined: list[int]) -> None:
    values = [Value(i) for i in range(6)]
    part = np.asarray(values, dtype=object)
    parts = [part, part]
    del part
    counts = _counts(values)
    block = _moved.move_columns([parts], None, 12)
    assert declined == [0]  # the first seen twice: copied; then the second is alone
    assert block is not None and block[0].tolist() == values + values
    del parts
    assert [c + 1 for c in counts] == _counts(values)  # the block's two, the part's one
    del block
    assert [c - 1 for c in counts] == _counts(values)


@pytest.mark.parametrize(
    "order",
    [np.array([0, 1, 1, 3]), np.array([0, 1, 2]), np.array([0, 1, 2, 4]), np.array([-1, 0, 1, 2]),
     np.array([0.0, 1.0, 2.0, 3.0])],
)  # fmt: skip
def test_no_move_on_an_order_that_is_not_a_permutation(order: np.ndarray) -> None:
    values = [Value(i) for i in range(4)]
    parts = _parts(values, [2])
    assert _moved.move_columns([list(parts)], order, 4) is None
    assert [v for part in parts for v in part.tolist()] == values  # untouched


def test_no_move_on_parts_of_another_shape() -> None:
    values = [Value(i) for i in range(4)]
    two_d = np.asarray(values, dtype=object).reshape(2, 2)
    assert _moved.move_columns([[two_d]], None, 4) is None
    assert _moved.move_columns([[values]], None, 4) is None  # a list
    assert _moved.move_columns([_parts(values, [])], None, 5) is None  # rows missing


def test_numbers_are_moved_as_objects_of_their_own() -> None:
    floats = np.arange(4, dtype=np.float64)
    block = _moved.move_columns([[floats]], np.array([3, 2, 1, 0]), 4)
    assert block is not None and block[0].tolist() == [3.0, 2.0, 1.0, 0.0]
    assert floats.tolist() == [0.0, 1.0, 2.0, 3.0]  # a copy was moved


@pytest.mark.parametrize("when", ["before", "after"])
def test_an_interrupt_around_the_take_leaves_every_count_right(
    when: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A KeyboardInterrupt raised as the take returns (as a signal's is) finishes the
    exchange (the parts give their references up); raised before the take, nothing was
    exchanged. Either way every count is right once the parts are gone."""
    values = [Value(i) for i in range(20)]
    columns = [_parts(values, [5])]
    parts = columns[0]
    want_counts = _counts(values)
    real = _moved._take

    def take(*args: Any, **kwargs: Any) -> Any:
        if when == "after":
            real(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(_moved, "_take", take)
    with pytest.raises(KeyboardInterrupt):
        _moved.move_columns(columns, np.arange(20)[::-1].copy(), 20)
    del take
    assert [v for part in parts for v in part.tolist()] == (
        values if when == "before" else [None] * 20
    )
    del parts, columns
    assert _counts(values) == [c - 1 for c in want_counts]  # the parts' (or the block's)


@pytest.fixture
def _small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_files, "CHUNK_BYTES", 4 << 10)
    monkeypatch.delenv(_parallel.WORKERS_ENV, raising=False)


def _columns(path: Path, workers: int) -> _Columns:
    problems: list[LogProblem] = []
    columns = _Columns()
    _parallel.read_files(
        list_log_files(path, problems), columns, problems, Vocabulary(), workers, 0
    )
    return columns


@pytest.mark.usefixtures("_small_chunks")
@pytest.mark.parametrize(("kind", "workers"), [("ours", 2), ("trace", 2), ("trace", 1)])
def test_the_frame_made_by_copies_is_the_same(
    kind: str, workers: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where moving declines, the block is made by copies: the same frame, holding the
    same objects; and every part the reader made (the worker's too) was moved."""
    MAKERS[kind](tmp_path, 1200)
    columns = _columns(tmp_path, workers)
    read = columns.parts
    declined: list[int] = []
    real = _moved._movable

    def movable(parts: list[Any], i: int) -> bool:
        ok = real(parts, i)
        if not ok:
            declined.append(i)
        return ok

    def frame(copies: bool) -> pd.DataFrame:
        columns.parts = read if not copies else {k: [p.copy() for p in v] for k, v in read.items()}
        return columns.frame()

    with monkeypatch.context() as patch:
        patch.setattr(_moved, "_movable", movable)
        want_objects = frame(copies=True)
        moved = frame(copies=False)  # the parts as read
    assert not declined
    monkeypatch.setattr(_assembly, "move_columns", lambda *args: None)
    columns.parts = {}
    copied = _columns(tmp_path, workers).frame()
    pd.testing.assert_frame_equal(moved, copied, check_exact=True)
    assert list(moved.dtypes) == list(copied.dtypes)
    assert moved._mgr.nblocks == copied._mgr.nblocks
    for name, values in want_objects.items():
        if values.dtype == object:
            assert (addresses(moved[name].to_numpy()) == addresses(values.to_numpy())).all()
