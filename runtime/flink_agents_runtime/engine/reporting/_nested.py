"""A nested run's records in the caller's log: what a sub-agent did for one call.

A sub-agent call (``SubagentSetup.submit`` or the ``_subagent_<name>`` tool) runs the
sub-agent as a nested local run. When the calling agent traces (a recorded run, an event
log, a trace log), the nested run records its events and actions into a
:class:`NestedRecords`, and the calling action, back in its cascade once the call returned,
re-emits them into its own sinks with :func:`emit_nested`. Each re-emitted record:

- gets the caller's next ``seq``, its ``key`` and ``input_seq`` (it is part of that input);
- keeps its id, timestamp, duration, status and attributes;
- is named inside the sub-agent: event type ``<name>/<type>`` and action ``<name>/<action>``
  (``outer/inner/...`` when sub-agents nest), so a sub-agent's ``_output_event`` is never
  taken for the caller's output and its built-in ``chat_model_action`` is told apart from
  the caller's (a chat response's ``requested_by`` too, so its tokens are credited to the
  sub-agent's action); ``agent`` is ``<name>`` (the Trace Log's ``agentName``);
- the sub-agent's input event hangs under the calling action: its upstream event is the
  event that action handled and its upstream action the action's name, so lineage trees,
  the stepper and the inspector show the sub-agent's work inside the call.

Memory writes of the nested run are left out: a sub-agent's memory is its own (each call
starts empty) and would otherwise be replayed into the caller's memory by the stepper. A
call answered from the action state store after a recovery re-emits nothing (it did not
run). Records arrive when the call ends, so a live view sees them then, all at once.
"""

from __future__ import annotations

from typing import Any

from flink_agents_runtime.api._events import Event
from flink_agents_runtime.engine.reporting._records import ActionRecord, EventRecord

#: Separator between a sub-agent's name and its event types and action names.
SEP = "/"


class NestedRecords:
    """The records of one nested run, kept for re-emission (thread-safe to fill from the
    pool thread that runs the call, read after the call returned).

    Attributes:
        agent: the sub-agent's name.
        events, actions: its records, in its own ``seq`` order.
    """

    __slots__ = ("actions", "agent", "events")

    def __init__(self, agent: str) -> None:
        self.agent = agent
        self.events: list[EventRecord] = []
        self.actions: list[ActionRecord] = []

    def take(self, result: Any) -> None:
        """Keep the records of a nested run's result (a ``RunResult``; ``None`` or a result
        without records adds nothing)."""
        if result is None:
            return
        self.events.extend(getattr(result, "events", None) or ())
        self.actions.extend(getattr(result, "actions", None) or ())

    def __len__(self) -> int:
        return len(self.events) + len(self.actions)


def wants_nested(ctx: Any) -> bool:
    """Whether the caller behind ``ctx`` traces (so a nested run should record)."""
    core = getattr(ctx, "_core", None)
    return bool(getattr(core, "tracing", False))


def emit_nested(ctx: Any, nested: NestedRecords | None) -> int:
    """Re-emit ``nested`` into the sinks of the cascade behind ``ctx`` (see the module
    docstring); returns how many records were emitted. Call it from the action, in the
    cascade (not from a pool thread)."""
    core = getattr(ctx, "_core", None)
    if nested is None or not nested or core is None or not core.tracing:
        return 0
    prefix = nested.agent + SEP
    parent_event, parent_action = ctx._event_id, ctx._action_name
    key, input_seq = ctx.key, ctx._input_seq
    merged: list[EventRecord | ActionRecord] = [*nested.events, *nested.actions]
    merged.sort(key=lambda r: r.seq)
    for rec in merged:
        agent = nested.agent if rec.agent is None else prefix + rec.agent
        if isinstance(rec, EventRecord):
            ev = rec.event
            copy = Event.__new__(Event)  # checked when the sub-agent sent it
            copy.type = prefix + ev.type
            attrs = ev.attributes
            if isinstance(attrs.get("requested_by"), str):  # tokens go to the asking action
                attrs = {**attrs, "requested_by": prefix + attrs["requested_by"]}
            copy.attributes = attrs
            copy._id = ev.id
            copy.key = key
            if ev.upstream_event_id is None:  # the sub-agent's input: under the caller
                copy.upstream_event_id = parent_event
                copy.upstream_action_name = parent_action
            else:
                copy.upstream_event_id = ev.upstream_event_id
                copy.upstream_action_name = (
                    prefix + ev.upstream_action_name if ev.upstream_action_name else None
                )
            out = EventRecord(next(core.seq), input_seq, key, copy, rec.timestamp_ns, agent=agent)
            for on_event in core.on_event:
                on_event(out)
        else:
            act = ActionRecord(
                next(core.seq),
                input_seq,
                key,
                prefix + rec.action,
                rec.event_id,
                prefix + rec.event_type,
                rec.timestamp_ns,
                rec.duration_ns,
                rec.status,
                rec.attempt,
                rec.error,
                tuple(rec.sent_event_ids),
                (),
                tuple(rec.calls),  # its model and tool calls' own times (the Trace Log)
                agent=agent,
            )
            for on_action in core.on_action:
                on_action(act)
    return len(merged)


def without_nested(
    events: list[dict[str, Any]], actions: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One input's event and action rows (record-frame dicts) without the rows of its
    sub-agent calls: those whose event type or action starts with ``<name>/`` for a
    ``<name>/_input_event`` among ``events``. Replay compares a caller's own work: a
    sub-agent called as a tool is answered from the record and does not run again."""
    suffix = SEP + "_input_event"
    prefixes = tuple(
        {
            str(e.get("event_type")).split(SEP, 1)[0] + SEP
            for e in events
            if str(e.get("event_type")).endswith(suffix)
        }
    )
    if not prefixes:
        return events, actions
    return (
        [e for e in events if not str(e.get("event_type")).startswith(prefixes)],
        [a for a in actions if not str(a.get("action")).startswith(prefixes)],
    )
