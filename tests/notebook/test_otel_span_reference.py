"""A trace frame's spans built row by row with the :mod:`._span_spec` helpers, as the
column-wise builder's docstring (:mod:`._trace_spans`) states the mapping, equal the span
tables' SpanSpecs (``TracedTables.specs``): a statement of the mapping independent of the
tables, so a column that drifts from its helper (an implied upstream, a missing value, an
id) shows here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import flink_agents_nb as fa
from flink_agents_nb.eventlog._reader import EventLog
from flink_agents_nb.otel._names import (
    CHAT,
    ENTITY_TYPE,
    ERROR_TYPE,
    EVENT_ID,
    EXECUTE_TOOL,
    EXECUTION_ID,
    GEN_AI_AGENT_NAME,
    GEN_AI_OPERATION_NAME,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_TOOL_NAME,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    MODEL_RESOURCE,
)
from flink_agents_nb.otel._span_spec import (
    NAT,
    SpanSpec,
    _error_type,
    _given,
    _id,
    _ns,
    action_attrs,
    agent_label,
    mark_execution,
    one_model,
    root_span,
    run_where,
    span_event,
    status_message,
)
from flink_agents_nb.otel._spans import built_spans
from flink_agents_nb.otel._trace_spans import TracedTables

CORPUS = Path(__file__).resolve().parents[1] / "eventlog_corpus"
TRACE = CORPUS / "traces-4f1e2d3c-weather_agent-0.log"
FLAT = CORPUS / "events-a3f1c2d4-weather_agent-0.log"


def _or_none(value: Any) -> Any:
    return value if _given(value) else None


def _float(value: Any) -> float:
    return float(value) if _given(value) else float("nan")


def _execution(attrs: dict[str, Any], r: dict[str, Any], run_agent: Any) -> str | None:
    """What every action and call span adds: status beyond ok/failed, missing duration,
    execution id, ``error.type``, a sub-agent's name; the status message when failed."""
    mark_execution(attrs, r["status"], _float(r["duration_ms"]))
    if _given(r["execution_id"]):
        attrs[EXECUTION_ID] = str(r["execution_id"])
    message = None
    if r["status"] == "failed":
        attrs[ERROR_TYPE] = _error_type(r["error"], r["problem_category"])
        message = status_message(r["error"], attrs[ERROR_TYPE])
    if _given(r["agent_name"]) and r["agent_name"] != run_agent:
        attrs[GEN_AI_AGENT_NAME] = str(r["agent_name"])
    return message


def _run(run: Any, rows: list[dict[str, Any]], agent_name: str | None) -> list[SpanSpec]:
    """One run's spans: its root, a span per action, a span per call (each in frame
    order), the events as span events on their sender's span (else the root's)."""
    trace, root_id, first = _id(128, run), _id(64, run, "root"), rows[0]
    events = [r for r in rows if r["record_type"] == "event"]
    actions = [r for r in rows if r["record_type"] == "action"]
    calls = [r for r in rows if r["record_type"] == "call"]
    stamps = [r["_ns"] for r in rows if r["_ns"] != NAT]
    start = min(stamps) if stamps else 0
    ends = [r["_ns"] + _ns(_float(r["duration_ms"])) for r in rows if r["_ns"] != NAT]
    end = max([*ends, start])
    counted = [e for e in events if _given(e["prompt_tokens"]) or _given(e["completion_tokens"])]
    prompt, completion = (
        sum(int(e[name]) for e in events if _given(e[name]))
        for name in ("prompt_tokens", "completion_tokens")
    )
    run_agent = next((r["agent_name"] for r in rows if _given(r["agent_name"])), None)
    agent = agent_label(agent_name, _or_none(first["task"]), _or_none(first["job"]), run_agent)
    last = actions[-1] if actions else None
    error = None
    if last is not None and last["status"] == "failed":
        error = _error_type(last["error"], last["problem_category"])
    model = one_model([e["model"] for e in counted])
    key = _or_none(first["key"])
    tokens = (prompt, completion)
    root = root_span(trace, root_id, str(run), agent, key, start, end, tokens, error, model)
    is_event = first["record_type"] == "event"
    where = (first["job"], first["task"], first["subtask"], first["input_seq"])
    root.attributes.update(run_where(*where, first["event_type"] if is_event else None))
    if is_event and _given(first["event_id"]):
        root.attributes[EVENT_ID] = str(first["event_id"])
    spans = [root]
    by_exec: dict[Any, SpanSpec] = {}  # execution id -> its (first) action span
    for r in actions:
        exec_id = r["execution_id"]
        sid = _id(64, run, "action", exec_id if _given(exec_id) else r["_at"])
        name = str(r["action"])
        attrs = action_attrs(
            name, r["event_type"], r["status"], _float(r["duration_ms"]), r["attempt"]
        )
        message = _execution(attrs, r, run_agent)
        if _given(r["event_id"]):
            attrs[EVENT_ID] = str(r["event_id"])
        end_ns = r["_ns"] + _ns(_float(r["duration_ms"]))
        spans.append(SpanSpec(trace, sid, root_id, name, r["_ns"], end_ns, attrs, message))
        if _given(exec_id):
            by_exec.setdefault(exec_id, spans[-1])
    for r in calls:
        spans.append(_call(run, trace, root_id, r, calls, events, by_exec, run_agent))
    for e in events:
        if e is first:  # the run's input event: on the root as its event id
            continue
        on = (
            by_exec.get(e["parent_execution_id"], root)
            if _given(e["parent_execution_id"])
            else root
        )
        at = e["_ns"] if e["_ns"] != NAT else on.start_ns
        upstream = (e["upstream_event_id"], e["upstream_action"])
        counts = (e["prompt_tokens"], e["completion_tokens"], e["model"])
        on.events.append(
            span_event(e["event_id"], e["event_type"], at, upstream, counts, on.attributes)
        )
    return spans


