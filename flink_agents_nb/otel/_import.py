"""Read OTLP JSON Lines files of GenAI spans (ours or other tools') into the record frame.

Each line is a ``TracesData`` object (``resourceSpans[].scopeSpans[].spans[]``; ids hex,
times decimal strings or numbers of nanoseconds; attribute values as OTLP ``AnyValue``).
Per trace (an input run; ``run_id`` = the trace id):

- its root span becomes an ``_input_event`` event row (key: ``gen_ai.conversation.id``, else
  the trace id; attributes: the span's attributes);
- every other span becomes a row with the span's times and status (``ok``/``failed``):
  ``call`` rows for ``chat`` spans (``entity_type`` ``llm``, ``model`` from
  ``gen_ai.request.model``/``gen_ai.response.model``) and ``execute_tool`` spans
  (``tool``), ``action`` rows for the others; ``execution_id``/``parent_execution_id`` are
  the span ids;
- a ``chat`` span with token usage also gives a ``_chat_response_event`` event row at its
  end (tokens, model), so token charts count it once.

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
    good: list[tuple[str, int, dict[str, Any]]] = []
    for name, number, span in spans:
        trace, sid = span.get("traceId"), span.get("spanId")
        if not isinstance(trace, str) or not isinstance(sid, str) or not trace or not sid:
            problems.append(LogProblem(name, number, "a span without traceId or spanId"))
            continue
        good.append((name, number, span))
        names[sid] = str(span.get("name") or "span")
        if not span.get("parentSpanId"):
            roots[trace] = sid
            key = _attributes(span.get("attributes")).get("gen_ai.conversation.id")
            if key is not None:
                keys[trace] = key
    for name, number, span in good:
        rows.extend(_rows(name, number, span, roots, keys, names))
    frame = _frame(rows, files)
    return EventLog(frame, problems, [str(f) for f in files])


def _rows(
    file: str,
    line: int,
    span: dict[str, Any],
    roots: dict[str, str],
    keys: dict[str, Any],
    names: dict[str, str],
) -> list[dict[str, Any]]:
    attrs = _attributes(span.get("attributes"))
    trace, sid = span["traceId"], span["spanId"]
    parent = span.get("parentSpanId") or None
    start, end = _ns(span.get("startTimeUnixNano")), _ns(span.get("endTimeUnixNano"))
    stamp = pd.Timestamp(start, unit="ns", tz="UTC") if start is not None else pd.NaT
    duration = (end - start) / 1e6 if start is not None and end is not None else np.nan
    failed = (span.get("status") or {}).get("code") in (2, "STATUS_CODE_ERROR")
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
    }
    if parent is None:
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
            }
        ]
    model = attrs.get("gen_ai.request.model") or attrs.get("gen_ai.response.model")
    kind = {"chat": "llm", "text_completion": "llm", "execute_tool": "tool"}.get(str(op), "action")
    name = str(span.get("name") or op or "span")
    row = {
        **common,
        "record_type": "call" if kind != "action" else "action",
        "timestamp": stamp,
        "event_id": root_event,
        "event_type": "_input_event",
        "action": name,
        "duration_ms": duration,
        "status": "failed" if failed else "ok",
        "error": attrs.get("error.type") if failed else None,
        "model": model if kind == "llm" else None,
        "attributes": attrs,
        "entity_type": kind,
        "entity_name": attrs.get("gen_ai.tool.name") or model or name,
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
