"""The Trace Log writer's calls of chat and tool actions: made only when a target writes
them, and written in upstream's shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import flink_agents_runtime as rt
from flink_agents_runtime.eventlog._targets import TargetResolver, parse_targets
from flink_agents_runtime.eventlog._trace_setup import trace_sink_for_task
from flink_agents_runtime.eventlog._trace_sink import TraceLogSink
from tests.helpers.triage_agent import Triage

INPUTS = [{"key": "k1", "value": "where is order 42?"}, {"key": "k2", "value": "hello"}]


def may_write(targets: Any) -> set[str]:
    resolver = TargetResolver(parse_targets(targets))
    kinds = ("event", "action", "llm", "tool", "parser")
    return {kind for kind in kinds if resolver.may_write(kind)}


def test_which_entity_types_targets_may_write() -> None:
    assert may_write(None) == {"event"}  # the default: EVENT_ONLY
    assert may_write([{"scope": "ALL"}]) == {"event", "action", "llm", "tool", "parser"}
    tool = {"scope": {"entityType": "tool", "entityName": "lookup*"}, "detail": "VERBOSE"}
    assert may_write([{"scope": "EVENT_ONLY"}, tool]) == {"event", "tool"}
    assert may_write([{"scope": "ALL", "detail": "OFF"}, tool]) == {"tool"}
    off = {"scope": {"entityType": "action"}, "detail": "OFF"}
    assert may_write([{"scope": "EVENT_ONLY", "detail": "OFF"}, off, tool]) == {"tool"}


def _records() -> list[tuple[bool, Any]]:
    """A run's records in the order the core gave them, ``(is_event, record)``."""
    env = rt.LocalExecutionEnvironment()
    result = env.from_list(INPUTS).apply(Triage()).execute(record=True)
    tagged = [(True, r) for r in result.events or []] + [(False, r) for r in result.actions or []]
    return sorted(tagged, key=lambda pair: pair[1].seq)


def _sink(directory: Path, targets: Any) -> TraceLogSink:
    config = rt.LocalExecutionEnvironment().get_config().copy()
    config.set("trace-log.base-dir", str(directory))
    if targets is not None:
        config.set("trace-log.targets", targets)
    sink = trace_sink_for_task(config, "job", "local", 0, agent_name="Triage")
    assert sink is not None
    return sink


def _written(sink: TraceLogSink) -> list[dict[str, Any]]:
    assert sink.path is not None
    return [json.loads(line) for line in sink.path.read_text(encoding="utf-8").splitlines()]


def test_event_only_targets_make_no_per_call_work(tmp_path: Path) -> None:
    """The default targets write no action or call records: the sink keeps no request's
    calls and holds no chat or tool action back for the event telling its calls' answers;
    it writes every event record, with the execution that sent it."""
    records = _records()
    assert {r.action for is_event, r in records if not is_event} >= {
        "chat_model_action",
        "tool_call_action",
    }
    sink = _sink(tmp_path, None)
    assert sink._calls is None
    for is_event, record in records:
        if is_event:
            sink.on_event(record)
        else:
            sink.on_action(record)
            assert not sink._waiting and not sink._producer.keys() - set(record.sent_event_ids)
    sink.close()
    written = _written(sink)
    assert [r["entityMetadata"]["eventId"] for r in written] == [
        str(r.event.id) for is_event, r in records if is_event
    ]
    for r in written:  # an input event has no producer, every other one has
        producer = r["entityMetadata"]["producerExecutionId"]
        assert (producer is None) == (r["entityName"] == "_input_event")


def test_call_targets_alone_still_hold_the_action_for_its_calls(tmp_path: Path) -> None:
    """With tool records asked for (and no action records) the tool action waits for its
    response event, whose attributes tell which calls failed."""
    records = _records()
    tool = [{"scope": "EVENT_ONLY"}, {"scope": {"entityType": "tool"}, "detail": "VERBOSE"}]
    sink = _sink(tmp_path, tool)
    assert sink._calls is not None
    for is_event, record in records:
        (sink.on_event if is_event else sink.on_action)(record)
    sink.close()
    calls = [r for r in _written(sink) if r["entityType"] == "tool"]
    assert [(r["entityName"], r["status"]) for r in calls] == [
        ("lookup_order", "started"),
        ("lookup_order", "success"),
    ]


