"""Flink Agents 0.4 Trace Log files: every record kind and status into the frame; every view."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import flink_agents_nb as fa
from flink_agents_nb.eventlog._reader import COLUMNS
from flink_agents_nb.eventlog.trace._trace import TRACE_COLUMNS

CORPUS = Path(__file__).resolve().parents[1] / "eventlog_corpus"
TRACE = CORPUS / "traces-4f1e2d3c-weather_agent-0.log"
SLF4J = CORPUS / "taskmanager.log.trace-log.log"


@pytest.fixture(scope="module")
def log() -> fa.EventLog:
    return fa.read_event_log(TRACE)


def test_one_row_per_record_with_only_the_trace_columns_added(log: fa.EventLog) -> None:
    f = log.frame
    assert len(f) == 33 and log.problems == []
    assert list(f.columns) == [*COLUMNS, *TRACE_COLUMNS]  # no column per tool call id
    assert f["record_type"].value_counts().to_dict() == {
        "start": 12,
        "event": 8,
        "action": 7,
        "call": 6,
    }
    assert set(f["entity_type"]) == {"event", "action", "llm", "tool", "parser"}
    assert set(f["run_id"]) == {"run-0001", "run-0002"}
    # job, task and subtask come from the file name
    assert set(f["job"]) == {"4f1e2d3c"} and set(f["task"]) == {"weather_agent"}
    assert f["subtask"].tolist() == [0] * 33
    assert f.groupby("run_id")["input_seq"].unique().to_dict() == {"run-0001": [0], "run-0002": [1]}


def test_every_status_maps_and_durations_come_from_started_success_pairs(
    log: fa.EventLog,
) -> None:
    f = log.frame
    acts = f[f["record_type"] == "action"].set_index("execution_id")
    assert acts["status"].to_dict() == {
        "ex-01": "ok",
        "ex-02": "ok",
        "ex-04": "ok",
        "ex-07": "ok",
        "ex-09": "ok",
        "ex-11": "replayed",  # reused: no started record, no duration
        "ex-12": "failed",
    }
    assert acts.loc["ex-04", "duration_ms"] == 42.0  # 0.070 .. 0.112
    assert pd.isna(acts.loc["ex-11", "duration_ms"])
    assert acts.loc["ex-12", "problem_category"] == "LLM_CALL_FAILED"
    assert acts.loc["ex-12", "error"] == "LLM_CALL_FAILED"
    # an ended action's timestamp is its start, as in our own records
    start = f[(f["record_type"] == "start") & (f["execution_id"] == "ex-04")]["timestamp"]
    assert acts.loc["ex-04", "timestamp"] == start.iloc[0]
    assert acts.loc["ex-04", "event_type"] == "_tool_request_event"  # the handled event
    assert acts.loc["ex-04", "attributes"]["sentEventIds"] == ["ev-04"]
    starts = f[f["record_type"] == "start"]
    assert set(starts["status"]) == {"started"}
    assert f[f["record_type"] == "event"]["status"].isna().all()  # created


def test_calls_carry_their_action_model_error_and_latency(log: fa.EventLog) -> None:
    f = log.frame
    calls = f[f["record_type"] == "call"].set_index("execution_id")
    assert calls.loc["ex-03", ["entity_type", "entity_name", "action", "model"]].tolist() == [
        "llm",
        "qwen",
        "chat_model_action",
        "qwen3:8b",
    ]
    assert calls.loc["ex-03", "duration_ms"] == 7.0
    assert calls.loc["ex-05", "action"] == "tool_call_action"
    assert calls.loc["ex-13", "status"] == "failed"
    assert calls.loc["ex-13", "error"] == "read timed out after 30 s"
    assert calls.loc["ex-13", "problem_category"] == "TIMEOUT"


def test_tokens_from_the_chat_response_event_and_its_model_from_the_llm_call(
    log: fa.EventLog,
) -> None:
    f = log.frame
    resp = f[f["event_type"] == "_chat_response_event"]
    resp = resp[resp["record_type"] == "event"].iloc[0]
    assert (resp["prompt_tokens"], resp["completion_tokens"]) == (120, 30)
    assert resp["model"] == "qwen3:8b"  # the llm record of the action that sent it
    assert resp["parent_execution_id"] == "ex-07"
    assert log.summary()["prompt_tokens"] == 120
    tool_resp = f[(f["event_type"] == "_tool_response_event") & (f["record_type"] == "event")]
    assert set(tool_resp.iloc[0]["attributes"]["responses"]) == {"call_a", "call_b"}


def test_tree_from_lineage_with_calls_from_execution_ids(log: fa.EventLog) -> None:
    text = log.tree_text("u1").splitlines()
    assert text[0] == '_input_event {"input":"weather in Paris?"}  (key \'u1\')'
    assert "         ├─ llm qwen [ok] 7.000 ms (qwen3:8b)" in text
    assert "               ├─ tool get_weather [ok] 7.000 ms" in text
    assert "                           ├─ parser json_output [ok] 7.000 ms" in text
    failed = log.tree_text("u2").splitlines()
    assert failed[-2] == "      └─ action chat_model_action [failed] 21.000 ms: LLM_CALL_FAILED"
    assert failed[-1] == (
        "         └─ llm qwen [failed] 7.000 ms (qwen3:8b): read timed out after 30 s"
    )
    (tree,) = log.trees("u1")
    kinds = [n.kind for n in tree.walk()]
    assert kinds.count("call") == 5 and kinds.count("action") == 5 and kinds.count("event") == 6


def test_malformed_trace_records_are_problems_never_fatal() -> None:
    log = fa.read_event_log(SLF4J)
    reasons = {(p.line, p.reason) for p in log.problems}
    assert (2, "not a trace record (entityType is not a non-empty string)") in reasons
    assert (8, "not a trace record (entityType is not a non-empty string)") in reasons
    assert (6, "not an event-log record (a JSON list, not an object)") in reasons
    assert (10, "truncated last line (incomplete record)") in reasons
    f = log.frame
    assert len(f) == 6  # 9 complete lines, 3 unusable
    odd = f[f["line"] == 4].iloc[0]  # an unknown status: a lifecycle mark, kept as written
    assert (odd["record_type"], odd["status"]) == ("start", "exploded")
    meta_list = f[f["line"] == 3].iloc[0]  # entityMetadata not an object: no ids, no crash
    assert meta_list["record_type"] == "event" and meta_list["event_id"] is None
    assert f["timestamp"].isna().sum() == 1  # the record without a timestamp, kept


def test_a_directory_mixes_trace_and_older_records(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / TRACE.name).write_bytes(TRACE.read_bytes())
    (tmp_path / "a" / "ours.log").write_bytes((CORPUS / "ours.log").read_bytes())
    log = fa.read_event_log(tmp_path / "a")
    f = log.frame
    assert len(f) == 36 and log.problems == []
    ours = f[f["file"].astype(str).str.endswith("ours.log")]
    assert ours["entity_type"].isna().all() and set(ours["record_type"]) == {"event", "action"}


def test_stepper_inspector_charts_diff_and_report_on_a_trace_log(
    log: fa.EventLog, tmp_path: Path
) -> None:
    stepper = log.step()
    assert stepper.current["event_type"] == "_input_event"
    view = stepper.view()
    # its handler once, as it ended (the "started" mark is no second handler)
    assert [(a["action"], a["status"]) for a in view.actions] == [("process_input", "ok")]
    stepper.last()
    assert stepper.view().metrics["actions"] == 7  # ended action runs, not starts or calls
    stepper.first()
    stepper.next()
    assert stepper.current["event_type"] == "_chat_request_event"
    ins = fa.inspect(log)
    assert ins.model.total == 33
    fig = log.plot.latency()
    assert "tool_call_action" in str(fig.to_dict()["data"])
    assert log.plot.throughput().data
    assert log.plot.tokens().data
    assert log.plot.waterfall(key="u1").data
    assert log.plot.dashboard().data
    same = fa.diff(log, log)
    assert same.changed_keys == []
    fewer = fa.EventLog(log.frame[log.frame["key"] == "u2"].reset_index(drop=True), [], [])
    assert fa.diff(log, fewer).changed_keys == ["u1"]
    text = log.report(tmp_path / "r.html").read_text(encoding="utf-8")
    assert "event log: 33 records (8 events, 7 actions, 12 starts, 6 calls)" in text


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "flink_agents_nb.cli._main"]
    return subprocess.run([*command, "logs", *args], capture_output=True, text=True, timeout=120)


def test_cli_summary_and_tree_on_a_trace_log() -> None:
    out = _cli(str(TRACE))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == (
        "event log: 33 records (8 events, 7 actions, 12 starts, 6 calls) from 1 file(s),"
        " 0 problem(s)"
    )
    assert "tokens: 120 prompt, 30 completion" in out.stdout
    tree = _cli(str(TRACE), "--tree", "u2", "--json")
    assert tree.returncode == 0, tree.stderr
    (root,) = json.loads(tree.stdout)["trees"]
    action = root["children"][0]["children"][0]["children"][0]
    assert action["name"] == "chat_model_action" and action["status"] == "failed"
    assert action["children"][0]["kind"] == "call"


def test_records_behind_a_logging_layout_prefix_are_read(tmp_path: Path) -> None:
    """A Trace Log routed through a log4j layout of the user's own (not upstream's
    ``%msg%n``): each record's JSON after the prefix, the same rows as the plain file."""
    lines = TRACE.read_text().splitlines()
    prefix = "2026-10-12 10:00:00,123 INFO  org.apache.flink.agents.TraceLog [] - "
    junk = "2026-10-12 10:00:01,000 WARN  org.apache.flink.agents.TraceLog [] - {not json"
    (tmp_path / "tm.trace-log.log").write_text(
        "\n".join([*(prefix + line for line in lines), junk]) + "\n"
    )
    prefixed = fa.read_event_log(tmp_path / "tm.trace-log.log")
    plain = fa.read_event_log(TRACE)
    named = ("file", "job", "task", "subtask")  # the plain file's name carries these
    columns = [c for c in prefixed.frame.columns if c not in named]
    pd.testing.assert_frame_equal(prefixed.frame[columns], plain.frame[columns])
    assert [(p.line, p.reason[:14]) for p in prefixed.problems] == [
        (len(lines) + 1, "not valid JSON")
    ]


