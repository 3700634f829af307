"""One span to export (:class:`SpanSpec`) and the helpers every span builder shares:
derived ids, error types, nanosecond durations, and garbage collection paused while
building in bulk."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
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
    digest = hashlib.md5("\x1f".join(map(str, parts)).encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[: bits // 8], "big") or 1


def _error_type(error: Any, category: Any) -> str:
    if isinstance(category, str) and category:
        return category
    text = str(error or "")
    head = text.split(":", 1)[0].strip()
    return head if head and " " not in head else "error"


#: Attributes of the kit's own (``flink_agents.``) for what OTLP's span cannot say itself.
STATUS_ATTR = "flink_agents.execution.status"
NO_DURATION_ATTR = "flink_agents.duration.missing"
#: The id of an event: a span event's own, an action span's handled one, a root's input.
EVENT_ID_ATTR = "flink_agents.event.id"
#: A trace log's own execution id of an action or call (span ids are derived from it).
EXECUTION_ATTR = "flink_agents.execution.id"


def mark_execution(attrs: dict[str, Any], status: Any, duration_ms: Any) -> None:
    """Add to an action or call span's ``attrs`` what its OTLP status and times cannot
    carry: ``flink_agents.execution.status`` for a status other than ``ok``/``failed``
    (``replayed``: a result reused, not run again; ``ignored``), and
    ``flink_agents.duration.missing`` (``True``) when the record had no duration (the span
    then ends where it starts: OTLP has no span without an end)."""
    if isinstance(status, str) and status not in ("ok", "failed"):
        attrs[STATUS_ATTR] = status
    if duration_ms is None or duration_ms != duration_ms:  # None or NaN
        attrs[NO_DURATION_ATTR] = True


def action_attrs(
    name: str, event_type: Any, status: Any, duration_ms: Any, attempt: Any = None
) -> dict[str, Any]:
    """An action span's attributes: ``flink_agents.action.name``, the type of the event it
    handled (``flink_agents.event.type``, when the record names one), the attempt
    (``flink_agents.action.attempt``, when given) and :func:`mark_execution`'s."""
    attrs: dict[str, Any] = {"flink_agents.action.name": name}
    if _none(event_type) is not None:
        attrs["flink_agents.event.type"] = str(event_type)
    if _none(attempt) is not None and attempt is not pd.NA:
        attrs["flink_agents.action.attempt"] = int(attempt)
    mark_execution(attrs, status, duration_ms)
    return attrs


def run_where(job: Any, task: Any, subtask: Any, input_seq: Any, event_type: Any) -> dict[str, Any]:
    """A root span's attributes for where its run ran and what started it: the run's first
    record's ``flink_agents.job.id``, ``flink_agents.task.name``, ``flink_agents.subtask.index``,
    ``flink_agents.input_seq`` and, when that record is an event, its
    ``flink_agents.event.type`` (each when given)."""
    out: dict[str, Any] = {}
    for name, value in (("flink_agents.job.id", job), ("flink_agents.task.name", task)):
        if _given(value):
            out[name] = str(value)
    for name, value in (
        ("flink_agents.subtask.index", subtask),
        ("flink_agents.input_seq", input_seq),
    ):
        if _given(value):
            out[name] = int(value)
    if _given(event_type):
        out["flink_agents.event.type"] = str(event_type)
    return out


def _given(value: Any) -> bool:
    """Not ``None``, ``pd.NA`` nor NaN."""
    return value is not None and value is not pd.NA and value == value


def status_message(error: Any, error_type: str) -> str:
    """A failed span's status message: the record's error text (the human description, as
    OpenTelemetry has it), else its ``error.type``."""
    text = _none(error)
    return str(text) if text is not None and str(text).strip() else error_type


def _ns(ms: Any) -> int:
    """A duration in ms as whole nanoseconds (0 when missing); exact for ms with 6 decimals."""
    return 0 if ms != ms else round(float(ms) * 1e6)


def _none(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and value != value) else value


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
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": agent,
        "flink_agents.input_run.id": run,
    }
    if key is not None:
        attrs["gen_ai.conversation.id"] = str(key)
    prompt, completion = tokens
    if prompt or completion:
        attrs["gen_ai.usage.input_tokens"] = prompt
        attrs["gen_ai.usage.output_tokens"] = completion
    if (prompt or completion) and _none(model) is not None:
        attrs["gen_ai.request.model"] = str(model)
    if error is not None:
        attrs["error.type"] = error
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
    named = {m for m in models if _none(m) is not None}
    return next(iter(named)) if len(named) == 1 else None


def span_event(
    event_id: Any,
    event_type: Any,
    time_ns: int,
    upstream: tuple[Any, Any],
    tokens: tuple[Any, Any, Any],
) -> tuple[str, int, dict[str, Any]]:
    """A business event as a span event on the span of the action that sent it: named by
    its type, at its time; ``flink_agents.event.id``, its upstream event and action
    (``upstream``: ``flink_agents.event.upstream_id``, ``.upstream_action``, each when
    given) and its token counts and model (``tokens``: prompt, completion, model; NaN or
    ``None`` when missing) as ``gen_ai.usage.input_tokens|output_tokens`` and
    ``gen_ai.response.model``. Its payload is not exported (see :mod:`._import`)."""
    attrs: dict[str, Any] = {}
    if _given(event_id):
        attrs[EVENT_ID_ATTR] = str(event_id)
    if _given(upstream[0]):
        attrs["flink_agents.event.upstream_id"] = str(upstream[0])
    if _given(upstream[1]):
        attrs["flink_agents.event.upstream_action"] = str(upstream[1])
    prompt, completion, model = tokens
    if _given(prompt):
        attrs["gen_ai.usage.input_tokens"] = int(prompt)
    if _given(completion):
        attrs["gen_ai.usage.output_tokens"] = int(completion)
    if _given(model):
        attrs["gen_ai.response.model"] = str(model)
    return str(event_type), time_ns, attrs
