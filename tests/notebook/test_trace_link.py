"""Column-wise linking of 0.4 trace records and the lineage check: results do not depend on
which string objects a column holds (the reader shares equal values; a frame built by hand
need not), and the reader's type columns hold one object per value."""

from __future__ import annotations

import json
import random
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from flink_agents_nb.eventlog._lineage import check_links
from flink_agents_nb.eventlog._load import load_log
from flink_agents_nb.eventlog.columns._arrays import addresses
from flink_agents_nb.eventlog.columns._columns import _Columns, time_order
from flink_agents_nb.eventlog.files._files import LogProblem, list_log_files, read_records
from flink_agents_nb.eventlog.ids._ids import Kinds, id_codes, lookup
from flink_agents_nb.eventlog.trace._trace_link import link, link_coded
from flink_agents_nb.eventlog.typed._vocab import Vocabulary

CORPUS = Path(__file__).resolve().parents[1] / "eventlog_corpus"
TRACE = CORPUS / "traces-4f1e2d3c-weather_agent-0.log"


def _fresh_strings(values: np.ndarray) -> np.ndarray:
    """The same values, every str a new object (as a frame built by hand may hold)."""
    out = np.empty(len(values), dtype=object)
    out[:] = ["".join(list(v)) if isinstance(v, str) else v for v in values.tolist()]
    return out


def test_type_columns_hold_one_object_per_value() -> None:
    frame = load_log(TRACE).frame
    for column in ("record_type", "entity_type", "status"):
        values = frame[column].to_numpy()
        distinct = {v for v in values.tolist() if v is not None}
        assert len(set(addresses(values).tolist()) - {id(None)}) == len(distinct), column


def test_lineage_problems_do_not_depend_on_string_objects() -> None:
    frame = load_log(CORPUS / "broken_links.log").frame
    problems = [str(p) for p in check_links(frame)]
    assert any("cycle" in p for p in problems) and any("missing parent" in p for p in problems)
    copy = frame.copy()
    for column in ("record_type", "event_id", "upstream_event_id"):
        copy[column] = _fresh_strings(frame[column].to_numpy())
    assert [str(p) for p in check_links(copy)] == problems


def _unlinked(path: Path, sort: bool = True) -> pd.DataFrame:
    """The frame of ``path`` as the reader has it before linking (``sort``: in time
    order)."""
    problems: list[LogProblem] = []
    columns, vocabulary = _Columns(), Vocabulary()
    for file in list_log_files(path, problems):
        for chunk in read_records(file, problems, vocabulary):
            columns.add(chunk, problems)
    assert columns.traced and not problems
    return columns.frame(sort=sort)


def test_linking_needs_no_shared_strings() -> None:
    linked = link(_unlinked(TRACE))
    copy = _unlinked(TRACE)
    for column in _FRESH:
        copy[column] = _fresh_strings(copy[column].to_numpy())
    again = link(copy)
    pd.testing.assert_frame_equal(
        again.drop(columns=[*_FRESH, "attributes"]), linked.drop(columns=[*_FRESH, "attributes"])
    )
    assert again["attributes"].tolist() == linked["attributes"].tolist()
    # every ended action and call is timed but the reused (replayed) action: it has no start
    assert linked["duration_ms"].notna().sum() == 12


_FRESH = ("record_type", "entity_type", "execution_id", "parent_execution_id")


def test_kinds_codes_and_lookup_on_gaps_and_junk() -> None:
    values = np.empty(6, dtype=object)
    values[:] = ["event", None, "ev" + "ent", float("nan"), ["a"], "call"]
    kinds = Kinds(values)  # a list among them: one code per object, no error
    assert kinds.of("event").tolist() == [True, False, True, False, False, False]
    assert kinds.of("call", "start").tolist() == [False] * 5 + [True]
    assert not kinds.all_none and Kinds(np.array([None, None], dtype=object)).all_none
    left = np.array(["x", None, "y", "x"], dtype=object)
    right = np.array(["y", "z", None], dtype=object)
    a, b = id_codes(left, right, by_object=(False, True))
    assert a[0] == a[3] == a[0] and a[1] == -1 and b[2] == -1 and a[2] == b[0] != b[1]
    found, ok = lookup(a, np.arange(4), b)  # first row of each key
    assert ok.tolist() == [True, False, False] and found[0] == 2
    found, ok = lookup(a, np.arange(4), a, last=True)
    assert found[ok].tolist() == [3, 2, 3]