def test_pre_0_4_flat_records_with_trace_context() -> None:
    """Upstream main of 2026-08 (``event-log.trace.enabled``): an event's record carries the
    context of the action that sent it (``entityType`` ``action``): it stays an event; the
    ``_execution_*_event`` records are the executions; handled events come from the events an
    action sent; the key from ``businessKey``; job, task and subtask from the file name."""
    log = fa.read_event_log(CORPUS / "events-a3f1c2d4-weather_agent-0.log")
    f = log.frame
    assert log.problems == []
    assert f["record_type"].value_counts().to_dict() == {
        "start": 10, "event": 7, "action": 6, "call": 4,
    }  # fmt: skip
    events = f[f["record_type"] == "event"]
    assert events["entity_type"].eq("event").all() and events["execution_id"].isna().all()
    assert set(events["key"]) == {"order-1001", "order-1002"}
    assert set(f["job"]) == {"a3f1c2d4"} and set(f["subtask"]) == {0}
    acts = f[f["record_type"] == "action"].set_index("action")
    assert acts.loc["process_output", "event_type"] == "_chat_response_event"
    assert acts.loc["tool_call_action", "duration_ms"] > 0
    failed = f[(f["record_type"] == "call") & (f["status"] == "failed")].iloc[0]
    assert failed["problem_category"] == "tool_call_failed"
    assert failed["error"].startswith("ValueError: unknown time zone 'Europe/Zürich'")
    assert log.summary()["prompt_tokens"] == 311 and log.summary()["completion_tokens"] == 42
    first = events.iloc[0]["attributes"]
    assert first["orderId"] == 9007199254740993 and first["score"] == 1e-05
    text = log.tree_text("order-1001")
    assert "├─ tool get_time [failed]" in text and "└─ _output_event" in text