@pytest.mark.parametrize("detail", ["STANDARD", "VERBOSE"])
def test_a_tool_call_that_succeeded_has_no_attributes_as_upstream(
    tmp_path: Path, detail: str
) -> None:
    """Upstream reports a tool call's success without attributes (its answer is the tool
    response event's): so does the kit, at both details; a failed one says its error. The
    reader still shows the answer, on the response event, and finds it by text."""
    import flink_agents_nb as fa

    env = rt.LocalExecutionEnvironment()
    env.get_config().set("trace-log.base-dir", str(tmp_path))
    env.get_config().set("trace-log.targets", [{"scope": "ALL", "detail": detail}])
    inputs = [{"key": "k1", "value": "where is order 42?"}, {"key": "k2", "value": "order 13"}]
    env.from_list(inputs).apply(Triage()).execute()
    (path,) = tmp_path.glob("traces-*.log")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    ended = {
        r["businessKey"]: r
        for r in records
        if r["entityType"] == "tool" and r["status"] != "started"
    }
    assert (ended["k1"]["status"], ended["k1"]["attributes"]) == ("success", {})
    assert ended["k2"]["status"] == "failed"
    assert ended["k2"]["attributes"] == {
        "errorType": "LookupError",
        "errorMessage": "order 13 is archived",
    }
    log = fa.read_event_log(tmp_path)
    f = log.frame
    response = f[(f["event_type"] == "_tool_response_event") & (f["record_type"] == "event")]
    answers = {row.key: dict(row.attributes)["responses"] for row in response.itertuples()}
    assert list(answers["k1"].values()) == [{"order": "42", "status": "shipped"}]
    found = fa.Inspector(log).filter(text="shipped")
    assert "_tool_response_event" in set(found.page_rows()["event_type"])


def _tool_records(tmp_path: Path, records: list[tuple[bool, Any]]) -> list[dict[str, Any]]:
    """The ended ``tool`` records a sink writing everything makes of ``records``."""
    sink = _sink(tmp_path, [{"scope": "ALL"}])
    for is_event, record in records:
        (sink.on_event if is_event else sink.on_action)(record)
    sink.close()
    return [r for r in _written(sink) if r["entityType"] == "tool" and r["status"] != "started"]


def test_a_retried_tool_action_writes_its_calls_on_the_attempt_that_succeeds(
    tmp_path: Path,
) -> None:
    """Attempt 1 of the tool action fails (no response event), attempt 2 succeeds: each
    attempt's execution has its tool call, the second's succeeded."""
    import msgspec

    retried: list[tuple[bool, Any]] = []
    for is_event, record in _records():
        if not is_event and record.action == "tool_call_action":
            failed = msgspec.structs.replace(  # its own seq: its own execution id
                record, seq=10**6, status="failed", error="TimeoutError: slow", sent_event_ids=()
            )
            retried.append((False, failed))
            record = msgspec.structs.replace(record, attempt=2)
        retried.append((is_event, record))
    calls = _tool_records(tmp_path, retried)
    assert [(r["entityName"], r["status"], r["attributes"]) for r in calls] == [
        ("lookup_order", "failed", {"errorType": "TimeoutError", "errorMessage": "slow"}),
        ("lookup_order", "success", {}),
    ]
    assert calls[0]["parentExecutionId"] != calls[1]["parentExecutionId"]


def test_a_failed_call_says_the_0_4_diagnostic_rather_than_its_answer(tmp_path: Path) -> None:
    """A Flink Agents 0.4 tool response tells a failed call by ``success`` false and its
    diagnostic in ``error`` (by call id, the exception's text): that, not the answer."""
    env = rt.LocalExecutionEnvironment()
    run = env.from_list([{"key": "k2", "value": "order 13"}]).apply(Triage())
    result = run.execute(record=True)
    events = result.events or []
    tagged = [(True, r) for r in events] + [(False, r) for r in result.actions or []]
    records = sorted(tagged, key=lambda pair: pair[1].seq)
    (response,) = [r.event for r in events if r.event.type == "_tool_response_event"]
    attrs = response.attributes
    (call_id,) = attrs["responses"]
    del attrs["errors"]  # as 0.4 writes it: success and error by call id
    attrs["success"] = {call_id: False}
    attrs["responses"] = {call_id: "partial output"}
    attrs["error"] = {call_id: "order 13 is archived upstream"}
    (failed,) = _tool_records(tmp_path, records)
    assert failed["status"] == "failed"
    assert failed["attributes"] == {"errorMessage": "order 13 is archived upstream"}
