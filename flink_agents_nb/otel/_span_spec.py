"""One span to export (:class:`SpanSpec`) and the helpers every span builder shares:
derived ids, error types, nanosecond durations, which values count as given, the upstream
rule of span events, and garbage collection paused while building in bulk."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.otel._json_lines import utf8
from flink_agents_nb.otel._names import (
    ACTION_ATTEMPT,
    ACTION_NAME,
    DURATION_MISSING,
    ERROR_TYPE,
    EVENT_ID,
    EVENT_TYPE,
    EVENT_UPSTREAM_ACTION,
    EVENT_UPSTREAM_ID,
    EXECUTION_STATUS,
    GEN_AI_AGENT_NAME,
    GEN_AI_CONVERSATION_ID,
    GEN_AI_OPERATION_NAME,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    INPUT_RUN_ID,
    INPUT_SEQ,
    INVOKE_AGENT,
    JOB_ID,
    SUBTASK_INDEX,
    TASK_NAME,
)

#: A missing timestamp (``NaT``) as int64 nanoseconds.
NAT = -(2**63)


@dataclass(slots=True)
class SpanSpec:
    """One span to export (ids as ints; ``parent_id`` 0 for a root)."""

    trace_id: int
    span_id: int
    parent_id: int
    name: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    kind: str = "INTERNAL"
    #: span events: (name, time in ns since the epoch, attributes)
    events: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)


def _id(bits: int, *parts: Any) -> int:
    digest = hashlib.md5(utf8("\x1f".join(map(str, parts))), usedforsecurity=False).digest()
    return int.from_bytes(digest[: bits // 8], "big") or 1


def _error_type(error: Any, category: Any) -> str:
    if isinstance(category, str) and category:
        return category
    text = str(error or "")
    head = text.split(":", 1)[0].strip()
    return head if head and " " not in head else "error"


def mark_execution(attrs: dict[str, Any], status: Any, duration_ms: Any) -> None:
    """Add to an action or call span's ``attrs`` what its OTLP status and times cannot
    carry: ``flink_agents.execution.status`` for a status other than ``ok``/``failed``
    (``replayed``: a result reused, not run again; ``ignored``), and
    ``flink_agents.duration.missing`` (``True``) when the record had no duration (the span
    then ends where it starts: OTLP has no span without an end)."""
    if isinstance(status, str) and status not in ("ok", "failed"):
        attrs[EXECUTION_STATUS] = status
    if duration_ms is None or duration_ms != duration_ms:  # None or NaN
        attrs[DURATION_MISSING] = True


def action_attrs(
    name: str, event_type: Any, status: Any, duration_ms: Any, attempt: Any = None
) -> dict[str, Any]:
    """An action span's attributes: ``flink_agents.action.name``, the type of the event it
    handled (``flink_agents.event.type``, when the record names one), the attempt
    (``flink_agents.action.attempt``, when given) and :func:`mark_execution`'s."""
    attrs: dict[str, Any] = {ACTION_NAME: name}
    if _given(event_type):
        attrs[EVENT_TYPE] = str(event_type)
    if _given(attempt):
        attrs[ACTION_ATTEMPT] = int(attempt)
    mark_execution(attrs, status, duration_ms)
    return attrs


def run_where(job: Any, task: Any, subtask: Any, input_seq: Any, event_type: Any) -> dict[str, Any]:
    """A root span's attributes for where its run ran and what started it: the run's first
    record's ``flink_agents.job.id``, ``flink_agents.task.name``, ``flink_agents.subtask.index``,
    ``flink_agents.input_seq`` and, when that record is an event, its
    ``flink_agents.event.type`` (each when given)."""
    out: dict[str, Any] = {}
    if _given(job):
        out[JOB_ID] = str(job)
    if _given(task):
        out[TASK_NAME] = str(task)
    if _given(subtask):
        out[SUBTASK_INDEX] = int(subtask)
    if _given(input_seq):
        out[INPUT_SEQ] = int(input_seq)
    if _given(event_type):
        out[EVENT_TYPE] = str(event_type)
    return out


_NA = pd.NA


def _given(value: Any) -> bool:
    """Not ``None``, ``pd.NA`` nor NaN (nor ``NaT``): what every builder counts as a value
    (a missing one writes no attribute; never ``"<NA>"`` nor ``"nan"``)."""
    return value is not None and value is not _NA and value == value


def given_texts(values: list[Any]) -> list[str | None]:
    """Each of ``values`` as ``str``, ``None`` where it is not :func:`_given` (the same
    rule, tested column-wise: ``isna``, for speed)."""
    column = np.empty(len(values), dtype=object)
    column[:] = values
    missing = pd.isna(column).tolist()
    return [None if m else str(v) for v, m in zip(values, missing, strict=True)]


def status_message(error: Any, error_type: str) -> str:
    """A failed span's status message: the record's error text (the human description, as
    OpenTelemetry has it), else its ``error.type``."""
    return str(error) if _given(error) and str(error).strip() else error_type


def _ns(ms: Any) -> int:
    """A duration in ms as whole nanoseconds (0 when missing); exact for ms with 6 decimals."""
    return 0 if ms != ms else round(float(ms) * 1e6)


