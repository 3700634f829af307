"""The Trace Log we write, held to what Apache Flink Agents' own readers rely on.

Upstream's trace-tree CLI rebuilds ``_input_event``-rooted trees from event records alone:
an event's identity and lineage (``eventId``, ``upstreamEventId``, ``upstreamActionName``),
one record per event occurrence (a second record of an id with other content is an
``EVENT_ID_CONFLICT``), no lineage on an input event (``INVALID_ROOT_LINEAGE``), both fields
on every other event (``UNLINKED_EVENT``, ``MISSING_ACTION_NAME``), parents present
(``MISSING_PARENT``), no cycles. Its OTel export makes a trace per ``inputRunId`` and a span
per ``executionId`` (``parentExecutionId`` the parent span): upstream writes random UUIDs for
both, so two runs never share one. These tests hold our records to that for LLM and tool
calls, failures of actions, models and tools, retries, sub-agents, several keys, both
outputs and pretty printing (upstream's code itself is not run here).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

import flink_agents_runtime as rt
from flink_agents_runtime import ResourceType, ScriptRule
from tests.helpers.researcher import Researcher
from tests.helpers.triage_agent import Triage, delegating_triage, triage_variant

ALL = [{"scope": "ALL", "detail": "STANDARD"}]
UUID_SHAPE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
RETRY = {"error-handling-strategy": "retry", "max-retries": 1, "retry-wait-interval": 0}
_attempts: Counter[str] = Counter()


class _Flaky(rt.Agent):
    """Sends an output, then fails: always on ``bad``, on the first attempt otherwise."""

    @rt.action(rt.InputEvent)
    @staticmethod
    def work(event: rt.InputEvent, ctx: Any) -> None:
        _attempts[event.input] += 1
        ctx.send_event(rt.OutputEvent(output=f"partial {event.input}"))
        if event.input == "bad" or _attempts[event.input] == 1:
            raise ValueError(f"{event.input} failed, attempt {_attempts[event.input]}")


def _model_down(messages: Any, match: Any) -> str:
    raise RuntimeError("model is down")


def _delegating() -> rt.Agent:
    agent = delegating_triage("researcher")()
    setup = rt.SubagentSetup(Researcher(), "Researches an order with the carrier.")
    agent.add_resource("researcher", ResourceType.AGENT, setup)
    return agent


def _run(
    tmp_path: Path,
    agent: rt.Agent,
    inputs: list[dict[str, Any]],
    options: dict[str, Any] | None = None,
    caplog: pytest.LogCaptureFixture | None = None,
) -> list[dict[str, Any]]:
    """Run ``agent`` locally on ``inputs`` writing a Trace Log (FILE into ``tmp_path``;
    SLF4J when ``caplog`` is given) and return its records in written order."""
    env = rt.LocalExecutionEnvironment()
    config = {"trace-log.targets": ALL, **(options or {})}
    if caplog is None:
        config["trace-log.base-dir"] = str(tmp_path)
    else:
        config["trace-log.output-type"] = "SLF4J"
    for name, value in config.items():
        env.get_config().set(name, value)
    logger = "org.apache.flink.agents.TraceLog"
    capture = caplog.at_level(logging.INFO, logger) if caplog else contextlib.nullcontext()
    with capture, contextlib.suppress(rt.ActionFailedError):  # a failed run's are written too
        env.from_list(inputs).apply(agent).execute()
    if caplog is not None:
        return [json.loads(r.getMessage()) for r in caplog.records if r.name == logger]
    decoder, records = json.JSONDecoder(), []
    for path in sorted(tmp_path.glob("traces-*.log")):
        text, at = path.read_text(encoding="utf-8"), 0
        while at < len(text):  # consecutive JSON objects: one a line, or pretty-printed
            record, at = decoder.raw_decode(text, at)
            records.append(record)
            while at < len(text) and text[at].isspace():
                at += 1
    return records


def lineage_problems(records: list[dict[str, Any]]) -> list[str]:
    """What upstream's trace-tree CLI and OTel export would report or mislink in
    ``records`` (empty: none), in words."""
    out: list[str] = []
    events = [r for r in records if r["entityType"] == "event"]
    ids = Counter(r["entityMetadata"]["eventId"] for r in events)
    out += [f"event id {i} recorded {n} times" for i, n in ids.items() if n > 1]
    by_id = {r["entityMetadata"]["eventId"]: r for r in events}
    executions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if r["entityType"] != "event":
            executions[r["executionId"]].append(r)
    for r in events:
        meta, name = r["entityMetadata"], r["entityName"]
        if not (isinstance(meta["eventId"], str) and meta["eventId"]):
            out.append(f"{name}: eventId {meta['eventId']!r}")
        up, via = meta.get("upstreamEventId"), meta.get("upstreamActionName")
        if name == "_input_event":
            if up is not None or via is not None or meta.get("producerExecutionId"):
                out.append(f"input event {meta['eventId']} has lineage")
            continue
        if not (isinstance(up, str) and isinstance(via, str)):
            out.append(f"{name} {meta['eventId']}: upstream {up!r} via {via!r}")
            continue
        if up not in by_id:
            out.append(f"{name} {meta['eventId']}: upstream {up} not in the log")
        producer = executions.get(meta.get("producerExecutionId") or "")
        if producer:  # the execution that sent it: that action, on that upstream event
            sender = producer[0]
            if sender["entityName"] != via or sender["entityMetadata"]["triggerEventId"] != up:
                out.append(f"{name} {meta['eventId']}: producer is not {via} on {up}")
            if sender["inputRunId"] != r["inputRunId"]:
                out.append(f"{name} {meta['eventId']}: producer in another input run")
            if producer[-1]["status"] not in ("success", "reused"):
                out.append(f"{name} {meta['eventId']}: sent by a {producer[-1]['status']} attempt")
    for execution, rs in executions.items():
        statuses = [r["status"] for r in rs]
        if statuses not in (["started", "success"], ["started", "failed"], ["reused"]):
            out.append(f"execution {execution} ({rs[0]['entityName']}): {statuses}")
        if len({(r["inputRunId"], r["entityType"], r["entityName"]) for r in rs}) != 1:
            out.append(f"execution {execution} names two entities or runs")
        parent = rs[0]["parentExecutionId"]
        if rs[0]["entityType"] == "action":
            if parent is not None or rs[0]["entityMetadata"]["triggerEventId"] not in by_id:
                out.append(f"action execution {execution}: parent {parent}, trigger unknown")
        elif parent not in executions or executions[parent][0]["entityType"] != "action":
            out.append(f"{rs[0]['entityType']} execution {execution}: parent {parent}")
        elif executions[parent][0]["inputRunId"] != rs[0]["inputRunId"]:
            out.append(f"execution {execution}: parent in another input run")
    out += _order_problems(records)
    roots = {i for i, r in by_id.items() if r["entityName"] == "_input_event"}
    for eid in by_id:  # every event reaches an input event, without a cycle
        seen, at = set(), eid
        while at in by_id and at not in roots and at not in seen:
            seen.add(at)
            at = by_id[at]["entityMetadata"]["upstreamEventId"]
        if at not in roots:
            out.append(f"event {eid} does not lead to an input event")
    return out


TEXTS = ["where is order 42?", "hello", "order 7", "order 13?", "hi", "order 8"]


def _order_problems(records: list[dict[str, Any]]) -> list[str]:
    """Upstream's order: a call's records between its action's started and ended records,
    an event after the ended record of the execution that sent it."""
    out: list[str] = []
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for i, r in enumerate(records):
        if r["executionId"] is not None:
            first.setdefault(r["executionId"], i)
            last[r["executionId"]] = i
    for i, r in enumerate(records):
        parent = r["parentExecutionId"]
        if parent in first and not first[parent] < i < last[parent]:
            out.append(f"{r['entityType']} record {i} outside its action's records")
        producer = (
            r["entityMetadata"].get("producerExecutionId") if r["entityType"] == "event" else None
        )
        if producer in last and last[producer] > i:
            out.append(f"event record {i} before the end of the execution that sent it")
    return out


MANY = [{"key": f"k{i % 3}", "value": text} for i, text in enumerate(TEXTS)]


@pytest.mark.parametrize(
    ("agent", "inputs", "options", "ended"),
    [
        (Triage, MANY, {}, {"llm": {"success"}, "tool": {"success", "failed"}}),
        (
            lambda: triage_variant([ScriptRule(r".+", reply=_model_down)], model="m-1")(),
            [{"key": "a", "value": "x"}, {"key": "b", "value": "y"}],
            {"error-handling-strategy": "ignore"},
            {"llm": {"failed"}, "action": {"success", "failed"}},
        ),
        (
            _Flaky,
            [{"key": "a", "value": "r1"}, {"key": "b", "value": "bad"}],
            RETRY,
            {"action": {"success", "failed"}},
        ),
        (_delegating, [{"key": "a", "value": "order 5"}], {}, {"tool": {"success"}}),
    ],
    ids=["llm-tools-keys", "model-failure", "retry-action-failure", "subagent"],
)
def test_records_have_the_lineage_upstreams_trace_tree_needs(
    tmp_path: Path, agent: Any, inputs: list[dict[str, Any]], options: Any, ended: Any
) -> None:
    _attempts.clear()
    records = _run(tmp_path, agent(), inputs, options)
    assert lineage_problems(records) == []
    for entity, statuses in ended.items():
        seen = {r["status"] for r in records if r["entityType"] == entity} - {"started"}
        assert seen == statuses, entity  # the case ran into what it is about
    roots = [r for r in records if r["entityName"] == "_input_event"]
    assert len(roots) == len(inputs) == len({r["inputRunId"] for r in records})


def test_a_failed_attempts_events_are_not_recorded(tmp_path: Path) -> None:
    """An attempt that failed sent nothing (its events are dropped): the output of a
    retried action is the last attempt's alone, under that attempt's execution."""
    _attempts.clear()
    records = _run(tmp_path, _Flaky(), [{"key": "a", "value": "r1"}], RETRY)
    works = [r for r in records if r["entityName"] == "work" and r["status"] != "started"]
    assert [r["status"] for r in works] == ["failed", "success"]
    (output,) = [r for r in records if r["entityName"] == "_output_event"]
    assert output["entityMetadata"]["producerExecutionId"] == works[1]["executionId"]


@pytest.mark.parametrize("output", ["FILE", "SLF4J"])
def test_pretty_records_read_back_as_consecutive_objects(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, output: str
) -> None:
    log = caplog if output == "SLF4J" else None
    records = _run(tmp_path, Triage(), MANY[:3], {"trace-log.pretty-print": True}, log)
    assert len(records) > 20 and lineage_problems(records) == []


def test_runs_appending_to_one_file_never_share_run_or_execution_ids(tmp_path: Path) -> None:
    """Two local runs with one ``job-identifier`` append to one file (as a restarted Flink
    task does to its own): each input run and each execution keeps ids of its own, UUID-shaped
    as upstream's, so a trace per input run and a span per execution stay one run's."""
    for _ in range(2):
        records = _run(tmp_path, Triage(), MANY[:1], {"job-identifier": "desk"})
    (path,) = tmp_path.glob("traces-*.log")
    assert path.name == "traces-desk-local-0.log" and len(records) == 2 * 22
    runs = {r["inputRunId"] for r in records}
    assert len(runs) == 2 and all(UUID_SHAPE.fullmatch(r) for r in runs)
    executions = Counter(r["executionId"] for r in records if r["executionId"] is not None)
    assert set(executions.values()) == {2}  # started + ended, never another run's
    assert all(UUID_SHAPE.fullmatch(e) for e in executions)
    assert lineage_problems(records) == []

    import flink_agents_nb as fa

    trees = fa.read_event_log(path).trees("k0")
    assert len(trees) == 2
    for tree in trees:  # each chat action holds its own model call, not the other run's
        chats = [n for n in tree.walk() if n.kind == "action" and n.name == "chat_model_action"]
        assert [len([c for c in n.children if c.kind == "call"]) for n in chats] == [1, 1]


def test_a_failed_model_call_names_the_configured_model(tmp_path: Path) -> None:
    """``entityMetadata.model`` of an ``llm`` record is the model configured on the chat
    model resource (upstream: the requested identifier), also when the call failed and no
    answer named one (it was the resource's name); the entity name stays the resource."""
    agent = triage_variant([ScriptRule(r".+", reply=_model_down)], model="m-1")()
    records = _run(tmp_path, agent, [{"key": "a", "value": "x"}])
    llm = [r for r in records if r["entityType"] == "llm"]
    assert [r["status"] for r in llm] == ["started", "failed"]
    assert {r["entityName"] for r in llm} == {"triage_model"}
    assert {r["entityMetadata"]["model"] for r in llm} == {"m-1"}
    assert llm[1]["problemCategory"] == "model_call_failed"


class _ProviderIds(rt.ScriptedChatModelConnection):
    """The scripted model answering tool calls with the provider's own ids beside ours
    (``original_id``, as a connection keeps a provider's id)."""

    def chat(self, messages: Any, tools: Any = None, **kwargs: Any) -> rt.ChatMessage:
        answer = super().chat(messages, tools, **kwargs)
        for call in answer.tool_calls:
            call["original_id"] = f"toolu_{call['id']}"
        return answer


def test_tool_records_carry_upstreams_tool_metadata(tmp_path: Path) -> None:
    """Upstream's tool action writes ``toolRequestEventId``, ``toolCallId``, the provider's
    ``externalId`` (when it gave one) and ``toolType`` (when the tool resolved) in
    ``entityMetadata``; a tool that does not exist fails without a type."""
    rules = [
        ScriptRule(r"order (\d+)", tool_calls=[
            {"name": "lookup_order", "arguments": {"order_id": "{1}"}},
            {"name": "no_such_tool", "arguments": {}},
        ]),
        ScriptRule(None, role="tool", reply="Status: {content}"),
    ]  # fmt: skip
    agent = triage_variant(rules, model="t-1", tools=["lookup_order"])()
    agent.add_resource(
        "scripted", ResourceType.CHAT_MODEL_CONNECTION,
        rt.ResourceDescriptor(_ProviderIds, rules=rules),
    )  # fmt: skip
    records = _run(tmp_path, agent, [{"key": "a", "value": "order 42"}])
    (request,) = [r for r in records if r["entityName"] == "_tool_request_event"]
    calls = {c["id"]: c for c in request["attributes"]["tool_calls"]}
    ended = [r for r in records if r["entityType"] == "tool" and r["status"] != "started"]
    assert [(r["entityName"], r["status"]) for r in ended] == [
        ("lookup_order", "success"),
        ("no_such_tool", "failed"),
    ]
    found, missing = (r["entityMetadata"] for r in ended)
    assert list(found) == ["toolRequestEventId", "toolCallId", "externalId", "toolType"]
    assert found["toolRequestEventId"] == request["entityMetadata"]["eventId"]
    assert calls[found["toolCallId"]]["function"]["name"] == "lookup_order"
    assert found["externalId"] == f"toolu_{found['toolCallId']}"
    assert found["toolType"] == "function"
    assert list(missing) == ["toolRequestEventId", "toolCallId", "externalId"]
    assert ended[1]["problemCategory"] == "tool_call_failed"
    assert lineage_problems(records) == []


def _down_once(messages: Any, match: Any) -> str:
    _attempts["model"] += 1
    if _attempts["model"] == 1:
        raise ConnectionError("connection reset")
    return "fine now"


@pytest.mark.parametrize("reply", [_down_once, _model_down], ids=["recovers", "stays-down"])
def test_a_model_call_retried_in_place_has_a_record_pair_per_attempt(
    tmp_path: Path, reply: Any
) -> None:
    """Upstream's chat action reports each attempt of a retried model call as its own
    ``llm`` execution (started, then success or failed with its error) under the action;
    ours wrote one pair spanning every attempt and the waits between them."""
    _attempts.clear()
    agent = triage_variant([ScriptRule(r".+", reply=reply)], model="m-1")()
    retry = {**RETRY, "retry-wait-interval": 0.05}
    records = _run(tmp_path, agent, [{"key": "a", "value": "x"}], retry)
    llm = [r for r in records if r["entityType"] == "llm"]
    pairs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in llm:
        pairs[r["executionId"]].append(r)
    ends = ["success"] if reply is _down_once else ["failed"]
    assert [[r["status"] for r in p] for p in pairs.values()] == [
        ["started", "failed"],
        ["started", *ends],
    ]
    (chat,) = {r["parentExecutionId"] for r in llm}
    names = {r["executionId"]: r["entityName"] for r in records}
    assert names[chat] == "chat_model_action"
    first, second = (
        [dt.datetime.fromisoformat(r["timestamp"].replace("Z", "+00:00")) for r in p]
        for p in pairs.values()
    )
    assert first[1] <= second[0] and (second[0] - first[1]).total_seconds() >= 0.04  # the wait
    failed = [r for r in llm if r["status"] == "failed"]
    assert failed[0]["attributes"] == (
        {"errorType": "ConnectionError", "errorMessage": "connection reset"}
        if reply is _down_once
        else {"errorType": "RuntimeError", "errorMessage": "model is down"}
    )
    assert {r["problemCategory"] for r in failed} == {"model_call_failed"}
    assert lineage_problems(records) == []


def test_a_failed_tool_call_names_the_tools_exception(tmp_path: Path) -> None:
    """Upstream reports a tool's exception as the failure (``errorType``: its type); ours
    answers the model ``Error: <Type>: <message>``, which was read as type ``Error``."""
    records = _run(tmp_path, Triage(), [{"key": "a", "value": "order 13"}])
    (failed,) = [r for r in records if r["entityType"] == "tool" and r["status"] == "failed"]
    assert failed["problemCategory"] == "tool_call_failed"
    assert failed["attributes"] == {
        "errorType": "LookupError",
        "errorMessage": "order 13 is archived",
    }


def test_log_metrics_count_a_retried_model_call_once_as_the_run_does(tmp_path: Path) -> None:
    """From per-attempt ``llm`` pairs, ``log.metrics`` counts one call (its retries apart),
    as the run's registry does, not a failed call and a successful one."""
    import flink_agents_nb as fa

    _attempts.clear()
    agent = triage_variant([ScriptRule(r".+", reply=_down_once)], model="m-1")()
    config = {"trace-log.base-dir": str(tmp_path), "trace-log.targets": ALL, **RETRY}
    config["retry-wait-interval"] = 0.05
    run = fa.local(config=config).from_list([{"key": "a", "value": "x"}]).apply(agent).execute()
    logged = fa.read_event_log(tmp_path).metrics
    group = "action.chat_model_action.model_resource.triage_model."
    for name in ("numOfLlmCallsSucceeded", "numOfLlmCallsFailed", "retryCount"):
        assert logged.get(group + name, 0) == run.metrics.get(group + name, 0), name
    assert logged[group + "numOfLlmCallsSucceeded"] == 1 and logged[group + "retryCount"] == 1
    assert logged[group + "retryWaitSec"] >= 0.04
    assert logged[group + "llmCallLatencyMs"] >= 40  # both attempts and the wait


def test_exported_tokens_go_to_the_attempt_that_answered(tmp_path: Path) -> None:
    """OTLP export of per-attempt ``llm`` pairs: a chat span each, ``error.type`` on the
    failed attempt, the answer's tokens on the attempt that answered only (they were on
    both, counting them twice)."""
    import flink_agents_nb as fa

    _attempts.clear()
    agent = triage_variant([ScriptRule(r".+", reply=_down_once)], model="m-1")()
    _run(tmp_path / "log", agent, [{"key": "a", "value": "x"}], RETRY)
    fa.export_otlp(tmp_path / "log", path=tmp_path / "spans.jsonl")
    spans = [
        span
        for line in (tmp_path / "spans.jsonl").read_text().splitlines()
        for resource in json.loads(line)["resourceSpans"]
        for scope in resource["scopeSpans"]
        for span in scope["spans"]
    ]
    chats = [
        {a["key"]: next(iter(a["value"].values())) for a in s["attributes"]}
        for s in sorted(spans, key=lambda s: int(s["startTimeUnixNano"]))
        if s["name"] == "chat m-1"
    ]
    assert [c.get("error.type") for c in chats] == ["model_call_failed", None]
    assert "gen_ai.usage.input_tokens" not in chats[0]
    assert int(chats[1]["gen_ai.usage.input_tokens"]) > 0


def test_calls_logged_without_their_actions_hang_under_the_sending_action(
    tmp_path: Path,
) -> None:
    """Targets may log tools but no actions (``EVENT_ONLY`` plus ``{entityType: tool}``):
    the tree's action known from the events it sent (``producerExecutionId``) shows the
    calls whose ``parentExecutionId`` is that execution (they were left out)."""
    import flink_agents_nb as fa

    targets = [
        {"scope": "EVENT_ONLY", "detail": "STANDARD"},
        {"scope": {"entityType": "tool"}, "detail": "VERBOSE"},
    ]
    records = _run(tmp_path, Triage(), MANY[:1], {"trace-log.targets": targets})
    assert {r["entityType"] for r in records} == {"event", "tool"}
    (tree,) = fa.read_event_log(tmp_path).trees("k0")
    (runner,) = [n for n in tree.walk() if n.name == "tool_call_action"]
    assert [(n.kind, n.name) for n in runner.children] == [
        ("call", "tool lookup_order"),
        ("event", "_tool_response_event"),
    ]
