"""What the stepper shows for one event: handlers, lineage, memory at that step, metrics.

:func:`build_view` derives a :class:`StepView` from the :class:`EventIndex` (handlers, cause,
caused events, running totals) and the :class:`MemoryReplay` (the key's short-term and sensory
memory after the event's handlers ran, and what they changed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flink_agents_nb.stepper._index import EventIndex, isna
from flink_agents_nb.stepper._memory_replay import MemoryChange, MemoryReplay


@dataclass
class StepView:
    """Everything the stepper shows for the current event.

    Attributes:
        position / total: index of the event among the visible ones (from 0), and their count.
        record: the event's row as a dict (``event_id``, ``event_type``, ``key``,
            ``attributes``, ``timestamp``, ...).
        actions: the action attempts that handled it: ``action``, ``status``, ``duration_ms``,
            ``attempt``, ``error``, ``sent_event_ids``.
        cause: the event whose handler sent this one: ``{"event_id", "event_type",
            "action"}`` (``action``: the handler that sent it), ``None`` for an input event.
        caused: the events its handlers sent: ``event_id``, ``event_type``, ``action``.
        short_term / sensory: the key's memory after this event's handlers ran.
        changes: what this step changed in memory.
        memory_recorded: whether the source recorded memory writes at all.
        metrics: totals up to this step: ``events``, ``actions``, ``failed_actions``,
            ``prompt_tokens``, ``completion_tokens``, ``elapsed_s`` (since the first record).
    """

    position: int
    total: int
    record: dict[str, Any]
    actions: list[dict[str, Any]]
    cause: dict[str, Any] | None
    caused: list[dict[str, Any]]
    short_term: dict[str, Any]
    sensory: dict[str, Any]
    changes: list[MemoryChange]
    memory_recorded: bool
    metrics: dict[str, Any] = field(default_factory=dict)


def _action_row(index: EventIndex, r: int) -> dict[str, Any]:
    f = index.frame
    attrs = f.at[r, "attributes"]
    return {
        "action": f.at[r, "action"],
        "status": f.at[r, "status"],
        "duration_ms": float(f.at[r, "duration_ms"]),
        "attempt": None if isna(f.at[r, "attempt"]) else int(f.at[r, "attempt"]),
        "error": None if isna(f.at[r, "error"]) else f.at[r, "error"],
        "sent_event_ids": list(attrs.get("sentEventIds", [])) if isinstance(attrs, Mapping) else [],
    }


def build_view(
    index: EventIndex, memory: MemoryReplay, event_index: int, position: int, total: int
) -> StepView:
    """The view of event ``event_index`` shown at visible ``position`` of ``total``."""
    ev = event_index
    f = index.frame
    record = index.record(ev)
    handlers = index.handler_rows(ev)
    parent = int(index.parent[ev])
    row = int(index.ev_rows[ev])
    end = max([row, *handlers])
    key_code = int(index.key_codes_all[row])
    input_seq = f.at[row, "input_seq"]
    before_row = (min(handlers) - 1) if handlers else row
    ok_handlers = [r for r in handlers if f.at[r, "status"] == "ok"]
    if memory.recorded and key_code >= 0:
        before = {
            "short_term": memory.short_term(key_code, before_row),
            "sensory": memory.sensory(key_code, input_seq, before_row),
        }
        short_term = memory.short_term(key_code, end)
        sensory = memory.sensory(key_code, input_seq, end)
        changes = memory.changes(before, ok_handlers)
    else:
        short_term, sensory, changes = {}, {}, []
    return StepView(
        position=position,
        total=total,
        record=record,
        actions=[_action_row(index, r) for r in handlers],
        cause={**index.brief(parent), "action": record.get("upstream_action")}
        if parent >= 0
        else None,
        caused=[index.brief(c) for c in index.children(ev)],
        short_term=short_term,
        sensory=sensory,
        changes=changes,
        memory_recorded=memory.recorded,
        metrics=index.metrics_at(end),
    )