def root_span(
    trace: int,
    span: int,
    run: str,
    agent: str,
    key: Any,
    start: int,
    end: int,
    tokens: tuple[int, int],
    error: str | None,
    model: Any = None,
) -> SpanSpec:
    """An input run's ``invoke_agent {agent}`` span (ids, times in ns since the epoch): the
    GenAI attributes, ``gen_ai.conversation.id`` (the key) unless ``key`` is ``None``, the
    token totals (``tokens``: prompt, completion) unless both are 0, ``gen_ai.request.model``
    when the run's counted tokens are all one ``model``'s, and ``error.type`` when the run
    failed (``error``)."""
    attrs: dict[str, Any] = {
        GEN_AI_OPERATION_NAME: INVOKE_AGENT,
        GEN_AI_AGENT_NAME: agent,
        INPUT_RUN_ID: run,
    }
    if key is not None:
        attrs[GEN_AI_CONVERSATION_ID] = str(key)
    prompt, completion = tokens
    if prompt or completion:
        attrs[GEN_AI_USAGE_INPUT_TOKENS] = prompt
        attrs[GEN_AI_USAGE_OUTPUT_TOKENS] = completion
    if (prompt or completion) and _given(model):
        attrs[GEN_AI_REQUEST_MODEL] = str(model)
    if error is not None:
        attrs[ERROR_TYPE] = error
    return SpanSpec(trace, span, 0, f"invoke_agent {agent}", start, end, attrs, error)


def agent_label(agent_name: str | None, task: Any, job: Any, recorded: Any = None) -> str:
    """The agent a run's spans name: ``agent_name`` if given, else the agent its records
    name (``recorded``: a trace log's ``agent_name``, ``None`` when they name none), else
    the task (unless ``local``), else the job, else ``agent``."""
    return str(agent_name or recorded or (task if task and task != "local" else job) or "agent")


@contextmanager
def gc_paused() -> Iterator[None]:
    """No garbage collections inside (restored after): bulk building of spans and OTLP lines
    makes many small dicts and no cycles, and each full collection would walk every object
    alive (a read log's millions of attribute dicts), which cost more than the building."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def one_model(models: Any) -> Any:
    """The one model that ``models`` (a run's counted events' ``model`` values) name, else
    ``None`` (none, or several)."""
    if not models:
        return None
    named = {m for m in models if _given(m)}
    return next(iter(named)) if len(named) == 1 else None


def span_event(
    event_id: Any,
    event_type: Any,
    time_ns: int,
    upstream: tuple[Any, Any],
    tokens: tuple[Any, Any, Any],
    on: dict[str, Any],
) -> tuple[str, int, dict[str, Any]]:
    """A business event as a span event on the span of the action that sent it (``on``:
    that span's attributes, already complete): named by its type (``""``: none), at its time;
    ``flink_agents.event.id``, its upstream event and action, its token counts and model
    (``tokens``: prompt, completion, model; NaN or ``None`` when missing) as
    ``gen_ai.usage.input_tokens|output_tokens`` and ``gen_ai.response.model``. Its payload
    is not exported (see :mod:`._import`).

    On an action's span the upstream event and action (``upstream``) are the span's own as
    a rule: the event the action handled (the span's ``flink_agents.event.id``) and the
    action (``flink_agents.action.name``). Each is written only where it differs from the
    span's (``flink_agents.event.upstream_id``, ``.upstream_action``), as ``""`` where the
    event has none but the span names one; the import reads a missing one as the span's
    (:func:`upstream_of`). On a root (events no action sent: logs without lineage, as a
    rule) they are written when given."""
    attrs: dict[str, Any] = {}
    if _given(event_id):
        attrs[EVENT_ID] = str(event_id)
    implied = implied_upstream(on.get(EVENT_ID), on.get(ACTION_NAME))
    for key, value, span_value in zip(
        (EVENT_UPSTREAM_ID, EVENT_UPSTREAM_ACTION), upstream, implied, strict=True
    ):
        written = upstream_written(str(value) if _given(value) else None, span_value)
        if written is not None:
            attrs[key] = written
    prompt, completion, model = tokens
    if _given(prompt):
        attrs[GEN_AI_USAGE_INPUT_TOKENS] = int(prompt)
    if _given(completion):
        attrs[GEN_AI_USAGE_OUTPUT_TOKENS] = int(completion)
    if _given(model):
        attrs[GEN_AI_RESPONSE_MODEL] = str(model)
    return (str(event_type) if _given(event_type) else ""), time_ns, attrs


def implied_upstream(event_id: Any, action: Any) -> tuple[Any, Any]:
    """The upstream event id and action a span event has unless it says otherwise, on a
    span with this handled ``event_id`` and ``action`` name (``None``: not an action's
    span): an action span's own, else none."""
    return (event_id, action) if action is not None else (None, None)


def implied_columns(event_ids: list[Any], actions: list[Any]) -> tuple[list[Any], list[Any]]:
    """:func:`implied_upstream` of each (event id, action) pair, as two columns."""
    return [i if a is not None else None for i, a in zip(event_ids, actions, strict=True)], actions


def upstream_written(text: str | None, implied: Any) -> str | None:
    """What :func:`span_event` writes for a span event's upstream event id or action
    (``text``; ``None``: the event has none) on a span whose own is ``implied``: nothing
    (``None``) where they are the same, ``""`` where the event has none but the span
    names one, else the text."""
    if text is not None:
        return None if text == implied else text
    return "" if implied is not None else None


def upstream_of(event: dict[str, Any], span: dict[str, Any], implied: bool) -> tuple[Any, Any]:
    """A span event's upstream event id and action (``None`` when it has none) from its
    decoded attributes (``event``) and its span's (``span``): what :func:`span_event`
    wrote, else, in a file whose scope says the rule holds (``implied``:
    :data:`._names.UPSTREAM_IMPLIED`), :func:`implied_upstream`'s, else none."""
    if implied:
        defaults = implied_upstream(span.get(EVENT_ID), span.get(ACTION_NAME))
    else:
        defaults = (None, None)
    out = []
    for name, default in zip((EVENT_UPSTREAM_ID, EVENT_UPSTREAM_ACTION), defaults, strict=True):
        value = event.get(name, default)
        out.append(value if value != "" else None)
    return out[0], out[1]