def test_pretty_printed_records_behind_a_logging_layout_prefix(tmp_path: Path) -> None:
    """``trace-log.pretty-print`` through a layout with a prefix (the root logger's, when
    Flink's ``log.file`` is unset): the prefix ends each record's first line, ``{``; the
    rest of the record follows on its own lines. Same rows as the plain file (were 0 rows,
    every line a problem)."""
    prefix = "2026-11-02 10:00:00,123 INFO  org.apache.flink.agents.TraceLog [] - "
    records = [json.loads(line) for line in TRACE.read_text(encoding="utf-8").splitlines()]
    text = "".join(
        prefix + json.dumps(r, indent=2, separators=(",", " : "), ensure_ascii=False) + "\n"
        for r in records
    )
    (tmp_path / "tm.log").write_text(text + prefix + "{\n  not json\n", encoding="utf-8")
    prefixed = fa.read_event_log(tmp_path / "tm.log")
    plain = fa.read_event_log(TRACE)
    named = ("file", "line", "job", "task", "subtask")
    columns = [c for c in prefixed.frame.columns if c not in named]
    pd.testing.assert_frame_equal(prefixed.frame[columns], plain.frame[columns])
    assert [p.line for p in prefixed.problems] == [text.count("\n") + 1]


def test_executions_that_never_ended_show_as_started(tmp_path: Path) -> None:
    """A job that stopped while an action and its tool call ran: their ``started`` records
    have no end. The tree shows them, ``[started]``, where they ran (they were left out)."""
    lines = TRACE.read_text(encoding="utf-8").splitlines()
    cut = lines[:13]  # tool_call_action (ex-04) started, get_weather done, get_time started
    (tmp_path / TRACE.name).write_text("\n".join(cut) + "\n", encoding="utf-8")
    log = fa.read_event_log(tmp_path / TRACE.name)
    text = log.tree_text("u1").splitlines()
    assert text[-3:] == [
        "            └─ action tool_call_action [started]",
        "               ├─ tool get_weather [ok] 7.000 ms",
        "               └─ tool get_time [started]",
    ]
    full = fa.read_event_log(TRACE).tree_text("u1")
    assert "[started]" not in full  # an execution that ended shows once, ended


