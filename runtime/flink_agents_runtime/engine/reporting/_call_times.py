"""Per-call timing of model and tool calls, carried from an action to its record.

The built-in chat and tool actions note when each model or tool call started and ended
(wall clock, ``time.time_ns()``) on the action's context; the cascade moves the notes of an
attempt into its :class:`~flink_agents_runtime.engine.reporting._records.ActionRecord` (``calls``),
where the Trace Log writer gives each ``llm``/``tool`` record pair the call's own times.
A call answered from the action state store (recovery) did not run and has no note; its
records then carry the action's times.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import msgspec


class CallTime(msgspec.Struct, gc=False, frozen=True):
    """One model or tool call as it ran.

    Attributes:
        kind: ``"llm"``, ``"tool"`` or ``"parser"`` (a structured-output parse).
        name: the chat model resource, or the tool's name.
        call_id: the tool call's id (``None`` for a model call).
        start_ns, end_ns: wall-clock start and end (``time.time_ns()``).
        ok: whether it returned (a tool answering an error counts as not ok).
        model: a model call's model as configured on its resource (``None``: none
            configured, or not a model call).
        tool_type: a tool call's tool type (Flink Agents' ``ToolType`` value: ``function``,
            ``mcp``, ...; ``None`` for other calls).
        error: why it failed, ``"ExcType: message"``, when known apart from its action's.
    """

    kind: str
    name: str
    call_id: str | None
    start_ns: int
    end_ns: int
    ok: bool
    model: str | None = None
    tool_type: str | None = None
    error: str | None = None


def note_call(ctx: Any, call: CallTime) -> None:
    """Keep ``call`` on the context's current action attempt (thread-safe: an append)."""
    try:
        notes = ctx._call_times
    except AttributeError:
        return  # a context of another kind: no per-call times
    notes.append(call)


def calls_of(ctx: Any) -> tuple[CallTime, ...]:
    """The calls noted on ``ctx`` since its current action attempt began."""
    return tuple(getattr(ctx, "_call_times", ()))


def _timed(notes: list[CallTime], name: str, call_id: str, kind: Any, run: Any) -> Any:
    start = time.time_ns()
    ok = False
    try:
        outcome = run()
        ok = not isinstance(outcome, dict) or bool(outcome.get("ok", True))
        return outcome
    finally:
        notes.append(CallTime("tool", name, call_id, start, time.time_ns(), ok, None, kind))


def timed_tool(ctx: Any, name: str, call_id: str, run: Any, tool_type: Any = None) -> Any:
    """``run`` (a tool call without arguments) noting its own start and end when it runs,
    on the current attempt (a call still running when its attempt ended does not note into
    the next), and ``tool_type`` (the tool's ``tool_type``). A ``functools.partial`` like
    ``run`` itself, so the action state store sees the same kind of function as before."""
    notes = getattr(ctx, "_call_times", None)
    if notes is None:
        return run
    kind = str(getattr(tool_type, "value", tool_type)) if tool_type is not None else None
    return partial(_timed, notes, name, call_id, kind, run)
