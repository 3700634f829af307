"""The record rows of imported OTLP spans (see :mod:`._import` for the mapping).

:class:`RunInfo` is what a trace's root span says of its whole input run (key, run id, job,
task, subtask, the type of the event that started it); :func:`span_rows` gives one span's
rows; :func:`uncounted_rows` the token counts a root span has beyond its trace's chat spans.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.otel._names import (
    ACTION_ATTEMPT,
    CHAT,
    DURATION_MISSING,
    ENTITY_TYPE,
    ERROR_TYPE,
    EVENT_ID,
    EVENT_TYPE,
    EXECUTE_TOOL,
    EXECUTION_STATUS,
    GEN_AI_AGENT_NAME,
    GEN_AI_CONVERSATION_ID,
    GEN_AI_OPERATION_NAME,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_TOOL_NAME,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    INPUT_RUN_ID,
    INPUT_SEQ,
    JOB_ID,
    MODEL_RESOURCE,
    SUBTASK_INDEX,
    TASK_NAME,
    TEXT_COMPLETION,
)
from flink_agents_nb.otel._span_spec import upstream_of

#: ``gen_ai.operation.name`` of the spans that become call rows, and their entity type.
CALLS = {CHAT: "llm", TEXT_COMPLETION: "llm", EXECUTE_TOOL: "tool"}


@dataclass
class RunInfo:
    """One trace's input run, from its root span (``root``: the root's span id, ``""``
    when the file has none). ``key``: ``gen_ai.conversation.id``; our run without one has
    none (as its log had), another tool's takes the trace id. ``run_id``: our export's
    ``flink_agents.input_run.id``, else the trace id. ``job``: ``flink_agents.job.id``,
    else the resource's ``service.name``."""

    root: str
    key: Any
    run_id: str
    job: Any
    task: Any = None
    subtask: Any = None
    #: our export's ``flink_agents.input_seq`` (another tool's runs are numbered in order)
    input_seq: int | None = None
    event_type: str = "_input_event"
    ours: bool = False
    #: the id of the event that started the run (our export's), else one made up
    input_event: str = ""
    #: whether our export carried the run's events as span events (else the import makes
    #: chat response events from the chat spans' token counts)
    evented: bool = False

    def where(self, attrs: dict[str, Any], file: str, line: int) -> dict[str, Any]:
        """A row's columns of where its run ran and where its span was read (``file``,
        ``line``); the key from the span's ``gen_ai.conversation.id``, else the run's."""
        return {
            "job": self.job,
            "task": self.task,
            "subtask": self.subtask,
            "key": attrs.get(GEN_AI_CONVERSATION_ID) or self.key,
            "file": file,
            "line": line,
            "run_id": self.run_id,
        }

    @classmethod
    def of_root(cls, trace: str, sid: str, attrs: dict[str, Any], service: Any) -> RunInfo:
        """The run of root span ``sid`` of ``trace`` (its decoded ``attrs``)."""
        ours = INPUT_RUN_ID in attrs
        key = attrs.get(GEN_AI_CONVERSATION_ID)
        subtask, seq = attrs.get(SUBTASK_INDEX), attrs.get(INPUT_SEQ)
        return cls(
            root=sid,
            key=key if key is not None or ours else trace,
            run_id=str(attrs.get(INPUT_RUN_ID) or trace),
            job=attrs.get(JOB_ID) or (None if ours else service),
            task=attrs.get(TASK_NAME),
            subtask=subtask if isinstance(subtask, int) else None,
            input_seq=seq if isinstance(seq, int) else None,
            event_type=str(attrs.get(EVENT_TYPE) or "_input_event"),
            ours=ours,
            input_event=str(attrs.get(EVENT_ID) or f"{trace}:{sid}"),
        )

    @classmethod
    def rootless(cls, trace: str, service: Any) -> RunInfo:
        """The run of a trace whose root span the file lacks."""
        return cls(root="", key=trace, run_id=trace, job=service, input_event=f"{trace}:")


def _value(any_value: Any) -> Any:
    if not isinstance(any_value, dict):
        return any_value
    for name in ("stringValue", "boolValue", "doubleValue"):
        if name in any_value:
            return any_value[name]
    if "intValue" in any_value:
        try:
            return int(any_value["intValue"])
        except (TypeError, ValueError):
            return any_value["intValue"]
    if "arrayValue" in any_value:
        return [_value(v) for v in (any_value["arrayValue"] or {}).get("values", [])]
    if "kvlistValue" in any_value:
        return attributes_of((any_value["kvlistValue"] or {}).get("values", []))
    return None


def attributes_of(items: Any) -> dict[str, Any]:
    """OTLP ``KeyValue`` items (``attributes``) as a dict of plain values."""
    out: dict[str, Any] = {}
    for item in items or ():
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out[item["key"]] = _value(item.get("value"))
    return out