def test_a_local_runs_trace_file_names_its_job_and_task(tmp_path: Path) -> None:
    class Echo(fa.Agent):
        @fa.action(fa.InputEvent)
        @staticmethod
        def echo(event: fa.Event, ctx: fa.RunnerContext) -> None:
            ctx.send_event(fa.OutputEvent(output=event.input))

    config = {"trace-log.base-dir": str(tmp_path), "trace-log.targets": [{"scope": "ALL"}]}
    run = fa.local(config=config).from_list([{"key": "a", "value": 1}]).apply(Echo()).execute()
    (written,) = tmp_path.glob("traces-*.log")
    frame = fa.read_event_log(written).frame
    # the run id has dashes (run-YYYYmmddTHHMMSS-xxxxxx): it was read as job 'run'
    assert set(frame["job"]) == {run.run_id} and run.run_id.startswith("run-")
    assert set(frame["task"]) == {"local"} and set(frame["subtask"]) == {0}


def _flat(t: int, run: str, **fields: object) -> dict[str, object]:
    """A pre-0.4 flat record (upstream main of 2026-08) at ``t`` ms."""
    return {
        "timestamp": f"2026-11-02T10:00:00.{t:03d}Z",
        "logLevel": "STANDARD",
        "inputRunId": run,
        "businessKey": run,
        "agentName": "desk",
        "eventAttributes": {},
        **fields,
    }


def _execution(t: int, run: str, ex: str, action: str, status: str) -> dict[str, object]:
    lifecycle = {"started": "_execution_started_event", "success": "_execution_finished_event"}
    failed = {"problemCategory": "action_execution_failed"} if status == "failed" else {}
    return _flat(
        t, run, executionId=ex, entityType="action", entityName=action,
        eventId=f"{ex}-{status}", eventType=lifecycle.get(status, "_execution_failed_event"),
        status=status, **failed,
    )  # fmt: skip


def _sent(t: int, run: str, ex: str, act: str, eid: str, kind: str, up: str) -> dict[str, object]:
    """A business event ``eid`` that execution ``ex`` of action ``act`` sent."""
    action = act
    return _flat(
        t, run, executionId=ex, entityType="action", entityName=action, eventId=eid,
        eventType=kind, upstreamEventId=up, upstreamActionName=action,
    )  # fmt: skip


