"""The reader's frame is assembled in its final order (``_Columns.frame``): the same frame,
to the value, dtype, column and index, as the frame built in the order read and then taken
in time order (or in an order given), whatever the chunks: ties in time, missing times,
files already in order, chunks from the worker process, trace and other records mixed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from flink_agents_nb.eventlog.columns._arrays import ints
from flink_agents_nb.eventlog.columns._columns import _Columns, time_order
from flink_agents_nb.eventlog.files import _files, _parallel
from flink_agents_nb.eventlog.files._files import LogProblem, list_log_files
from flink_agents_nb.eventlog.typed._vocab import Vocabulary
from tests.helpers.log_makers import MAKERS

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "eventlog_corpus"


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_files, "CHUNK_BYTES", 4 << 10)  # many chunks, parts per column
    monkeypatch.delenv(_parallel.WORKERS_ENV, raising=False)


def _read(path: Path, workers: int = 1) -> tuple[_Columns, list[LogProblem]]:
    problems: list[LogProblem] = []
    files = list_log_files(path, problems)
    columns = _Columns()
    _parallel.read_files(files, columns, problems, Vocabulary(), workers, 0)
    if workers > 1:
        assert _parallel.last_read.how == "worker"
    return columns, problems


def _taken(frame: pd.DataFrame, order: np.ndarray | None) -> pd.DataFrame:
    """What the reader did before: the frame in the order read, taken."""
    if order is None:
        return frame
    frame = frame.take(order)
    frame.index = pd.RangeIndex(len(frame))
    return frame


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert list(got.dtypes) == list(want.dtypes)
    assert isinstance(got.index, pd.RangeIndex) and got.index.equals(want.index)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def _check(path: Path, workers: int = 1) -> pd.DataFrame:
    """The frame in final order equals the frame read then taken; returns it."""
    columns, problems = _read(path, workers)
    again, problems_again = _read(path, workers)
    assert [str(p) for p in problems] == [str(p) for p in problems_again]
    before = columns.time_order()  # from the parts, before any frame
    frame = columns.frame()
    as_read = again.frame(sort=False)
    assert again.order is None
    order = time_order(as_read)
    assert (before is None) == (order is None) and (order is None or (before == order).all())
    assert (columns.order is None) == (order is None)
    if order is not None:
        assert columns.order is not None and (columns.order == order).all()
    _same(frame, _taken(as_read, order))
    assert columns.files == again.files
    return frame


def _rec(ts: str | None, eid: str, sub: int, **more: Any) -> str:
    rec = {"recordType": "event", "eventId": eid, "eventType": "x", "subtaskIndex": sub}
    if ts is not None:
        rec["timestamp"] = ts
    return json.dumps({**rec, **more})


def test_ties_in_time_go_by_file_then_line_and_missing_times_last(tmp_path: Path) -> None:
    t = "2025-01-01T00:00:00.00000{}Z"
    (tmp_path / "events-j-t-0.log").write_text(
        "\n".join(
            [
                _rec(t.format(3), "a3", 0),
                _rec(None, "a-none", 0),
                _rec(t.format(1), "a1", 0, seq=2.5),  # earlier than the line above it
                _rec(t.format(3), "a3b", 0),
                _rec("not a time", "a-bad", 0),
            ]
        )
        + "\n"
    )
    (tmp_path / "events-j-t-1.log").write_text(
        "\n".join(
            [
                _rec(None, "b-none", 1),
                _rec(t.format(1), "b1", 1, attempt=2),
                _rec(t.format(3), "b3", 1),
            ]
        )
        + "\n"
    )
    frame = _check(tmp_path)
    assert frame["event_id"].tolist() == [
        *("a1", "b1", "a3", "a3b", "b3"),  # equal times: file 0 first, then by line
        *("a-none", "a-bad", "b-none"),  # no time: last, by file then line
    ]
    assert frame["timestamp"].isna().tolist() == [False] * 5 + [True] * 3
    assert frame["line"].tolist() == [3, 2, 1, 4, 3, 2, 5, 1]
    assert frame["attempt"].tolist()[1] == 2 and pd.isna(frame["seq"].iloc[0])  # 2.5: NA


def test_a_single_file_already_in_order_is_not_reordered(tmp_path: Path) -> None:
    source = CORPUS / "ours.log"
    columns, _ = _read(source)
    assert columns.time_order() is None
    frame = columns.frame()
    assert columns.order is None
    again, _ = _read(source)
    _same(frame, again.frame(sort=False))


@pytest.mark.parametrize("kind", ["ours", "nested", "trace"])
def test_chunks_from_both_processes(kind: str, tmp_path: Path) -> None:
    MAKERS[kind](tmp_path, 1600)  # overlapping subtask files: every row moves
    frame = _check(tmp_path, workers=2)
    assert len(frame) == 1600 and frame["timestamp"].is_monotonic_increasing


def _mixed(tmp_path: Path) -> Path:
    """Trace, our own, nested and broken records, chunk after chunk."""
    directory = tmp_path / "mixed"
    directory.mkdir()
    for kind, maker in (("ours", MAKERS["ours"]), ("trace", MAKERS["trace"])):
        (tmp_path / kind).mkdir()
        maker(tmp_path / kind, 300)
    for i, file in enumerate(sorted((tmp_path / "ours").iterdir())[:2]):
        shutil.copy(file, directory / f"a{i}-{file.name}")
    for i, file in enumerate(sorted((tmp_path / "trace").iterdir())[:2]):
        shutil.copy(file, directory / f"b{i}-{file.name}")
    for name in ("flink_agents_0_3_1.log", "malformed.log", "traces-4f1e2d3c-weather_agent-0.log"):
        shutil.copy(CORPUS / name, directory / f"c-{name}")
    return directory


@pytest.mark.parametrize("workers", [1, 2])
def test_trace_and_other_records_mixed(workers: int, tmp_path: Path) -> None:
    directory = _mixed(tmp_path)
    frame = _check(directory, workers)
    assert frame["entity_type"].notna().any() and frame["entity_type"].isna().any()


def test_an_order_given_from_outside(tmp_path: Path) -> None:
    """``frame(order=...)`` puts the rows in any permutation (the trace linking's own)."""
    directory = _mixed(tmp_path)
    columns, _ = _read(directory)
    again, _ = _read(directory)
    n = sum(len(part) for part in columns.parts["line"])
    order = np.random.default_rng(7).permutation(n)
    frame = columns.frame(order=order)
    assert columns.order is order
    _same(frame, _taken(again.frame(sort=False), order))
    with pytest.raises(AssertionError, match="rows"):
        _read(directory)[0].frame(order=order[1:])


def test_an_empty_log(tmp_path: Path) -> None:
    (tmp_path / "empty.log").write_text("")
    columns, _ = _read(tmp_path)
    assert columns.time_order() is None
    frame = columns.frame()
    assert frame.empty and str(frame["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert str(frame["subtask"].dtype) == "Int64" and isinstance(frame.index, pd.RangeIndex)


def test_ints_read_what_is_not_an_integer_as_missing() -> None:
    edges = [np.nan, np.inf, -np.inf, 2.0**63, -(2.0**63), 2.0**63 - 1024, -(2.0**63) + 1024]
    values = np.array([*edges, 1.5, -0.0, 0.0, 1e19, -1e19, 3.0, -7.0, 2.0**53 + 2])
    got = ints(values)
    finite = np.isfinite(values)
    with np.errstate(invalid="ignore"):
        valid = finite & (np.abs(values) < 2.0**63) & (values == np.trunc(values))
    assert got.isna().tolist() == (~valid).tolist()
    assert got[valid].tolist() == [int(v) for v in values[valid]]
    assert (got._data[~valid] == 0).all()


@pytest.mark.parametrize("read_by_file", [True, False])
def test_time_order_of_rows_in_any_order(read_by_file: bool) -> None:
    """By time, then file, then line, missing times last, whether the rows come by file and
    line (as read: one stable sort by time) or not (a frame in any order)."""
    rng = np.random.default_rng(3)
    n = 5000
    files = np.sort(rng.integers(0, 4, n)).astype(np.int32)
    lines = np.concatenate([np.arange(1, (files == f).sum() + 1) for f in range(4)])
    stamps = rng.integers(0, 50, n).astype("datetime64[ns]")  # many ties
    stamps[rng.random(n) < 0.05] = np.datetime64("NaT")
    if not read_by_file:
        shuffle = rng.permutation(n)
        files, lines, stamps = files[shuffle], lines[shuffle], stamps[shuffle]
    frame = pd.DataFrame(
        {
            "timestamp": pd.Series(stamps).dt.tz_localize("UTC"),
            "file": pd.Categorical.from_codes(files, categories=["a", "b", "c", "d"]),
            "line": lines,
        }
    )
    order = time_order(frame)
    key = stamps.view(np.int64).copy()
    key[np.isnat(stamps)] = np.iinfo(np.int64).max
    assert order is not None and (order == np.lexsort((lines, files, key))).all()
    again = time_order(frame.take(order))
    assert again is None or (again == np.arange(n)).all()  # in order: no row moves


def test_the_frame_without_pandas_block_api_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where pandas lacks the block API the frame is built by ``insert``: the same frame."""
    directory = _mixed(tmp_path)
    by_blocks = _read(directory)[0].frame()

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise TypeError("no block API here")

    monkeypatch.setattr("pandas.core.internals.api.make_block", refuse)
    _same(_read(directory)[0].frame(), by_blocks)


def test_ints_of_gaps_only_and_of_nothing() -> None:
    gaps = ints(np.full(5, np.nan))
    assert gaps.isna().all() and (gaps._data == 0).all() and gaps.dtype == "Int64"
    assert len(ints(np.zeros(0))) == 0


def test_more_files_than_small_codes_hold(tmp_path: Path) -> None:
    """130 files: file codes beyond int8 (pandas then keeps them as int16)."""
    for f in range(130):
        stamp = f"2025-01-01T00:00:{59 - f % 60:02d}.000000Z"  # later files not later
        (tmp_path / f"events-j-t-{f:03d}.log").write_text(_rec(stamp, f"e{f}", f) + "\n")
    frame = _check(tmp_path)
    assert frame["file"].cat.codes.dtype == np.int16 and len(frame) == 130
    assert frame["timestamp"].is_monotonic_increasing


@pytest.mark.parametrize("workers", [1, 2])
def test_per_row_arrays_beside_the_frame_follow_its_rows(workers: int, tmp_path: Path) -> None:
    """Parts added under a name that is no frame column (per-row codes, say) come out
    joined in the frame's order, from the worker's chunks too."""
    MAKERS["ours"](tmp_path, 1600)
    original = _Columns._note_file

    def note_file(self: _Columns, file: str, lines: Any) -> None:
        original(self, file, lines)
        rows = np.asarray(lines, dtype=np.int64) * 1000 + _digit(file)  # no file code:
        self.parts.setdefault("row_tag", []).append(rows)  # the worker numbers its own

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_Columns, "_note_file", note_file)
        columns, _ = _read(tmp_path, workers)
    frame = columns.frame()
    assert columns.order is not None
    tags = columns.beside["row_tag"]
    digits = np.array([_digit(str(f)) for f in frame["file"]])
    assert (tags == frame["line"].to_numpy() * 1000 + digits).all()


def _digit(file: str) -> int:
    """The subtask digit of a benchmark file's name (``...-agent-3.log``)."""
    return int(Path(file).stem[-1])
