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


def _id(bits: int, *parts: Any) -> int:
    digest = hashlib.md5("\x1f".join(map(str, parts)).encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[: bits // 8], "big") or 1


def _error_type(error: Any, category: Any) -> str:
    if isinstance(category, str) and category:
        return category
    text = str(error or "")
    head = text.split(":", 1)[0].strip()
    return head if head and " " not in head else "error"


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
) -> SpanSpec:
    """An input run's ``invoke_agent {agent}`` span (ids, times in ns since the epoch): the
    GenAI attributes, ``gen_ai.conversation.id`` (the key) unless ``key`` is ``None``, the
    token totals (``tokens``: prompt, completion) unless both are 0, and ``error.type``
    when the run failed (``error``)."""
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