def test_pre_0_4_failed_actions_that_sent_nothing_are_in_the_tree(tmp_path: Path) -> None:
    """A flat record names no handled event: the reader takes it from the events an
    execution sent, so a failure that sent none was in the frame but in no tree. It hangs
    under the event its run tells (the only one before it, of the type its action handles
    elsewhere, or the one no action handled); when the run cannot tell, under the run's
    input event, its handled event not recorded."""
    # corpus: order-1002's process_input failed at once
    log = fa.read_event_log(CORPUS / "events-a3f1c2d4-weather_agent-0.log")
    assert log.tree_text("order-1002").splitlines()[1] == (  # with its reason (error column)
        "└─ action process_input [failed] 2.000 ms: java.lang.IllegalStateException: bad input:"
        ' "boom" — 中文 ✗'
    )
    (tree,) = log.trees("order-1002")
    assert [(n.kind, n.name, n.event_id) for n in tree.walk()] == [
        ("event", "_input_event", tree.event_id),
        ("action", "process_input", tree.event_id),  # the handled event, deduced
    ]
    records = [
        # r1: chat_model_action fails on the request process_input sent (no other run
        # shows what it handles: the one event of r1 no action handled)
        _flat(1, "r1", eventId="r1-in", eventType="_input_event"),
        _execution(2, "r1", "x1", "process_input", "started"),
        _sent(3, "r1", "x1", "process_input", "r1-req", "_chat_request_event", "r1-in"),
        _execution(4, "r1", "x1", "process_input", "success"),
        _execution(5, "r1", "x2", "chat_model_action", "started"),
        _execution(6, "r1", "x2", "chat_model_action", "failed"),
        # r2: two requests, two failures: which handled which, the log cannot tell
        _flat(10, "r2", eventId="r2-in", eventType="_input_event"),
        _execution(11, "r2", "x3", "process_input", "started"),
        _sent(12, "r2", "x3", "process_input", "r2-a", "_chat_request_event", "r2-in"),
        _sent(13, "r2", "x3", "process_input", "r2-b", "_chat_request_event", "r2-in"),
        _execution(14, "r2", "x3", "process_input", "success"),
        _execution(15, "r2", "x4", "chat_model_action", "started"),
        _execution(16, "r2", "x5", "chat_model_action", "started"),
        _execution(17, "r2", "x4", "chat_model_action", "failed"),
        _execution(18, "r2", "x5", "chat_model_action", "failed"),
    ]
    path = tmp_path / "events-0123456789abcdef0123456789abcdef-desk-0.log"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    log = fa.read_event_log(path)
    assert log.problems == []
    failed = log.frame[log.frame["status"] == "failed"]
    assert len(failed) == 3 and failed["event_id"].isna().all()  # the frame: as the log says
    (r1,) = log.trees("r1")
    assert [(n.kind, n.name, n.event_id, n.status) for n in r1.walk()] == [
        ("event", "_input_event", "r1-in", None),
        ("action", "process_input", "r1-in", "ok"),
        ("event", "_chat_request_event", "r1-req", None),
        ("action", "chat_model_action", "r1-req", "failed"),
    ]
    (r2,) = log.trees("r2")
    assert [(n.kind, n.name, n.event_id, n.status) for n in r2.walk()] == [
        ("event", "_input_event", "r2-in", None),
        ("action", "process_input", "r2-in", "ok"),
        ("event", "_chat_request_event", "r2-a", None),
        ("event", "_chat_request_event", "r2-b", None),
        ("action", "chat_model_action", None, "failed"),
        ("action", "chat_model_action", None, "failed"),
    ]
    assert log.tree_text("r2").splitlines()[-1] == (
        "└─ action chat_model_action [failed] 2.000 ms: action_execution_failed"
        "  (handled event not recorded)"
    )
    # r4's chat_model_action shows what it handles (the request it answered): in r3 the
    # failure hangs under the request, not the audit event no action handled either
    records = [
        _flat(20, "r4", eventId="r4-in", eventType="_input_event"),
        _sent(21, "r4", "x6", "process_input", "r4-req", "_chat_request_event", "r4-in"),
        _execution(22, "r4", "x7", "chat_model_action", "started"),
        _sent(23, "r4", "x7", "chat_model_action", "r4-resp", "_chat_response_event", "r4-req"),
        _execution(24, "r4", "x7", "chat_model_action", "success"),
        _flat(30, "r3", eventId="r3-in", eventType="_input_event"),
        _sent(31, "r3", "x8", "process_input", "r3-audit", "audit", "r3-in"),
        _sent(32, "r3", "x8", "process_input", "r3-req", "_chat_request_event", "r3-in"),
        _execution(33, "r3", "x9", "chat_model_action", "started"),
        _execution(34, "r3", "x9", "chat_model_action", "failed"),
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    (r3,) = fa.read_event_log(path).trees("r3")
    assert [(n.name, n.event_id) for n in r3.walk() if n.kind == "action"] == [
        ("process_input", "r3-in"),
        ("chat_model_action", "r3-req"),
    ]


def test_a_trace_log_written_without_events_reads_without_a_problem_per_action(
    tmp_path: Path,
) -> None:
    """Targets that leave the events out (``[{"scope": {"action": "..."}}]``) write a log
    whose actions' handled events are not in it, by design: not one problem per action.
    A log that has events and lacks one an action handled still says so."""
    lines = TRACE.read_text(encoding="utf-8").splitlines()
    no_events = [line for line in lines if json.loads(line)["entityType"] != "event"]
    path = tmp_path / "traces-j-agent-0.log"
    path.write_text("\n".join(no_events) + "\n", encoding="utf-8")
    log = fa.read_event_log(path)
    assert len(log.frame) == len(no_events) > 0 and log.problems == []
    no_inputs = [line for line in lines if json.loads(line)["entityName"] != "_input_event"]
    path.write_text("\n".join(no_inputs) + "\n", encoding="utf-8")
    assert any("which is not in the log" in str(p) for p in fa.read_event_log(path).problems)
