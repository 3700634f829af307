"""Read OTLP JSON Lines files of GenAI spans (ours or other tools') into the record frame.

Each line is a ``TracesData`` object (``resourceSpans[].scopeSpans[].spans[]``; ids hex,
times decimal strings or numbers of nanoseconds; attribute values as OTLP ``AnyValue``).
Per trace (an input run; ``run_id`` = the trace id):

- its root span becomes an ``_input_event`` event row (key: ``gen_ai.conversation.id``, else
  the trace id; attributes: the span's attributes), and also an ``action`` row (the agent's
  invocation, named as the span) when ``chat``/``execute_tool`` spans hang right under it, as
  other tools write them, so the tree shows those calls under it;
- every other span becomes a row with the span's times and status (``ok``/``failed``):
  ``call`` rows for ``chat`` spans (``entity_type`` ``llm``, ``model`` from
  ``gen_ai.request.model``/``gen_ai.response.model``) and ``execute_tool`` spans
  (``tool``), ``action`` rows for the others right under the root, and ``call`` rows for
  spans inside another span (a 0.4 ``parser``: ``flink_agents.entity.type``), so the tree
  shows them under their action; ``execution_id``/``parent_execution_id`` are
  the span ids; a failed span's error is its ``error.type``, else its status message;
- a ``chat`` span with token usage also gives a ``_chat_response_event`` event row at its
  end (tokens, model), so token charts count it once;
- ``agent_name``: the span's ``gen_ai.agent.name``, else its nearest ancestor's (the root
  ``invoke_agent`` span's, or a sub-agent's span above it), so an exported trace log's
  agents come back.

Lines that are not JSON, or spans without ids, are problems with file and line; never fatal.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.eventlog._reader import EventLog
from flink_agents_nb.eventlog.files._files import LogProblem, list_log_files
from flink_agents_nb.eventlog.trace._trace import TRACE_COLUMNS
from flink_agents_nb.run._frames import RECORD_COLUMNS, record_frame

#: ``gen_ai.operation.name`` of the spans that become call rows, and their entity type.
_CALLS = {"chat": "llm", "text_completion": "llm", "execute_tool": "tool"}


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
        return _attributes((any_value["kvlistValue"] or {}).get("values", []))
    return None


def _attributes(items: Any) -> dict[str, Any]:
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


def _spans_of_line(doc: Any) -> list[dict[str, Any]]:
    spans = []
    for rs in doc.get("resourceSpans") or ():
        service = _attributes((rs.get("resource") or {}).get("attributes")).get("service.name")
        for ss in rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or ():
            for span in ss.get("spans") or ():
                if isinstance(span, dict):
                    spans.append({**span, "_service": service})
    return spans


def read_otlp(path: str | os.PathLike[str]) -> EventLog:
    """An OTLP JSON Lines file, or a directory of them, as an :class:`EventLog`."""
    files = list_log_files(Path(path))
    problems: list[LogProblem] = []
    spans: list[tuple[str, int, dict[str, Any]]] = []
    for file in files:
        try:
            lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError as exc:
            problems.append(LogProblem(str(file), None, f"cannot read file ({exc})"))
            continue
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(LogProblem(str(file), number, f"not valid JSON ({exc.msg})"))
                continue
            if not isinstance(doc, dict) or "resourceSpans" not in doc:
                problems.append(LogProblem(str(file), number, "not an OTLP TracesData object"))
                continue
            spans.extend((str(file), number, s) for s in _spans_of_line(doc))
    rows: list[dict[str, Any]] = []
    roots: dict[str, str] = {}
    keys: dict[str, Any] = {}
    names: dict[str, str] = {}
    good: list[tuple[str, int, dict[str, Any], dict[str, Any]]] = []  # + its attributes
    call_parents: set[Any] = set()
    named: dict[str, tuple[Any, Any]] = {}  # span id -> (parent id, gen_ai.agent.name)
    for name, number, span in spans:
        trace, sid = span.get("traceId"), span.get("spanId")
        if not isinstance(trace, str) or not isinstance(sid, str) or not trace or not sid:
            problems.append(LogProblem(name, number, "a span without traceId or spanId"))
            continue
        attributes = _attributes(span.get("attributes"))
        good.append((name, number, span, attributes))
        names[sid] = str(span.get("name") or "span")
        if attributes.get("gen_ai.operation.name") in _CALLS:
            call_parents.add(span.get("parentSpanId") or None)
        named[sid] = (span.get("parentSpanId") or None, attributes.get("gen_ai.agent.name"))
        if not span.get("parentSpanId"):
            roots[trace] = sid
            key = attributes.get("gen_ai.conversation.id")
            if key is not None:
                keys[trace] = key
    agents = {sid for sid in roots.values() if sid in call_parents}
    agent_of = _agents(named)
    for name, number, span, attributes in good:
        rows.extend(_rows(name, number, span, attributes, roots, keys, names, agents, agent_of))
    frame = _frame(rows, files)
    return EventLog(frame, problems, [str(f) for f in files])


def _agents(named: dict[str, tuple[Any, Any]]) -> dict[str, str | None]:
    """Per span id: its agent, the ``gen_ai.agent.name`` (a non-empty string) of the span
    or of its nearest ancestor that has one (``None``: none has; ``named``: per span id,
    its parent's id and its own attribute). A cycle of parents (garbage) ends the walk."""
    out: dict[str, str | None] = {}
    for sid in named:
        path: list[str] = []
        seen: set[str] = set()
        at: Any = sid
        found: str | None = None
        while at in named and at not in out and at not in seen:
            path.append(at)
            seen.add(at)
            parent, agent = named[at]
            if isinstance(agent, str) and agent:
                found = agent
                break
            at = parent
        else:
            found = out.get(at)  # (an ancestor already resolved, else none)
        for each in path:
            out[each] = found
    return out


def _rows(
    file: str,
    line: int,
    span: dict[str, Any],
    attrs: dict[str, Any],
    roots: dict[str, str],
    keys: dict[str, Any],
    names: dict[str, str],
    agents: set[str],
    agent_of: dict[str, str | None],
) -> list[dict[str, Any]]:
    """The rows of one span (see the module), ``attrs`` its attributes decoded; ``agents``:
    root span ids that get an action row too; ``agent_of``: per span id, its agent
    (:func:`_agents`)."""
    trace, sid = span["traceId"], span["spanId"]
    parent = span.get("parentSpanId") or None
    start, end = _ns(span.get("startTimeUnixNano")), _ns(span.get("endTimeUnixNano"))
    stamp = pd.Timestamp(start, unit="ns", tz="UTC") if start is not None else pd.NaT
    duration = (end - start) / 1e6 if start is not None and end is not None else np.nan
    status = span.get("status") or {}
    failed = status.get("code") in (2, "STATUS_CODE_ERROR")
    error = (attrs.get("error.type") or status.get("message") or None) if failed else None
    op = attrs.get("gen_ai.operation.name")
    key = attrs.get("gen_ai.conversation.id") or keys.get(trace) or trace
    root_event = f"{trace}:{roots.get(trace, '')}"
    common = {
        "job": span.get("_service"),
        "task": None,
        "subtask": None,
        "key": key,
        "file": file,
        "line": line,
        "run_id": trace,
        "execution_id": sid,
        "parent_execution_id": parent,
        "problem_category": attrs.get("error.type") if failed else None,
        "agent_name": agent_of.get(sid),
    }
    name = str(span.get("name") or op or "span")
    invocation = {
        **common,
        "record_type": "action",
        "timestamp": stamp,
        "event_id": root_event,
        "event_type": "_input_event",
        "action": name,
        "duration_ms": duration,
        "status": "failed" if failed else "ok",
        "error": error,
        "attributes": attrs,
        "entity_type": "action",
        "entity_name": name,
    }
    if parent is None:
        agent = [invocation] if sid in agents else []
        return [
            {
                **common,
                "record_type": "event",
                "timestamp": stamp,
                "event_id": root_event,
                "event_type": "_input_event",
                "attributes": attrs,
                "entity_type": "event",
                "entity_name": str(span.get("name") or ""),
            },
            *agent,
        ]
    model = attrs.get("gen_ai.request.model") or attrs.get("gen_ai.response.model")
    kind = _CALLS.get(str(op)) or _nested_kind(attrs, parent, roots.get(trace))
    # ``flink_agents.model_resource`` (our export): the chat model resource, as 0.4 names it
    entity = attrs.get("gen_ai.tool.name") or attrs.get("flink_agents.model_resource")
    entity = entity or model or name
    if isinstance(entity, str) and entity.startswith(kind + " "):  # "parser json_output"
        entity = entity[len(kind) + 1 :]
    row = {
        **invocation,
        "record_type": "call" if kind != "action" else "action",
        # a call's action is the span it ran in, as in a trace log
        "action": name if kind == "action" else names.get(parent, name),
        "model": model if kind == "llm" else None,
        "entity_type": kind,
        "entity_name": entity,
    }
    out = [row]
    prompt = attrs.get("gen_ai.usage.input_tokens")
    completion = attrs.get("gen_ai.usage.output_tokens")
    if kind == "llm" and (prompt is not None or completion is not None):
        out.append(
            {
                **common,
                "record_type": "event",
                "timestamp": pd.Timestamp(end, unit="ns", tz="UTC") if end else stamp,
                "event_id": f"{trace}:{sid}:response",
                "event_type": "_chat_response_event",
                "upstream_event_id": root_event,
                "upstream_action": names.get(parent, name),  # the action that called it
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "model": model,
                "attributes": {
                    "model": model,
                    "promptTokens": prompt,
                    "completionTokens": completion,
                },
                "entity_type": "event",
                "entity_name": "_chat_response_event",
                "execution_id": None,
                "parent_execution_id": sid,
            }
        )
    return out


def _nested_kind(attrs: dict[str, Any], parent: Any, root: Any) -> str:
    """The entity type of a span that is no GenAI call: ``action`` right under the root (an
    action's span), else a call inside its parent span (a 0.4 ``parser`` or another
    entity, as ``flink_agents.entity.type`` says; ``span`` when nothing does)."""
    if parent == root:
        return "action"
    kind = attrs.get("flink_agents.entity.type")
    return str(kind) if isinstance(kind, str) and kind and kind != "action" else "span"


def _frame(rows: list[dict[str, Any]], files: list[Path]) -> pd.DataFrame:
    frame = record_frame(rows)
    for name in TRACE_COLUMNS:
        frame[name] = pd.Series([r.get(name) for r in rows], dtype=object)
    frame["error"] = frame["error"].astype(object).where(frame["error"].notna(), None)
    frame["model"] = frame["model"].astype(object).where(frame["model"].notna(), None)
    frame["file"] = pd.Categorical(frame["file"], categories=[str(f) for f in files])
    frame["line"] = frame["line"].astype("int64") if len(frame) else frame["line"]
    frame = frame.sort_values("timestamp", kind="stable").reset_index(drop=True)
    codes, _ = pd.factorize(frame["run_id"])
    frame["input_seq"] = pd.array(codes, dtype="Int64")
    return frame[[*RECORD_COLUMNS, *TRACE_COLUMNS]]
