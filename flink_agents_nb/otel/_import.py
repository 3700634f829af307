"""Read OTLP JSON Lines files of GenAI spans (ours or other tools') into the record frame.

Each line is a ``TracesData`` object (``resourceSpans[].scopeSpans[].spans[]``; ids hex,
times decimal strings or numbers of nanoseconds; attribute values as OTLP ``AnyValue``).
Per trace (an input run; rows: :mod:`._span_rows`):

- its root span becomes an event row (the run's input event: ``flink_agents.event.type``,
  else ``_input_event``; key: ``gen_ai.conversation.id``, else none for our run and the
  trace id for another tool's; attributes: the span's), and also an ``action`` row (the
  agent's invocation, named as the span) when ``chat``/``execute_tool`` spans hang right
  under it, as other tools write them, so the tree shows those calls under it;
- every other span becomes a row with the span's times and status (``ok``/``failed``, or
  our ``flink_agents.execution.status``: ``replayed``, ``ignored``): ``call`` rows for
  ``chat`` spans (``entity_type`` ``llm``, ``model`` from
  ``gen_ai.request.model``/``gen_ai.response.model``) and ``execute_tool`` spans
  (``tool``), ``action`` rows for the others right under the root, and ``call`` rows for
  spans inside another span (a 0.4 ``parser``: ``flink_agents.entity.type``), so the tree
  shows them under their action; ``execution_id``/``parent_execution_id``: a trace log's
  own (``flink_agents.execution.id``), else the span ids; a failed span's error is its
  status message, else its ``error.type``, which is its ``problem_category``;
- our export's span events (``flink_agents.event.id``) become the event rows they were,
  with their upstream event and action (where the event names none: the span's event id
  and action when the file's scope says so, ``flink_agents.event.upstream_implied``, as
  this kit's exports do, else none; ``""`` for none: :func:`._span_spec.upstream_of`),
  token counts and model;
  for other spans, a ``chat`` span with token usage gives a ``_chat_response_event`` row
  at its end, sent by the span it ran in (the tree places it under that execution, not
  under the last action of that name), and a root whose ``gen_ai.usage.*`` exceed its
  chat spans' one for the rest;
- ``agent_name``: the span's ``gen_ai.agent.name``, else its nearest ancestor's (the root
  ``invoke_agent`` span's, or a sub-agent's span above it), so an exported trace log's
  agents come back.

The round trip, per column (``fa.export_otlp`` then ``fa.read_otlp``; the corpus test
``tests/notebook/test_otel_round_trip.py`` checks it on every log format). Kept:
``record_type``, ``timestamp`` (ns), ``job``, ``task``, ``subtask``, ``key`` (as a string:
``gen_ai.conversation.id`` is one), ``input_seq``, ``event_id``, ``event_type``,
``upstream_event_id``, ``upstream_action``, ``action``, ``duration_ms`` (ns; none stays
none), ``status``, ``attempt``, ``error``, ``prompt_tokens``, ``completion_tokens``,
``model``; and for trace-context logs (0.4 trace logs, flat logs with execution records)
``run_id``, ``entity_type``, ``entity_name``, ``execution_id``, ``parent_execution_id``,
``agent_name`` (an imported trace log exports again to the same spans). So the causal tree
comes back whole. Not carried:

- ``attributes``: event payloads (inputs, messages, outputs), ``sentEventIds`` and memory
  writes are not exported (GenAI conventions make content capture opt-in, and a
  collector is no place for them by default): event rows come back with ``{}``, root and
  execution rows with the span's attributes; the tree's previews differ accordingly;
- ``seq`` (records' order in their subtask), ``file`` and ``line`` (the OTLP file's now);
- executions that started and never ended (a trace log's lone ``start`` records: a span
  needs an end) and the ``start`` records of ended ones (their span's start says it);
- logs without trace context (ours, 0.3.1, flat): the import adds what a trace frame has:
  ``run_id`` (the export's ``job/task/subtask/input_seq``), entity types and names, span
  ids as execution ids, the chat and tool calls the export infers from
  ``chat_model_action``/``tool_call_action`` records (timed as their action), and as
  ``agent_name`` the name the export gave the agent (its class for a run, else the task
  or job) when the log names none.

Lines are split at ``\\n`` only. Lines that are not JSON, or spans without ids, are
problems with file and line; never fatal.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from flink_agents_nb.eventlog._reader import EventLog
from flink_agents_nb.eventlog.files._files import LogProblem, list_log_files
from flink_agents_nb.eventlog.trace._trace import TRACE_COLUMNS
from flink_agents_nb.otel._names import (
    ACTION_NAME,
    EVENT_ID,
    EVENT_TYPE,
    EXECUTION_ID,
    GEN_AI_AGENT_NAME,
    GEN_AI_OPERATION_NAME,
    SERVICE_NAME,
    UPSTREAM_IMPLIED,
)
from flink_agents_nb.otel._span_rows import (
    CALLS,
    RunInfo,
    attributes_of,
    span_rows,
    uncounted_rows,
)
from flink_agents_nb.run._frames import RECORD_COLUMNS, record_frame


def _spans_of_line(doc: Any) -> list[dict[str, Any]]:
    """The spans of a ``TracesData`` object, each with its resource's ``service.name``
    (``_service``) and whether its scope says the kit's upstream rule holds (``_implied``:
    :data:`._names.UPSTREAM_IMPLIED`)."""
    spans = []
    for rs in doc.get("resourceSpans") or ():
        service = attributes_of((rs.get("resource") or {}).get("attributes")).get(SERVICE_NAME)
        for ss in rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or ():
            scope = ss.get("scope") if isinstance(ss.get("scope"), dict) else {}
            implied = attributes_of(scope.get("attributes")).get(UPSTREAM_IMPLIED) is True
            for span in ss.get("spans") or ():
                if isinstance(span, dict):
                    spans.append({**span, "_service": service, "_implied": implied})
    return spans


def _lines(data: bytes) -> list[str]:
    """A file's lines: split at ``\\n`` only (JSON escapes every other line end it needs;
    U+2028, U+2029 and U+0085, which ``str.splitlines`` also splits at, stand raw inside
    strings), each decoded as UTF-8 (what is not: U+FFFD)."""
    return [line.decode("utf-8", errors="replace") for line in data.split(b"\n")]


def read_otlp(path: str | os.PathLike[str]) -> EventLog:
    """An OTLP JSON Lines file, or a directory of them, as an :class:`EventLog`."""
    files = list_log_files(Path(path))
    problems: list[LogProblem] = []
    spans: list[tuple[str, int, dict[str, Any]]] = []
    for file in files:
        try:
            lines = _lines(file.read_bytes())
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
    runs: dict[str, RunInfo] = {}
    names: dict[str, str] = {}
    handled: dict[str, tuple[Any, Any]] = {}  # our action spans: type, id of its event
    evented: set[str] = set()  # traces whose events our export carried as span events
    execs: dict[str, str] = {}  # span id -> flink_agents.execution.id
    good: list[tuple[str, int, dict[str, Any], dict[str, Any]]] = []  # + its attributes
    call_parents: set[Any] = set()
    named: dict[str, tuple[Any, Any]] = {}  # span id -> (parent id, gen_ai.agent.name)
    for name, number, span in spans:
        trace, sid = span.get("traceId"), span.get("spanId")
        if not isinstance(trace, str) or not isinstance(sid, str) or not trace or not sid:
            problems.append(LogProblem(name, number, "a span without traceId or spanId"))
            continue
        attributes = attributes_of(span.get("attributes"))
        good.append((name, number, span, attributes))
        names[sid] = str(span.get("name") or "span")
        if ACTION_NAME in attributes:  # our action span
            handled[sid] = (attributes.get(EVENT_TYPE), attributes.get(EVENT_ID))
        if _carries_events(span, attributes):
            evented.add(trace)
        if isinstance(attributes.get(EXECUTION_ID), str):  # our span of a trace log
            execs[sid] = attributes[EXECUTION_ID]
        if attributes.get(GEN_AI_OPERATION_NAME) in CALLS:
            call_parents.add(span.get("parentSpanId") or None)
        named[sid] = (span.get("parentSpanId") or None, attributes.get(GEN_AI_AGENT_NAME))
        if not span.get("parentSpanId"):
            runs[trace] = RunInfo.of_root(trace, sid, attributes, span.get("_service"))
    agent_of = _agents(named)
    for trace in evented & runs.keys():
        runs[trace].evented = True
    rows: list[dict[str, Any]] = []
    roots = []
    for name, number, span, attributes in good:
        trace, sid = span["traceId"], span["spanId"]
        run = runs.get(trace)
        if run is None:  # a trace without its root span (its events may still have come)
            run = runs[trace] = RunInfo.rootless(trace, span.get("_service"))
            run.evented = trace in evented
        agent = (sid in call_parents, agent_of.get(sid))
        rows.extend(span_rows(name, number, span, attributes, run, (names, handled, execs), agent))
        if not span.get("parentSpanId"):
            roots.append((name, number, span, attributes, run))
    rows.extend(uncounted_rows(rows, roots))
    frame = _frame(rows, files)
    return EventLog(frame, problems, [str(f) for f in files])


def _carries_events(span: dict[str, Any], attributes: dict[str, Any]) -> bool:
    """Whether ``span`` (its ``attributes`` decoded) carries our export's business events
    (span events with an ``flink_agents.event.id``; its first tells), or is a root naming
    its input event."""
    events = span.get("events")
    if isinstance(events, list) and events and isinstance(events[0], dict):
        keys = [a.get("key") for a in events[0].get("attributes") or () if isinstance(a, dict)]
        if EVENT_ID in keys:
            return True
    return not span.get("parentSpanId") and EVENT_ID in attributes


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


def _frame(rows: list[dict[str, Any]], files: list[Path]) -> pd.DataFrame:
    """The record frame of ``rows``, by time; ``input_seq`` numbered by run in order of
    first record, except for rows that carry their own (our export's runs)."""
    frame = record_frame(rows)
    frame["_told"] = pd.Series(["input_seq" in r for r in rows], dtype=bool)
    for name in TRACE_COLUMNS:
        frame[name] = pd.Series([r.get(name) for r in rows], dtype=object)
    frame["error"] = frame["error"].astype(object).where(frame["error"].notna(), None)
    frame["model"] = frame["model"].astype(object).where(frame["model"].notna(), None)
    frame["file"] = pd.Categorical(frame["file"], categories=[str(f) for f in files])
    frame["line"] = frame["line"].astype("int64") if len(frame) else frame["line"]
    frame = frame.sort_values("timestamp", kind="stable").reset_index(drop=True)
    codes, _ = pd.factorize(frame["run_id"])
    told = frame.pop("_told").to_numpy()
    frame["input_seq"] = frame["input_seq"].where(told, pd.array(codes, dtype="Int64"))
    return frame[[*RECORD_COLUMNS, *TRACE_COLUMNS]]