def _call(
    run: Any,
    trace: int,
    root_id: int,
    r: dict[str, Any],
    calls: list[dict[str, Any]],
    events: list[dict[str, Any]],
    by_exec: dict[Any, SpanSpec],
    run_agent: Any,
) -> SpanSpec:
    """A call's span, under its action execution's span (else the root); the last llm call
    that answered in an execution has the token totals of the events that execution sent."""
    exec_id, parent = r["execution_id"], r["parent_execution_id"]
    sid = _id(64, run, "call", exec_id if _given(exec_id) and exec_id else r["_at"])
    under = by_exec.get(parent) if _given(parent) else None
    kind, name = str(r["entity_type"]), str(r["entity_name"])
    attrs: dict[str, Any] = {}
    if kind == "llm":
        model = r["model"] if _given(r["model"]) and r["model"] else name
        label = f"chat {model}"
        attrs = {
            GEN_AI_OPERATION_NAME: CHAT,
            GEN_AI_REQUEST_MODEL: str(model),
            MODEL_RESOURCE: name,
        }
        answered = [
            c for c in calls
            if c["entity_type"] == "llm" and c["status"] != "failed"
            and _given(c["parent_execution_id"]) and c["parent_execution_id"] == parent
        ]  # fmt: skip
        if answered and answered[-1] is r:
            sent = [e for e in events if _given(parent) and e["parent_execution_id"] == parent]
            counted = [
                e for e in sent if _given(e["prompt_tokens"]) or _given(e["completion_tokens"])
            ]
            if counted:
                attrs[GEN_AI_USAGE_INPUT_TOKENS] = sum(
                    int(e["prompt_tokens"]) for e in sent if _given(e["prompt_tokens"])
                )
                attrs[GEN_AI_USAGE_OUTPUT_TOKENS] = sum(
                    int(e["completion_tokens"]) for e in sent if _given(e["completion_tokens"])
                )
                used = one_model([e["model"] for e in counted])
                if used is not None and used != model:
                    attrs[GEN_AI_RESPONSE_MODEL] = str(used)
    elif kind == "tool":
        label = f"execute_tool {name}"
        attrs = {GEN_AI_OPERATION_NAME: EXECUTE_TOOL, GEN_AI_TOOL_NAME: name}
    else:
        label = f"{kind} {name}"
        attrs = {ENTITY_TYPE: kind}
    message = _execution(attrs, r, run_agent)
    parent_id = under.span_id if under is not None else root_id
    end_ns = r["_ns"] + _ns(_float(r["duration_ms"]))
    return SpanSpec(trace, sid, parent_id, label, r["_ns"], end_ns, attrs, message)


def reference_spans(frame: pd.DataFrame, agent_name: str | None = None) -> list[SpanSpec]:
    """The spans of a trace ``frame``, row by row: runs in order of first record."""
    stamps = frame["timestamp"].to_numpy(dtype="datetime64[ns]").view(np.int64).tolist()
    records = frame.to_dict("records")
    runs: dict[Any, list[dict[str, Any]]] = {}
    for at, (r, ns) in enumerate(zip(records, stamps, strict=True)):
        if _given(r["run_id"]):
            runs.setdefault(r["run_id"], []).append({**r, "_at": at, "_ns": ns})
    return [s for run, rows in runs.items() for s in _run(run, rows, agent_name)]


def _varied(base: pd.DataFrame) -> pd.DataFrame:
    """Copies of ``base`` as several runs: events only, missing durations and attempts,
    failed calls, a sub-agent's rows, upstreams that differ from their span's or are
    missing, missing event ids and types, odd text."""
    copies = []
    for i in range(12):
        copy = base.copy()
        copy["run_id"] = copy["run_id"].astype(str) + f"-{i}"
        if i % 4 == 0:
            copy = copy[copy["record_type"] == "event"].copy()
        if i % 3 == 1:
            copy["duration_ms"] = float("nan")
            copy["attempt"] = pd.array([None] * len(copy), dtype="Int64")
            copy.loc[copy["record_type"] == "call", "status"] = "failed"
        if i % 5 == 2:
            copy["agent_name"] = ["helper" if j % 2 else "main" for j in range(len(copy))]
            copy["upstream_action"] = "somewhere"
            copy["upstream_event_id"] = [None if j % 3 else "x" for j in range(len(copy))]
        if i % 6 == 3:
            copy["event_id"] = [None if j % 4 == 1 else e for j, e in enumerate(copy["event_id"])]
            copy["event_type"] = pd.array(
                [None if j % 5 == 2 else t for j, t in enumerate(copy["event_type"])],
                dtype="string",
            )
            copy["action"] = [None if a is None else f'{a} "\u2028\ud83d' for a in copy["action"]]
        copies.append(copy)
    return pd.concat(copies, ignore_index=True)


@pytest.mark.parametrize("path", [TRACE, FLAT], ids=["trace-log", "flat-with-context"])
@pytest.mark.parametrize("agent", [None, "named"])
@pytest.mark.parametrize("varied", [False, True], ids=["as-read", "varied"])
def test_row_by_row_spans_equal_the_tables(path: Path, agent: str | None, varied: bool) -> None:
    frame = fa.read_event_log(path).frame
    if varied:
        frame = _varied(frame)
    built = built_spans(EventLog(frame, [], []), agent)
    assert isinstance(built, TracedTables)
    specs = built.specs()
    expected = reference_spans(frame, agent)
    assert len(specs) == len(expected)
    for got, want in zip(specs, expected, strict=True):
        assert got == want
    assert any(s.events for s in specs)
