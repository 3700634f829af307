"""A chunk's decoded structs read from their memory (``eventlog/typed/_slots.py``): the
columns built from it (each shape: trace, ours, nested) equal those of the ``astuple`` path
in values, dtypes and which values are one object; every reference it takes is owned; and
what it cannot read falls back."""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pandas as pd
import pytest

from flink_agents_nb.eventlog.columns._arrays import addresses
from flink_agents_nb.eventlog.files import _files
from flink_agents_nb.eventlog.typed import _slots, _typed
from flink_agents_nb.eventlog.typed._typed_columns import _trace_records, typed_columns
from flink_agents_nb.eventlog.typed._vocab import Vocabulary
from tests.notebook.test_reader_typed_path import _nested, _ours, _trace, _write
from tests.notebook.test_trace_chunk import _upstream


def _records() -> list[dict[str, Any]]:
    """0.4 records as upstream writes them and the generator's (placed ones, odd keys),
    with null, absent and empty metadata and a record placed by ``subtaskIndex``."""
    records = _upstream(400) + _trace(240)
    for i, rec in enumerate(records[::7]):
        if i % 3 == 0:
            rec["entityMetadata"] = None
        elif i % 3 == 1:
            rec.pop("entityMetadata", None)
        else:
            rec["entityMetadata"] = {}
    records[5]["subtaskIndex"] = 2
    return records


def _chunks(path: Path, kind: str = "trace") -> list[list[Any]]:
    """The structs of each chunk of ``path`` as the reader decodes them (values learned
    over the chunks: the struct types of a read of its own, and the plain ones)."""
    return [c.records for c in _files.read_records(path, [], Vocabulary()) if c.kind == kind]


def _sharing(column: np.ndarray) -> list[int]:
    """Which rows hold one object: the codes of the objects' addresses."""
    return pd.factorize(addresses(column))[0].tolist()


def _assert_same(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    assert list(got) == list(want)
    for name, column in want.items():
        assert got[name].dtype == column.dtype, name
        assert pd.Series(got[name]).equals(pd.Series(column)), name
        if column.dtype == object and name != "attributes":  # (cells: new objects each)
            assert _sharing(got[name]) == _sharing(column), name


@pytest.mark.parametrize(
    ("kind", "make", "name"),
    [("trace", _records, "traces-j-agent-0.log"), ("ours", lambda: _ours(600), "events-a.log"),
     ("nested", lambda: _nested(600), "events-b.log")],
)  # fmt: skip
def test_columns_from_memory_equal_the_astuple_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, make: Any, name: str
) -> None:
    monkeypatch.setattr(_files, "CHUNK_BYTES", 20_000)
    chunks = _chunks(_write(tmp_path / name, make()), kind)
    assert len(chunks) > 5 and len({type(c[0]) for c in chunks}) >= 2  # plain and learned
    read: list[Any] = []
    fields = _slots.fields

    def spy(*args: Any) -> Any:
        read.append(fields(*args))
        return read[-1]

    monkeypatch.setattr("flink_agents_nb.eventlog.typed._typed_columns.fields", spy)
    monkeypatch.setattr("flink_agents_nb.eventlog.typed._slots.fields", spy)
    for records in chunks:
        read.clear()
        monkeypatch.setattr(_slots, "ENABLED", True)
        got = typed_columns(kind, records)
        assert len(read) == (1 if kind == "ours" else 2)  # (the records; metadata, events)
        assert all(isinstance(f, _slots.Fields) for f in read)
        monkeypatch.setattr(_slots, "ENABLED", False)
        want = typed_columns(kind, records)
        for got_part, want_part in zip(got, want, strict=True):
            assert (got_part is None) is (want_part is None)
            if want_part is not None:
                assert got_part is not None
                _assert_same(got_part, want_part)


def test_every_reference_taken_is_owned(tmp_path: Path) -> None:
    """The columns hold their values after the structs are freed, and freeing the columns
    gives every reference back (no value freed early, none kept)."""
    records = _chunks(_write(tmp_path / "traces-j-agent-0.log", _records()))[0]
    meta = next(r.entityMetadata for r in records if r.entityType == "event" and r.entityMetadata)
    held = [records[3].inputRunId, records[3].timestamp, meta.eventId, _typed.NO_META]
    gc.collect()  # (the read's other struct types, holding NO_META as their default)
    before = [sys.getrefcount(v) for v in held]
    cols, trace = _trace_records(records)
    del cols, trace
    gc.collect()
    assert [sys.getrefcount(v) for v in held] == before
    want = [(r.inputRunId, r.executionId) for r in records]
    cols, trace = _trace_records(records)
    del records, meta, held
    gc.collect()
    assert list(zip(trace["run_id"], trace["execution_id"], strict=True)) == want
    assert [len(str(v)) for v in cols["event_id"]]  # each still a live object


class _Pair(msgspec.Struct, gc=False):
    a: Any = None
    b: Any = None


class _Other(msgspec.Struct, gc=False):
    b: Any = None
    c: Any = None
    a: Any = None


class _Plain:
    __slots__ = ("a", "b")

    def __init__(self, a: Any = None, b: Any = None) -> None:
        self.a, self.b = a, b


def test_what_is_not_such_a_struct_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    pair = [_Pair("x", 1), _Pair(None, [2])]
    found = _slots.fields(pair)
    assert found is not None and found.objects("a").tolist() == ["x", None]
    assert found.take("b", np.array([1]))[0] is pair[1].b
    assert _slots.layout(_Plain) is None and _slots.layout(int) is None
    assert _slots.fields([_Plain("x")]) is None  # not a msgspec struct
    assert _slots.fields([pair[0], "x"]) is None  # one of them not a struct
    assert _slots.fields([pair[0], _Other()]) is None  # structs of two layouts
    assert _slots.fields([]) is None
    monkeypatch.setattr(_slots, "ENABLED", False)
    assert _slots.fields(pair) is None
    table = _slots.table(pair, ("a", "b"))  # then laid out by astuple: the same columns
    assert isinstance(table, _slots.Tuples)
    assert table.objects("a").tolist() == ["x", None] and table.take("b", np.array([1]))[0] == [2]
    assert table.chosen(np.array([True, False]), "a", "b").tolist() == ["x", [2]]
    assert (table.at("a") == [id("x"), id(None)]).all()


def test_a_chunk_read_both_ways_gives_the_same_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flink_agents_nb.eventlog._load import load_log

    path = tmp_path / "traces-j-agent-0.log"
    path.write_text("".join(json.dumps(r) + "\n" for r in _records()), encoding="utf-8")
    monkeypatch.setattr(_slots, "ENABLED", False)
    want = load_log(path).frame
    monkeypatch.setattr(_slots, "ENABLED", True)
    pd.testing.assert_frame_equal(load_log(path).frame, want)


def test_objects_from_addresses_of_any_count() -> None:
    """Small and large counts (buffers kept per size, a large one not kept); the kept
    buffers hold no address of what was read once done."""
    for n in (1, 3, 1000, (1 << 16) + 5):
        values = [f"v{i}" for i in range(n)]
        got = _slots._as_objects(np.array([id(v) for v in values], dtype=np.intp))
        assert got.tolist() == values and all(a is b for a, b in zip(got, values, strict=True))
    assert max(_slots._BORROWED) <= _slots._KEPT
    for padded, _ in _slots._BORROWED.values():
        assert (padded == id(None)).all()