def _ns(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def span_rows(
    file: str,
    line: int,
    span: dict[str, Any],
    attrs: dict[str, Any],
    run: RunInfo,
    named: tuple[dict[str, str], dict[str, Any], dict[str, str]],
    agent: tuple[bool, str | None],
) -> list[dict[str, Any]]:
    """The rows of one span (see :mod:`._import`), ``attrs`` its attributes decoded, ``run``
    its trace's; ``named``: per span id, its name, (our action spans) the type and id of
    the event it handled, and (our spans of a trace log) its execution id; ``agent``:
    whether a root span also gets an action row (calls hang right under it), and the
    span's agent."""
    names, handled, execs = named
    invoked, agent_name = agent
    trace, sid = span["traceId"], span["spanId"]
    parent = span.get("parentSpanId") or None
    # a trace log's execution ids, as its records had them (an action: no parent)
    if parent is not None and parent == run.root and run.ours:
        parent_execution = None
    else:
        parent_execution = execs.get(parent, parent) if parent is not None else None
    start, end = _ns(span.get("startTimeUnixNano")), _ns(span.get("endTimeUnixNano"))
    stamp = pd.Timestamp(start, unit="ns", tz="UTC") if start is not None else pd.NaT
    duration = (end - start) / 1e6 if start is not None and end is not None else np.nan
    if attrs.get(DURATION_MISSING) is True:
        duration = np.nan
    status = span.get("status") or {}
    failed = status.get("code") in (2, "STATUS_CODE_ERROR")
    told = attrs.get(EXECUTION_STATUS)  # our export's status beyond ok/failed (replayed, ...)
    error = (status.get("message") or attrs.get(ERROR_TYPE) or None) if failed else None
    op = attrs.get(GEN_AI_OPERATION_NAME)
    root_event = run.input_event
    common = {
        **run.where(attrs, file, line),
        **({"input_seq": run.input_seq} if run.ours else {}),  # (else numbered: _frame)
        "execution_id": execs.get(sid, sid),
        "parent_execution_id": parent_execution,
        "problem_category": attrs.get(ERROR_TYPE) if failed else None,
        "agent_name": agent_name,
    }
    name = str(span.get("name") or op or "span")
    invocation = {
        **common,
        "record_type": "action",
        "timestamp": stamp,
        "event_id": root_event,
        "event_type": run.event_type,
        "action": name,
        "duration_ms": duration,
        "status": told if isinstance(told, str) and told else "failed" if failed else "ok",
        "error": error,
        "attributes": attrs,
        "entity_type": "action",
        "entity_name": name,
    }
    events = _event_rows(span, attrs, common, None if parent is None else execs.get(sid, sid))
    if parent is None:
        event = {
            **common,
            "record_type": "event",
            "timestamp": stamp,
            "event_id": root_event,
            "event_type": run.event_type,
            "attributes": attrs,
            "entity_type": "event",
            "entity_name": str(span.get("name") or ""),
        }
        if run.ours:  # an event record, as the log had it; its error.type is its last
            # action's, whose row says it
            event.update(problem_category=None, execution_id=None, entity_name=run.event_type)
        return [event, invocation, *events] if invoked else [event, *events]
    model = attrs.get(GEN_AI_REQUEST_MODEL) or attrs.get(GEN_AI_RESPONSE_MODEL)
    kind = CALLS.get(str(op)) or _nested_kind(attrs, parent, run.root)
    # ``flink_agents.model_resource`` (our export): the chat model resource, as 0.4 names it
    entity = attrs.get(GEN_AI_TOOL_NAME) or attrs.get(MODEL_RESOURCE)
    entity = entity or model or name
    if isinstance(entity, str) and entity.startswith(kind + " "):  # "parser json_output"
        entity = entity[len(kind) + 1 :]
    # the event its action handled (our action spans say; a call: its action's)
    event_type, event_id = handled.get(sid if kind == "action" else parent, ("_input_event", None))
    row = {
        **invocation,
        "record_type": "call" if kind != "action" else "action",
        # a call's action is the span it ran in, as in a trace log
        "action": name if kind == "action" else names.get(parent, name),
        "event_type": event_type,
        "attempt": attrs.get(ACTION_ATTEMPT) if kind == "action" else None,
        # (our action span without one: its record had none; else under the run's input)
        "event_id": event_id if run.evented else event_id or root_event,
        "model": model if kind == "llm" else None,
        "entity_type": kind,
        "entity_name": entity,
    }
    prompt = attrs.get(GEN_AI_USAGE_INPUT_TOKENS)
    completion = attrs.get(GEN_AI_USAGE_OUTPUT_TOKENS)
    if kind != "llm" or (prompt is None and completion is None) or run.evented:
        return [row, *events]
    # the model that answered, as our export writes it when the log's events name another
    # than the call (another tool's is often a dated snapshot, gpt-4o-2024-08-06, that no
    # price table lists: its request model prices the tokens)
    ours = MODEL_RESOURCE in attrs
    answered = (ours and attrs.get(GEN_AI_RESPONSE_MODEL)) or model
    response = {
        **common,
        "timestamp": pd.Timestamp(end, unit="ns", tz="UTC") if end else stamp,
        "event_id": f"{trace}:{sid}:response",
        "upstream_event_id": root_event,
        "upstream_action": names.get(parent, name),  # the action that called it
        # the execution that sent it: the span the call ran in, as a trace log names a
        # chat response's action execution (so the tree places it there)
        "execution_id": None,
        "parent_execution_id": execs.get(parent, parent),
    }
    return [row, _response(response, answered, prompt, completion)]


def _event_rows(
    span: dict[str, Any], span_attrs: dict[str, Any], common: dict[str, Any], execution: Any
) -> list[dict[str, Any]]:
    """The event rows of our export's span events on ``span`` (its attributes decoded:
    ``span_attrs``; each event names its ``flink_agents.event.id``, other span events are
    left out): sent by the action ``execution`` (``None``: the root's, sent by no action
    record); upstream event and action as :func:`._span_spec.upstream_of` reads them."""
    out = []
    for event in span.get("events") or ():
        attrs = attributes_of(event.get("attributes")) if isinstance(event, dict) else {}
        if not isinstance(attrs.get(EVENT_ID), str):
            continue
        at = _ns(event.get("timeUnixNano"))
        upstream = upstream_of(attrs, span_attrs, span.get("_implied") is True)
        row = {
            **common,
            "record_type": "event",
            "timestamp": pd.Timestamp(at, unit="ns", tz="UTC") if at is not None else pd.NaT,
            "event_id": attrs[EVENT_ID],
            "event_type": str(event.get("name") or ""),
            "upstream_event_id": upstream[0],
            "upstream_action": upstream[1],
            "execution_id": None,
            "parent_execution_id": execution,
            "problem_category": None,
            "model": attrs.get(GEN_AI_RESPONSE_MODEL),
            "attributes": {},  # its payload is not exported
            "entity_type": "event",
            "entity_name": str(event.get("name") or ""),
        }
        prompt = attrs.get(GEN_AI_USAGE_INPUT_TOKENS)
        completion = attrs.get(GEN_AI_USAGE_OUTPUT_TOKENS)
        if prompt is not None or completion is not None:
            row = _response(row, attrs.get(GEN_AI_RESPONSE_MODEL), prompt, completion)
            row["event_type"] = row["entity_name"] = str(event.get("name") or "")
        out.append(row)
    return out


def _response(row: dict[str, Any], model: Any, prompt: Any, completion: Any) -> dict[str, Any]:
    """``row`` completed as a ``_chat_response_event`` event row with these counts."""
    return {
        **row,
        "record_type": "event",
        "event_type": "_chat_response_event",
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "model": model,
        "attributes": {"model": model, "promptTokens": prompt, "completionTokens": completion},
        "entity_type": "event",
        "entity_name": "_chat_response_event",
    }


def _nested_kind(attrs: dict[str, Any], parent: Any, root: Any) -> str:
    """The entity type of a span that is no GenAI call: ``action`` right under the root (an
    action's span), else a call inside its parent span (a 0.4 ``parser`` or another
    entity, as ``flink_agents.entity.type`` says; ``span`` when nothing does)."""
    if parent == root:
        return "action"
    kind = attrs.get(ENTITY_TYPE)
    return str(kind) if isinstance(kind, str) and kind and kind != "action" else "span"


def _count(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def uncounted_rows(
    rows: list[dict[str, Any]], roots: list[tuple[str, int, Any, Any, RunInfo]]
) -> list[dict[str, Any]]:
    """A ``_chat_response_event`` row per root span whose token totals (``gen_ai.usage.*``)
    exceed what the chat spans of its run count: the rest, with the root's
    ``gen_ai.request.model``, at the root's end, sent by no action (another tool's agent
    span counting calls it did not trace as spans; runs whose events our export carried
    have their own counts). ``roots``: file, line, span, decoded attributes and run of
    each root span."""
    counted: dict[Any, list[int]] = {}
    for row in rows:
        if row["record_type"] == "event" and row["event_type"] == "_chat_response_event":
            got = counted.setdefault(row["run_id"], [0, 0])
            got[0] += _count(row["prompt_tokens"])
            got[1] += _count(row["completion_tokens"])
    out = []
    for file, line, span, attrs, run in roots:
        if run.evented:  # its events came back with their own counts
            continue
        prompt, completion = counted.get(run.run_id, (0, 0))
        rest = (
            max(_count(attrs.get(GEN_AI_USAGE_INPUT_TOKENS)) - prompt, 0),
            max(_count(attrs.get(GEN_AI_USAGE_OUTPUT_TOKENS)) - completion, 0),
        )
        if rest == (0, 0):
            continue
        end = _ns(span.get("endTimeUnixNano")) or _ns(span.get("startTimeUnixNano"))
        row = {
            "timestamp": pd.Timestamp(end, unit="ns", tz="UTC") if end else pd.NaT,
            **run.where(attrs, file, line),
            "event_id": f"{span['traceId']}:{span['spanId']}:uncounted",
            "agent_name": attrs.get(GEN_AI_AGENT_NAME),
        }
        out.append(_response(row, attrs.get(GEN_AI_REQUEST_MODEL), *rest))
    return out
