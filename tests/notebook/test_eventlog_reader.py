"""read_event_log: our files, Flink Agents' formats, and a corpus of hand-made bad files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

import flink_agents_nb as fa
import flink_agents_runtime as rt
from flink_agents_nb.eventlog._reader import COLUMNS
from flink_agents_runtime import Agent, Event, InputEvent, OutputEvent, RunnerContext, action

CORPUS = Path(__file__).resolve().parents[1] / "eventlog_corpus"


def problems_of(log: fa.EventLog) -> list[tuple[int | None, str]]:
    return [(p.line, p.reason) for p in log.problems]


def test_our_file_gives_every_column() -> None:
    log = fa.read_event_log(CORPUS / "ours.log")
    f = log.frame
    assert list(f.columns) == list(COLUMNS)
    assert log.problems == []
    assert str(f["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert f["timestamp"].iloc[0] == pd.Timestamp("2025-03-01T10:00:00.000100Z")
    assert f["record_type"].tolist() == ["event", "action", "event"]
    act = f.iloc[1]
    assert (act["action"], act["event_id"], act["status"]) == ("reply", "e1", "ok")
    assert act["duration_ms"] == 2.5
    assert act["attributes"] == {
        "attempt": 1,
        "error": None,
        "sentEventIds": ["e2"],
        "memoryWrites": [{"memory": "short_term", "path": "count", "value": 1}],
    }
    chat = f.iloc[2]
    assert (chat["upstream_event_id"], chat["upstream_action"]) == ("e1", "reply")
    assert (chat["prompt_tokens"], chat["completion_tokens"], chat["model"]) == (11, 4, "qwen3:8b")
    assert (chat["job"], chat["task"], chat["subtask"], chat["key"]) == ("job-a", "local", 0, "k1")
    assert f["seq"].tolist() == [0, 1, 2] and f["line"].tolist() == [1, 2, 3]
    assert f["file"].astype(str).str.endswith("ours.log").all()


def test_flink_agents_0_3_1_nested_records() -> None:
    log = fa.read_event_log(CORPUS / "flink_agents_0_3_1.log")
    f = log.frame
    assert log.problems == []
    assert f["event_type"].tolist() == ["_input_event", "_chat_response_event", "_output_event"]
    assert f["event_id"].iloc[0] == "5b1c0000-0000-3000-8000-000000000001"
    assert f["attributes"].iloc[0] == {"input": {"id": 1, "review": "great"}}
    assert set(f["job"]) == {"9f2c"} and set(f["subtask"]) == {1}
    assert set(f["task"]) == {"action-execute-operator"}
    assert f["prompt_tokens"].iloc[1] == 120 and f["completion_tokens"].iloc[1] == 7
    assert f["model"].iloc[1] == "qwen3:8b"
    assert f["timestamp"].iloc[2] == pd.Timestamp("2025-03-01T09:00:00.300Z")


def test_newer_flat_records_and_otel_token_names() -> None:
    log = fa.read_event_log(CORPUS / "flink_agents_flat.log")
    f = log.frame
    assert log.problems == []
    assert f["event_type"].tolist() == ["_input_event", "_chat_response_event", "ActionStarted"]
    assert f["upstream_event_id"].tolist()[1:] == ["f-1", "f-1"]
    assert (f["prompt_tokens"].iloc[1], f["completion_tokens"].iloc[1]) == (30, 9)
    assert f["model"].iloc[1] == "gpt-x"
    assert f["prompt_tokens"].isna().tolist() == [True, False, True]


def test_pretty_printed_records_with_a_broken_one() -> None:
    log = fa.read_event_log(CORPUS / "pretty.log")
    assert log.frame["event_id"].tolist() == ["p-1", "p-2"]
    assert log.frame["line"].tolist() == [1, 14]
    assert log.frame["attributes"].tolist() == [{"input": "multi"}, {"output": "done"}]
    assert [p.line for p in log.problems] == [10]
    assert "not valid JSON" in log.problems[0].reason


@pytest.mark.parametrize(
    ("name", "ids", "expected"),
    [
        (
            "truncated_last_line.log",
            ["t-1"],
            [(2, "truncated last line (incomplete record)")],
        ),
        ("empty.log", [], [(None, "empty file (no records)")]),
        (
            "malformed.log",
            ["m-1", "m-2"],
            [
                (2, "not valid JSON (invalid character at byte 59 of the line)"),
                (3, "not an event-log record (a JSON list, not an object)"),
                (4, "not an event-log record (no eventType, recordType or event)"),
            ],
        ),
        (
            "binary.log",
            [],
            [(1, "binary data"), (2, "binary data"), (3, "not valid JSON"), (4, "binary data")],
        ),
        (
            "cut_short.log.gz",
            ["e1"],
            [(None, "gzip stream ends early"), (2, "truncated last line")],
        ),
    ],
)
def test_bad_files_are_problems_never_errors(
    name: str, ids: list[str], expected: list[tuple[int | None, str]]
) -> None:
    log = fa.read_event_log(CORPUS / name)
    assert log.frame["event_id"].tolist() == ids
    got = problems_of(log)
    assert len(got) == len(expected), got
    for (line, reason), (want_line, want_reason) in zip(got, expected, strict=True):
        assert line == want_line
        assert reason.startswith(want_reason), reason
    assert all(p.file.endswith(name) for p in log.problems)


def test_gzip_file_reads_like_the_plain_one() -> None:
    plain = fa.read_event_log(CORPUS / "ours.log").frame
    packed = fa.read_event_log(CORPUS / "ours_compressed.log.gz").frame
    cols = [c for c in COLUMNS if c != "file"]
    pd.testing.assert_frame_equal(plain[cols], packed[cols])


def test_broken_links_missing_parent_and_cycle() -> None:
    log = fa.read_event_log(CORPUS / "broken_links.log")
    reasons = {p.line: p.reason for p in log.problems}
    assert "upstream event gone is not in the log (missing parent)" in reasons[2]
    assert "action lost handled event nowhere" in reasons[5]
    assert "cycle" in reasons[3] and "cycle" in reasons[4]
    assert len(log.problems) == 4
    trees = log.trees("b")
    assert [t.name for t in trees] == ["_input_event"]  # the loop has no input event


def test_whole_corpus_directory_reads_with_every_problem(tmp_path: Path) -> None:
    log = fa.read_event_log(CORPUS)
    by_file = {Path(p.file).name for p in log.problems}
    assert {"binary.log", "empty.log", "malformed.log", "pretty.log"} <= by_file
    assert len(log.files) == 18  # README.md is not a log
    assert not any(f.endswith(".md") for f in log.files)
    stamps = log.frame["timestamp"]
    assert stamps.dropna().is_monotonic_increasing
    assert stamps.isna().sum() == 1 and pd.isna(stamps.iloc[-1])  # the trace record without one


def test_directory_of_subtask_files_is_merged_in_time_order(tmp_path: Path) -> None:
    def rec(ts: str, eid: str, sub: int) -> str:
        return json.dumps(
            {
                "timestamp": ts,
                "recordType": "event",
                "eventId": eid,
                "eventType": "x",
                "eventAttributes": {},
                "subtaskIndex": sub,
            }
        )

    (tmp_path / "events-j-t-0.log").write_text(
        rec("2025-01-01T00:00:00.000001Z", "a", 0)
        + "\n"
        + rec("2025-01-01T00:00:00.000004Z", "d", 0)
        + "\n"
    )
    with gzip.open(tmp_path / "events-j-t-1.log.gz", "wt") as fh:
        fh.write(rec("2025-01-01T00:00:00.000002Z", "b", 1) + "\n")
        fh.write(rec("2025-01-01T00:00:00.000003Z", "c", 1) + "\n")
    log = fa.read_event_log(tmp_path)
    assert log.frame["event_id"].tolist() == ["a", "b", "c", "d"]
    assert log.frame["subtask"].tolist() == [0, 1, 1, 0]
    assert log.frame["line"].tolist() == [1, 1, 2, 2]
    assert log.problems == []


def test_numbers_that_are_not_integers_read_as_missing(tmp_path: Path) -> None:
    path = tmp_path / "odd.log"
    path.write_text(
        '{"eventType": "x", "subtaskIndex": 1.5, "seq": 99999999999999999999, "inputSeq": "2"}\n'
    )
    log = fa.read_event_log(path)
    row = log.frame.iloc[0]
    assert pd.isna(row["subtask"]) and pd.isna(row["seq"]) and row["input_seq"] == 2
    assert log.problems == []


def test_missing_path_is_the_only_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no event log"):
        fa.read_event_log(tmp_path / "nope")


class Shop(Agent):
    @action(InputEvent)
    @staticmethod
    def order(event: Event, ctx: RunnerContext) -> None:
        ctx.short_term_memory.set("last", event.attributes["input"])
        ctx.send_event(Event(type="priced", attributes={"qty": event.attributes["input"]["n"]}))

    @action("priced")
    @staticmethod
    def ship(event: Event, ctx: RunnerContext) -> None:
        if event.attributes["qty"] == 3:
            raise ValueError("no stock")
        ctx.send_event(OutputEvent(output={"shipped": event.attributes["qty"]}))


def test_round_trip_preserves_every_field(tmp_path: Path) -> None:
    env = rt.AgentsExecutionEnvironment.get_execution_environment(
        config={
            "baseLogDir": str(tmp_path),
            "job-identifier": "rt",
            "error-handling-strategy": "ignore",
        }
    )
    inputs = [{"key": k, "value": {"n": n}} for k, n in (("a", 1), ("b", 3), ("a", 2))]
    result = env.from_list(inputs).apply(Shop()).execute(record=True)
    assert [Path(p).name for p in result.log_files] == ["events-rt-local-0.log"]
    log = fa.read_event_log(tmp_path)
    assert log.problems == []
    f = log.frame.sort_values("seq").reset_index(drop=True)
    records = sorted(result.events + result.actions, key=lambda r: r.seq)
    assert len(f) == len(records)
    for row, rec in zip(f.itertuples(), records, strict=True):
        assert (row.key, row.seq, row.input_seq) == (rec.key, rec.seq, rec.input_seq)
        assert (row.job, row.task, row.subtask) == ("rt", "local", 0)
        assert row.timestamp.value // 1000 == rec.timestamp_ns // 1000
        if row.record_type == "event":
            ev = rec.event
            assert (row.event_id, row.event_type) == (ev.id, ev.type)
            assert row.upstream_event_id == ev.upstream_event_id
            assert row.upstream_action == ev.upstream_action_name
            assert row.attributes == ev.attributes
        else:
            assert (row.action, row.event_id, row.event_type) == (
                rec.action,
                rec.event_id,
                rec.event_type,
            )
            assert row.status == rec.status
            assert row.duration_ms == rec.duration_ns / 1e6
            assert row.attributes == {
                "attempt": rec.attempt,
                "error": rec.error,
                "sentEventIds": list(rec.sent_event_ids),
                "memoryWrites": [
                    {"memory": m, "path": p, "value": v} for m, p, v in rec.memory_writes
                ],
            }
    failed = f[f["status"] == "ignored"]
    assert failed["action"].tolist() == ["ship"]
    assert failed["attributes"].iloc[0]["error"] == "ValueError: no stock"


def test_causal_tree_of_one_input(tmp_path: Path) -> None:
    env = fa.AgentsExecutionEnvironment.get_execution_environment(
        config={"baseLogDir": str(tmp_path)}
    )
    env.from_list([{"key": "a", "value": {"n": 1}}]).apply(Shop()).execute()
    log = fa.read_event_log(tmp_path)
    (tree,) = log.trees("a")
    shape = [(n.kind, n.name) for n in tree.walk()]
    assert shape == [
        ("event", "_input_event"),
        ("action", "order"),
        ("event", "priced"),
        ("action", "ship"),
        ("event", "_output_event"),
    ]
    text = log.tree_text("a")
    assert text.splitlines()[0].startswith('_input_event {"input":{"n":1}}')
    assert "└─ action order [ok]" in text
    assert '_output_event {"output":{"shipped":1}}' in text
    assert log.trees("zzz") == []


def test_filter_summary_and_html_repr() -> None:
    log = fa.read_event_log(CORPUS / "ours.log")
    only = log.filter(key="k1", event_type="_chat_response_event")
    assert only.frame["event_id"].tolist() == ["e2"]
    assert log.filter(record_type="action").frame["action"].tolist() == ["reply"]
    s = log.summary()
    assert s["events_per_type"] == {"_input_event": 1, "_chat_response_event": 1}
    assert (s["prompt_tokens"], s["completion_tokens"]) == (11, 4)
    bad = fa.read_event_log(CORPUS / "malformed.log")
    bundle = bad._repr_mimebundle_()
    assert "3 problem(s)" in bundle["text/plain"]
    assert "&lt;" not in bundle["text/plain"] and "<li>" in bundle["text/html"]
    weird = fa.read_event_log(CORPUS / "binary.log")._repr_mimebundle_()["text/html"]
    assert "<script" not in weird