def _trace_line(ts: int, **fields: object) -> str:
    record = {
        "timestamp": f"2026-01-01T00:00:{ts:02d}.000Z",
        "inputRunId": "r",
        "businessKey": "k",
        "parentExecutionId": None,
        "attributes": {},
    } | fields
    return json.dumps(record) + "\n"  # fmt: skip


def test_lineage_check_on_the_linking_codes_finds_what_hashing_finds(tmp_path: Path) -> None:
    """The reader checks a trace log's links on the codes the linking made (no id hashed
    again): the same problems, in the same order, as the check hashing the ids itself."""
    lines = []
    for ts, (eid, up) in enumerate(
        [("c2", "c1"), ("in", None), ("c1", "c2"), ("lost", "gone"), ("d1", "d2"), ("d2", "d1"),
         ("ok", "in"), ("c3", "c3")]
    ):  # fmt: skip
        meta = {"eventId": eid, "upstreamEventId": up, "upstreamActionName": "a"}
        lines.append(_trace_line(ts + 2, entityType="event", entityName="e", entityMetadata=meta,
                                 status="created"))  # fmt: skip
    for ts, trigger in ((0, "d2"), (20, "in"), (22, "nowhere")):  # d2 numbered before d1
        for status, dt in (("started", 0), ("success", 1)):
            lines.append(_trace_line(ts + dt, entityType="action", entityName="a",
                                     executionId=f"x-{trigger}", status=status,
                                     entityMetadata={"triggerEventId": trigger}))  # fmt: skip
    path = tmp_path / "traces-j-t-0.log"
    path.write_text("".join(lines), encoding="utf-8")
    read = load_log(path)
    again = [str(p) for p in check_links(read.frame)]  # hashing the ids itself
    assert [str(p) for p in read.problems] == again
    cycles = [p for p in again if "cycle" in p]
    looping = [re.findall(r"event (\S+): its upstream", p)[0] for p in cycles]
    assert looping == ["c2", "c1", "d1", "d2", "c3"]
    assert sum("missing parent" in p for p in again) == 1
    assert sum("which is not in the log" in p for p in again) == 1


def _overlapping_log(directory: Path) -> Path:
    """Three subtask files whose times interleave, with equal times, lines out of time
    order, missing times, several llm calls per action and retried (duplicate) ids."""
    rng = random.Random(3)
    for f in range(3):
        lines = []
        for run in range(40):
            rid, ev, act = f"r{f}-{run}", f"e{f}-{run}", f"x{f}-{run % 37}"
            ts = [rng.randint(0, 50) for _ in range(8)]
            meta = {"eventId": ev}
            lines.append(_trace_line(ts[0], inputRunId=rid, entityType="event",
                                     entityName="_input_event", entityMetadata=meta,
                                     status="created"))  # fmt: skip
            for status, t in (("started", ts[1]), ("success", ts[7])):
                lines.append(_trace_line(t, inputRunId=rid, entityType="action",
                                         entityName="reply", executionId=act, status=status,
                                         entityMetadata={"triggerEventId": ev}))  # fmt: skip
            for k, (status, t) in enumerate((("started", ts[2]), ("success", ts[3]),
                                             ("success", ts[4]))):  # fmt: skip
                lines.append(_trace_line(t, inputRunId=rid, entityType="llm", entityName="m",
                                         executionId=f"{act}-l", parentExecutionId=act,
                                         status=status,
                                         entityMetadata={"model": f"m{k}"}))  # fmt: skip
            usage = {"response": {"extra_args": {"promptTokens": 1, "completionTokens": 2}}}
            meta = {"eventId": f"{ev}-r", "producerExecutionId": act, "upstreamEventId": ev}
            lines.append(_trace_line(ts[5], inputRunId=rid, entityType="event",
                                     entityName="_chat_response_event", entityMetadata=meta,
                                     status="created", attributes=usage))  # fmt: skip
        lines[8] = lines[8].replace('"timestamp": "', '"timestamp": "not a time ', 1)
        (directory / f"traces-j-t-{f}.log").write_text("".join(lines), encoding="utf-8")
    return directory


