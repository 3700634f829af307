"""The serial steps after a trace log is read write into the reader's own frame: the
job, task and subtask taken from file names go into its arrays in place (its object block
stays one block), and the record and entity types told apart before the frame was built
serve the linking and the lineage check. The results are those of the copying paths."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from flink_agents_nb.eventlog import _load
from flink_agents_nb.eventlog._attributes import EMPTY, plain
from flink_agents_nb.eventlog._lineage import check_links
from flink_agents_nb.eventlog._load import load_log
from flink_agents_nb.eventlog.ids._ids import Kinds
from flink_agents_nb.eventlog.trace import _trace, _trace_link
from tests.helpers.log_makers import MAKERS

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "eventlog_corpus"


def _object_blocks(frame: pd.DataFrame) -> int:
    return sum(block.dtype == object for block in frame._mgr.blocks)


def _unnamed(directory: Path, monkeypatch: pytest.MonkeyPatch) -> pd.DataFrame:
    """The frame load_log makes, before the file names filled anything."""
    with monkeypatch.context() as patch:
        patch.setattr(_trace, "where_from_file_names", lambda frame, own=False: None)
        return load_log(directory, workers=1).frame


@pytest.mark.parametrize("mixed", [False, True])
def test_names_from_files_are_written_in_place(
    mixed: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every row of a 0.4 log lacks them (one take); with our own records beside, only
    the trace rows do (those rows only). The same values as filled into copies."""
    MAKERS["trace"](tmp_path, 400)
    if mixed:
        shutil.copy(CORPUS / "ours.log", tmp_path / "ours.log")
        shutil.copy(CORPUS / "traces-4f1e2d3c-weather_agent-0.log", tmp_path)
    bare = _unnamed(tmp_path, monkeypatch)
    assert bare["job"].isna().any() and bare["subtask"].isna().any()
    in_place, copied = bare.copy(), bare.copy()
    assert _object_blocks(in_place) == 1
    _trace.where_from_file_names(in_place, own=True)
    _trace.where_from_file_names(copied)
    pd.testing.assert_frame_equal(in_place, copied, check_exact=True)
    assert _object_blocks(in_place) == 1  # written into its block, not set anew
    traced = in_place["file"].astype(str).str.contains("traces-job1-agent-")
    assert (in_place.loc[traced, "job"] == "job1").all()
    assert (in_place.loc[traced, "task"] == "agent").all()
    subtask = in_place.loc[traced, "file"].astype(str).str.extract(r"agent-(\d+)\.log")[0]
    assert (in_place.loc[traced, "subtask"] == subtask.astype(int)).all()
    if mixed:  # our own records keep their own; the corpus' 0.4 file gets its name's
        ours = in_place["file"].astype(str).str.endswith("ours.log")
        assert in_place.loc[ours, ["job", "task"]].equals(bare.loc[ours, ["job", "task"]])
        weather = in_place["file"].astype(str).str.contains("weather_agent")
        assert (in_place.loc[weather, "job"] == "4f1e2d3c").all()


def test_a_frame_not_the_readers_own_is_filled_in_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    MAKERS["trace"](tmp_path, 200)
    bare = _unnamed(tmp_path, monkeypatch)
    jobs, subtasks = bare["job"].to_numpy(), bare["subtask"].array
    _trace.where_from_file_names(bare)  # not own: the arrays seen before stay as they were
    assert all(job is None for job in jobs) and subtasks.isna().all()
    assert (bare["job"] == "job1").all() and bare["subtask"].notna().all()


def test_the_read_trace_frame_has_one_object_block(tmp_path: Path) -> None:
    MAKERS["trace"](tmp_path, 800)
    frame = load_log(tmp_path, workers=2, min_parallel_bytes=0).frame
    assert _object_blocks(frame) == 1
    assert (frame["job"] == "job1").all() and frame["subtask"].notna().all()


def test_kinds_made_before_the_frame_serve_the_linking_and_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record and entity types as the start times made them (rows read, then put in
    the frame's order) are the frame's own, and neither the linking nor the lineage
    check makes them again; the result is what making them anew gives."""
    MAKERS["trace"](tmp_path, 1200)
    for name in ("broken_links.log", "traces-4f1e2d3c-weather_agent-0.log"):
        shutil.copy(CORPUS / name, tmp_path / name)
    made: list[str] = []
    checked: list[Any] = []
    real_check = _load.check_links

    def kinds(frame: pd.DataFrame, column: str, given: Kinds | None) -> Kinds:
        if given is None:
            made.append(column)
            return Kinds(frame[column].to_numpy())
        again = Kinds(frame[column].to_numpy())  # the same rows told apart the same way
        for name in {*again.values, "event", "action", "call", "start", "llm"}:
            if isinstance(name, str):
                assert (given.of(name) == again.of(name)).all(), (column, name)
        return given

    def check(frame: pd.DataFrame, codes: Any = None, record: Kinds | None = None) -> Any:
        checked.append(record)
        got = real_check(frame, codes, record)
        assert [str(p) for p in got] == [str(p) for p in check_links(frame, codes)]
        return got

    monkeypatch.setattr(_trace_link, "_kinds", kinds)
    monkeypatch.setattr(_load, "check_links", check)
    log = load_log(tmp_path, workers=2, min_parallel_bytes=0)
    assert made == [] and len(checked) == 1 and checked[0] is not None
    assert any("not in the log" in str(p) for p in log.problems)


def test_sent_events_gather_each_executions_events_in_frame_order() -> None:
    """Per ended action: the ids of the events whose parent is its execution, in the
    order of the event rows given; events without an id or a parent send nothing; an
    action without an execution id sent nothing; other attributes are kept."""
    rng = np.random.default_rng(5)
    n = 400
    is_action = rng.random(n) < 0.3
    exec_code = np.where(is_action, rng.integers(-1, 40, n), -1)
    parent_code = np.where(~is_action, rng.integers(-1, 45, n), -1)
    event_ids = np.empty(n, dtype=object)
    event_ids[:] = [None if rng.random() < 0.1 else f"e{i}" for i in range(n)]
    attributes = np.empty(n, dtype=object)
    attributes[:] = [EMPTY if rng.random() < 0.7 else {"k": i} for i in range(n)]
    frame = pd.DataFrame({"event_id": event_ids, "attributes": attributes.copy()})
    events = rng.permutation(np.flatnonzero(~is_action))  # any order: "frame order"
    _trace_link._sent_events(frame, is_action, events, exec_code, parent_code, own=False)
    got = frame["attributes"].to_numpy()
    for row in range(n):
        if not is_action[row]:
            assert got[row] is attributes[row]
            continue
        mine = exec_code[row]
        sent = [
            event_ids[e]
            for e in events.tolist()
            if mine >= 0 and parent_code[e] == mine and event_ids[e] is not None
        ]
        kept = {} if attributes[row] is EMPTY else dict(attributes[row])
        assert got[row] == {**kept, "sentEventIds": sent}
        assert isinstance(got[row], Mapping) and got[row] is not attributes[row]
        assert type(plain(got[row])) is dict
