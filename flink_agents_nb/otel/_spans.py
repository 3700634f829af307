"""A record frame (any source: a run, an event log, a 0.4 trace log) as GenAI spans.

Mapping (OpenTelemetry GenAI semantic conventions, as Flink Agents' exporter does):

- one **trace per input run** (``run_id`` in a trace log, else job, subtask and
  ``input_seq``); its root span ``invoke_agent {agent}`` spans the run, with
  ``gen_ai.operation.name=invoke_agent``, ``gen_ai.agent.name``, ``gen_ai.conversation.id``
  (the key), the run's token totals (and ``gen_ai.request.model`` when they are one
  model's), ``error.type`` when the run failed, and where the run ran
  (``flink_agents.job.id``, ``.task.name``, ``.subtask.index``, ``.input_seq``, its input
  event's ``.event.type`` and ``.event.id``);
- an ``INTERNAL`` span per **action** attempt (name: the action), child of the root, with
  the handled event's type and id, the attempt, a trace log's execution id, a status
  other than ok/failed (``flink_agents.execution.status``) and whether it had no duration
  (``flink_agents.duration.missing``: OTLP spans always end);
- each **event** but the run's input as a span event (name: its type; its id, upstream
  event and action where they are not its span's handled event and action, token counts
  and response model; no payload) on the span of the action that sent it, else on the
  root;
- under its action, a ``chat {model}`` span per **model call** (``gen_ai.operation.name=
  chat``, ``gen_ai.request.model``, ``gen_ai.usage.input_tokens|output_tokens`` from the
  chat response it produced) and an ``execute_tool {tool}`` span per **tool call**
  (``gen_ai.tool.name``, ``gen_ai.tool.call.id``). Trace logs give these calls (``call``
  rows, with their own times); for our own logs they are inferred from the built-in
  ``chat_model_action`` / ``tool_call_action`` records (a sub-agent's, ``<name>/...``,
  too), or from another action that sent token counts, and span their action;
- failed spans: status ``ERROR`` with the record's error text as the status message, and
  ``error.type`` (problem category, else the exception class of the error).

What comes back through :func:`~._import.read_otlp` and what does not: see :mod:`._import`.

Ids are derived (MD5) from the run and record identities, so exporting twice gives the same
ids. Times are nanoseconds since the epoch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.otel._names import (
    CHAT,
    ERROR_TYPE,
    EVENT_ID,
    EXECUTE_TOOL,
    GEN_AI_OPERATION_NAME,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_TOOL_CALL_ID,
    GEN_AI_TOOL_NAME,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
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
    gc_paused,
    mark_execution,
    one_model,
    root_span,
    run_where,
    span_event,
    status_message,
)
from flink_agents_nb.otel._trace_spans import TracedTables, traced_tables
from flink_agents_nb.run._source import record_frame_of
from flink_agents_runtime.chat._events import failed_tool_calls

CHAT_ACTION, TOOL_ACTION = "chat_model_action", "tool_call_action"


def spans_of(source: Any, agent_name: str | None = None) -> list[SpanSpec]:
    """The spans of ``source`` (see the module docstring), runs in order of first record."""
    with gc_paused():
        built = built_spans(source, agent_name)
        return built.specs() if isinstance(built, TracedTables) else built


def built_spans(source: Any, agent_name: str | None = None) -> TracedTables | list[SpanSpec]:
    """The spans of ``source`` as :func:`spans_of` gives them, or, for a trace log, as span
    tables (:class:`~._trace_spans.TracedTables`: laid out as OTLP JSON without SpanSpecs)."""
    frame = record_frame_of(source)
    if frame.empty:
        return []
    if "run_id" in frame.columns and frame["run_id"].notna().any():
        built = traced_tables(frame, agent_name)  # a trace log: built column-wise
        return [] if built is None else built
    runs = (
        frame["job"].astype(str)
        + "/"
        + frame["task"].astype(str)
        + "/"
        + frame["subtask"].astype(str)
        + "/"
        + frame["input_seq"].astype(str)
    ).to_numpy()
    codes, uniques = pd.factorize(runs)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    cols = {c: _column(frame[c]) for c in frame.columns if c not in ("file", "timestamp")}
    stamps = frame["timestamp"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    out: list[SpanSpec] = []
    for i, run in enumerate(uniques.tolist()):
        rows = order[bounds[i] : bounds[i + 1]]
        if len(rows):
            out.extend(_run_spans(str(run), rows, cols, stamps, agent_name))
    return out


def _column(series: pd.Series) -> list[Any]:
    """A frame column as a list (cheap to index row by row): token counts as floats with
    NaN for missing, everything else as its objects."""
    if series.name in ("prompt_tokens", "completion_tokens"):
        return series.to_numpy(dtype=float, na_value=np.nan).tolist()
    return series.to_numpy().tolist()


def _run_spans(
    run: str,
    rows: np.ndarray,
    c: dict[str, Any],
    stamps: np.ndarray,
    agent_name: str | None,
) -> list[SpanSpec]:
    trace = _id(128, run)
    root = _id(64, run, "root")
    rtype = c["record_type"]
    dur = c["duration_ms"]
    first = int(rows[0])
    key, task, job = (c[name][first] for name in ("key", "task", "job"))
    key, task, job = (v if _given(v) else None for v in (key, task, job))
    agent = agent_label(agent_name, task, job)
    spans: list[SpanSpec] = []
    ends = [int(stamps[r]) + _ns(dur[r]) for r in rows.tolist()]
    valid = [s for s in stamps[rows].tolist() if s > NAT]
    start = min(valid) if valid else 0
    end = max(max(ends), start)
    prompt = completion = 0
    action_rows: list[int] = []
    models = []
    failed_last = False
    for r in rows.tolist():
        if rtype[r] == "event":
            p, q = c["prompt_tokens"][r], c["completion_tokens"][r]
            prompt += int(p) if p == p else 0  # NaN: none
            completion += int(q) if q == q else 0
            if p == p or q == q:
                models.append(c["model"][r])
        elif rtype[r] == "action":
            action_rows.append(r)
            failed_last = c["status"][r] == "failed"
    error = None
    if failed_last:
        last = action_rows[-1]
        category = c["problem_category"][last] if "problem_category" in c else None
        error = _error_type(c["error"][last], category)
    model = one_model(models)
    tokens = (prompt, completion)
    spans.append(root_span(trace, root, run, agent, key, start, end, tokens, error, model))
    first_type = c["event_type"][first] if rtype[first] == "event" else None
    where = (c["job"][first], task, c["subtask"][first], c["input_seq"][first])
    spans[0].attributes.update(run_where(*where, first_type))
    ids = {c["event_id"][r]: r for r in rows.tolist() if rtype[r] == "event"}
    if rtype[first] == "event" and _given(c["event_id"][first]):
        spans[0].attributes[EVENT_ID] = str(c["event_id"][first])
    senders: dict[int, SpanSpec] = {}  # event row -> the span of the action that sent it
    for r in action_rows:
        name = str(c["action"][r])
        sid = _id(64, run, "action", r)
        status = c["status"][r]
        attrs = action_attrs(name, c["event_type"][r], status, dur[r], c["attempt"][r])
        if _given(c["event_id"][r]):
            attrs[EVENT_ID] = str(c["event_id"][r])
        err = None
        if status == "failed":
            attrs[ERROR_TYPE] = _error_type(c["error"][r], None)
            err = status_message(c["error"][r], attrs[ERROR_TYPE])
        end_r = int(stamps[r]) + _ns(dur[r])
        spans.append(SpanSpec(trace, sid, root, name, int(stamps[r]), end_r, attrs, err))
        action_span = spans[-1]
        sent = (
            c["attributes"][r].get("sentEventIds", [])
            if isinstance(c["attributes"][r], Mapping)
            else []
        )
        sent_rows = [ids[e] for e in sent or () if e in ids]
        senders.update((e, action_span) for e in sent_rows)
        spans.extend(_inferred_calls(run, trace, sid, r, c, stamps, end_r, sent_rows, ids))
    for r in rows.tolist():  # every event but the run's first, on its sender's span
        if rtype[r] == "event" and r != first:
            on = senders.get(r, spans[0])
            at = int(stamps[r]) if stamps[r] > NAT else on.start_ns
            upstream = (c["upstream_event_id"][r], c["upstream_action"][r])
            counts = (c["prompt_tokens"][r], c["completion_tokens"][r], c["model"][r])
            event = span_event(
                c["event_id"][r], c["event_type"][r], at, upstream, counts, on.attributes
            )
            on.events.append(event)
    return spans


def _inferred_calls(
    run: str,
    trace: int,
    parent: int,
    r: int,
    c: dict[str, Any],
    stamps: np.ndarray,
    end: int,
    sent_rows: list[int],
    ids: dict[Any, int],
) -> list[SpanSpec]:
    """Our own logs: a chat span under each model-calling action (``chat_model_action``,
    or any other action that sent an event with token counts: a model called from the
    action's own code), tool spans under tool actions (timed as their action)."""
    start = int(stamps[r])
    action = str(c["action"][r]).rsplit("/", 1)[-1]  # a sub-agent's: ``<name>/chat_model_action``
    failed = c["status"][r] == "failed"
    err = _error_type(c["error"][r], None) if failed else None
    message = status_message(c["error"][r], err) if err else None
    counted = [e for e in sent_rows if c["prompt_tokens"][e] == c["prompt_tokens"][e]]
    if action == CHAT_ACTION or (action != TOOL_ACTION and counted):
        model: Any = None
        attrs: dict[str, Any] = {GEN_AI_OPERATION_NAME: CHAT}
        for e in sent_rows:
            a = c["attributes"][e] if isinstance(c["attributes"][e], Mapping) else {}
            named = c["model"][e] if _given(c["model"][e]) else None
            model = named or a.get("model_name") or a.get("model") or model
            usage = a.get("call_usage") if isinstance(a.get("call_usage"), dict) else {}
            if usage:
                attrs[GEN_AI_USAGE_INPUT_TOKENS] = int(usage.get("promptTokens") or 0)
                attrs[GEN_AI_USAGE_OUTPUT_TOKENS] = int(usage.get("completionTokens") or 0)
        if counted and GEN_AI_USAGE_INPUT_TOKENS not in attrs:  # the events' own counts
            q = [c["completion_tokens"][e] for e in counted]
            attrs[GEN_AI_USAGE_INPUT_TOKENS] = sum(int(c["prompt_tokens"][e]) for e in counted)
            attrs[GEN_AI_USAGE_OUTPUT_TOKENS] = sum(int(v) for v in q if v == v)
        attrs[GEN_AI_REQUEST_MODEL] = str(model or "unknown")
        mark_execution(attrs, c["status"][r], c["duration_ms"][r])
        if err:
            attrs[ERROR_TYPE] = err
        sid = _id(64, run, "chat", r)
        name = f"chat {model or 'unknown'}"
        return [SpanSpec(trace, sid, parent, name, start, end, attrs, message)]
    if action != TOOL_ACTION:
        return []
    handled = ids.get(c["event_id"][r])
    calls: list[Any] = []
    if handled is not None and isinstance(c["attributes"][handled], Mapping):
        calls = c["attributes"][handled].get("tool_calls") or []
    errors: set[Any] = set()
    for e in sent_rows:
        a = c["attributes"][e] if isinstance(c["attributes"][e], Mapping) else {}
        errors |= failed_tool_calls(a)
    out = []
    for i, call in enumerate(calls):
        if not isinstance(call, dict):
            continue
        name = str((call.get("function") or {}).get("name") or call.get("name") or "unknown")
        call_id = str(call.get("id") or i)
        bad = failed or call_id in errors
        attrs = {GEN_AI_OPERATION_NAME: EXECUTE_TOOL, GEN_AI_TOOL_NAME: name}
        attrs[GEN_AI_TOOL_CALL_ID] = call_id
        e_type = (err or "tool_error") if bad else None
        mark_execution(attrs, c["status"][r], c["duration_ms"][r])
        if e_type:
            attrs[ERROR_TYPE] = e_type
        sid = _id(64, run, "tool", r, i)
        label = f"execute_tool {name}"
        out.append(SpanSpec(trace, sid, parent, label, start, end, attrs, message or e_type))
    return out