def test_linking_reorders_once_with_the_time_order() -> None:
    """The reader sorts a trace log once: the linking takes the rows in the order read and
    the time order, and gives what linking the frame sorted first gives."""
    with tempfile.TemporaryDirectory() as name:
        directory = _overlapping_log(Path(name))
        sorted_first, codes_sorted = link_coded(_unlinked(directory, sort=True))
        as_read = _unlinked(directory, sort=False)
        order = time_order(as_read)
        assert order is not None and (np.diff(order) < 0).any()  # not in time order as read
        once, codes = link_coded(as_read, order)
    pd.testing.assert_frame_equal(once, sorted_first)
    assert codes is not None and codes_sorted is not None
    assert [str(p) for p in check_links(once, codes)] == [str(p) for p in check_links(once)]
    assert once["timestamp"].isna().sum() == 3 and once["duration_ms"].notna().sum() > 100
    responses = once[once["event_type"] == "_chat_response_event"]
    # the model of the last llm record in time order: which one depends on the order
    assert set(responses["model"]) == {"m0", "m1", "m2"}


def _same_time_log(directory: Path) -> Path:
    """One input run whose records share one time: no row moves, nothing is reordered."""
    lines = [
        _trace_line(0, entityType="event", entityName="_input_event", status="created",
                    entityMetadata={"eventId": "e"}),
        *(_trace_line(0, entityType="action", entityName="reply", executionId="x",
                      status=s, entityMetadata={"triggerEventId": "e"})
          for s in ("started", "success")),
        *(_trace_line(0, entityType="llm", entityName="m", executionId="l",
                      parentExecutionId="x", status=s, entityMetadata={"model": "q"})
          for s in ("started", "success")),
    ]  # fmt: skip
    (directory / "traces-j-t-0.log").write_text("".join(lines), encoding="utf-8")
    return directory


def test_linking_leaves_the_given_frame_as_it_was() -> None:
    """The linking writes the columns it fills into arrays of its own (the frame it
    reordered, or copies set on the given frame), never into the arrays of the given frame
    (sorted or in the order read, reordered or not)."""
    with tempfile.TemporaryDirectory() as name:
        (Path(name) / "a").mkdir()
        (Path(name) / "b").mkdir()
        overlapping = _overlapping_log(Path(name) / "a")
        same_time = _same_time_log(Path(name) / "b")
        for directory, sort in ((overlapping, True), (overlapping, False), (same_time, True)):
            given = _unlinked(directory, sort=sort)
            held = {c: given[c].to_numpy() for c in given.columns if given[c].dtype == object}
            before = {c: values.copy() for c, values in held.items()}
            order = None if sort else time_order(given)
            linked, _ = link_coded(given, order)
            for column, values in held.items():
                assert list(values) == list(before[column]), column
            before_frame = _unlinked(directory, sort=sort)
            assert linked["action"].notna().sum() > before_frame["action"].notna().sum()


def test_lookup_gives_the_first_or_last_row_of_each_key() -> None:
    """``lookup`` against a dict built row by row, on random codes with gaps (-1) and keys
    the queries miss."""
    rng = np.random.default_rng(5)
    keys = rng.integers(-1, 50, size=400)
    queries = rng.integers(-1, 80, size=300)
    values = np.arange(len(keys)) * 10
    for last in (False, True):
        table: dict[int, int] = {}
        for row, key in enumerate(keys.tolist()):
            if key >= 0 and (last or key not in table):
                table[key] = int(values[row])
        found, ok = lookup(keys, values, queries, last=last)
        assert ok.tolist() == [q in table for q in queries.tolist()]
        assert found[ok].tolist() == [table[q] for q in queries[ok].tolist()]
