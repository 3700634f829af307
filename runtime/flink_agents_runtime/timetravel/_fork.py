"""Fork: re-run one input from one of its events with edits, then the key's later inputs.

Everything before the fork point is taken from the record: the input's events and actions up
to the fork event (ids kept), the memory they left (folded from recorded memory writes), and
the events waiting at that moment. From the fork event on, the (edited) agent runs live (or
with ``model``), with ``memory`` edits applied to short-term memory first; then the key's
inputs that followed in the record run again, in order. Other keys and earlier inputs are
copied from the record, so the fork is a whole run, comparable with the original.

The fork's metrics are those of the re-run part only (the record's inputs were not run).

Pending events at the fork event ``E`` (index ``i`` in its input, events in send order):
``E`` and every later event whose upstream event comes before ``E`` (FIFO: they were sent
before ``E`` was handled). Kept actions: those that handled an event before ``E``.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from flink_agents_runtime.api._agent import Agent
from flink_agents_runtime.api._events import Event
from flink_agents_runtime.api._memory import MemoryNode, MemoryStore
from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.engine.reporting._records import ActionRecord, EventRecord
from flink_agents_runtime.engine.reporting._run import Output, RunResult
from flink_agents_runtime.timetravel._driver import Item, Resume, run_inputs
from flink_agents_runtime.timetravel._recording import (
    OUTPUT_EVENT,
    RecordedInput,
    Recording,
    fold_writes,
)
from flink_agents_runtime.timetravel._sources import LiveCalls

logger = logging.getLogger(__name__)

#: The action name of the record that holds a fork's memory edits (on the fork event).
FORK_EDIT = "_fork_edit"


@dataclass
class ForkResult:
    """A fork: the whole run (record before the fork, re-run after it) and its facts.

    Attributes:
        result: the fork as a run (records of untouched inputs copied from the record).
        at: the fork event's id; input: the forked input.
        rerun: the recorded inputs that ran again (the forked one first).
        errors: the error of each re-run input that failed, by ``input_seq``.
    """

    result: RunResult
    at: str
    input: RecordedInput
    rerun: list[RecordedInput]
    errors: dict[int, BaseException] = field(default_factory=dict)


def _event(row: dict[str, Any]) -> Event:
    ev = Event(type=row["event_type"], attributes=copy.deepcopy(row.get("attributes") or {}))
    ev.id = row.get("event_id")
    ev.key = row.get("key")
    ev.upstream_event_id = row.get("upstream_event_id")
    ev.upstream_action_name = row.get("upstream_action")
    return ev


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) else default


def event_record(row: dict[str, Any]) -> EventRecord:
    """An :class:`EventRecord` from a row."""
    return EventRecord(
        _int(row.get("seq")),
        _int(row.get("input_seq")),
        row.get("key"),
        _event(row),
        _int(row.get("timestamp")),
        str(row.get("task") or "local"),
        _int(row.get("subtask")),
    )


def action_record(row: dict[str, Any]) -> ActionRecord:
    """An :class:`ActionRecord` from a row."""
    attrs = row.get("attributes") or {}
    writes = [
        (str(w.get("memory")), str(w.get("path")), w.get("value"))
        for w in attrs.get("memoryWrites") or ()
        if isinstance(w, dict)
    ]
    return ActionRecord(
        _int(row.get("seq")),
        _int(row.get("input_seq")),
        row.get("key"),
        str(row.get("action")),
        str(row.get("event_id") or ""),
        str(row.get("event_type") or ""),
        _int(row.get("timestamp")),
        int(float(row.get("duration_ms") or 0) * 1e6),
        str(row.get("status") or "ok"),
        _int(row.get("attempt"), 1),
        row.get("error"),
        list(attrs.get("sentEventIds") or ()),
        writes,
    )


def fork_record(
    recording: Recording,
    agent: Agent,
    at: str,
    config: AgentConfiguration | None = None,
    *,
    memory: Mapping[str, Any] | None = None,
    sensory: Mapping[str, Any] | None = None,
    model: Any = None,
    run_id: str = "fork",
) -> ForkResult:
    """Fork ``recording`` at event id ``at``; see the module docstring.

    ``memory`` / ``sensory``: ``{dotted path: value}`` set before the fork event is handled.
    ``model``: a chat model connection (or its ``ResourceDescriptor``) answering every model
    call after the fork point, with the setup's prompt, tools and model name (``None``: the
    agent's own models). Raises :class:`RecordError` for an unknown id.
    """
    config = config if config is not None else AgentConfiguration.resolve()
    target, index = recording.input_of(at)
    if recording.has_actions and not recording.has_memory:
        logger.warning(
            "%s records no memory writes (a Flink job's log does not): the fork of %s starts "
            "from empty memory; replay the record first and fork the replay's run",
            recording.name,
            target.label,
        )
    pos = {e.get("event_id"): i for i, e in enumerate(target.events)}

    def before(event_id: Any) -> bool:
        return pos.get(event_id, len(target.events)) < index

    kept_events = [  # sent before the fork event was handled (the fork event included)
        e for i, e in enumerate(target.events) if i <= index or before(e.get("upstream_event_id"))
    ]
    pending = [
        e
        for i, e in enumerate(target.events)
        if i >= index and (i == index or before(e.get("upstream_event_id")))
    ]
    kept_actions = [a for a in target.actions if before(a.get("event_id"))]
    short_term = recording.short_term_before(target)
    fold_writes(short_term, kept_actions, "short_term")
    sensory_root = fold_writes(MemoryNode(), kept_actions, "sensory")
    edit_writes: list[tuple[str, str, Any]] = []
    for root, kind, edits in (
        (short_term, "short_term", memory),
        (sensory_root, "sensory", sensory),
    ):
        store = MemoryStore(kind, root)
        store.writes = edit_writes  # recorded, so the fork's stepper shows the edit
        for path, value in (edits or {}).items():
            store.view().set(path, copy.deepcopy(value))
    later = [r for r in recording.inputs if r.key == target.key and r.ordinal > target.ordinal]
    items = [
        Item(
            target.key,
            None,
            target.input_seq,
            Resume([_event(e) for e in pending], short_term, sensory_root),
        )
    ]
    items += [Item(r.key, r.value, r.input_seq) for r in later]
    drive = run_inputs(agent, items, config, call_source=LiveCalls(model, config), run_id=run_id)
    error = next(iter(drive.errors.values()), None)
    return ForkResult(
        _merge(
            recording,
            target,
            index,
            (kept_events, kept_actions, edit_writes),
            later,
            drive.result,
            error,
        ),
        at,
        target,
        [target, *later],
        drive.errors,
    )


def _merge(
    recording: Recording,
    target: RecordedInput,
    index: int,
    kept: tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[str, str, Any]]],
    later: list[RecordedInput],
    new: RunResult,
    error: BaseException | None,
) -> RunResult:
    """The whole fork run: the record's rows, the forked input cut at ``index``, the
    re-run inputs replaced by the new records (numbered after every recorded ``seq``); memory
    edits become the :data:`FORK_EDIT` action record on the fork event, before them."""
    rerun = {id(r) for r in later}
    top = max(
        (_int(r.get("seq")) for rec in recording.inputs for r in (*rec.events, *rec.actions)),
        default=0,
    )
    new_out: dict[int, list[Any]] = {}
    for o in new.outputs:
        new_out.setdefault(o.input_seq, []).append(o.value)
    events: list[EventRecord] = []
    actions: list[ActionRecord] = []
    outputs: list[Output] = []
    for rec in recording.inputs:
        if id(rec) in rerun:
            values = new_out.get(rec.input_seq, [])
        elif rec is target:
            events.extend(event_record(e) for e in kept[0])
            actions.extend(action_record(a) for a in kept[1])
            values = [
                (e.get("attributes") or {}).get("output")
                for e in rec.events[:index]
                if e["event_type"] == OUTPUT_EVENT
            ]
            values += new_out.get(rec.input_seq, [])
        else:
            events.extend(event_record(e) for e in rec.events)
            actions.extend(action_record(a) for a in rec.actions)
            values = rec.outputs()
        outputs.extend(Output(rec.key, rec.input_seq, v) for v in values)
    task = str(target.events[0].get("task") or "local")
    subtask = _int(target.events[0].get("subtask"))
    fork_event = target.events[index]
    if kept[2]:
        actions.append(
            ActionRecord(
                top + 1,
                target.input_seq,
                target.key,
                FORK_EDIT,
                str(fork_event.get("event_id") or ""),
                str(fork_event.get("event_type") or ""),
                time.time_ns(),
                0,
                "ok",
                1,
                memory_writes=list(kept[2]),
                task=task,
                subtask=subtask,
            )
        )
    shift = top + 2
    for r in new.events or ():
        events.append(msgspec.structs.replace(r, seq=shift + r.seq, task=task, subtask=subtask))
    for a in new.actions or ():
        actions.append(msgspec.structs.replace(a, seq=shift + a.seq, task=task, subtask=subtask))
    events.sort(key=lambda r: r.seq)
    actions.sort(key=lambda r: r.seq)
    return RunResult(
        run_id=new.run_id,
        agent=new.agent,
        outputs=outputs,
        events=events,
        actions=actions,
        metrics=new.metrics,
        metric_counts=new.metric_counts,
        metric_series=new.metric_series,
        num_inputs=len(recording.inputs),
        wall_s=new.wall_s,
        config=new.config,
        error=error,
        memory_recorded=recording.has_memory,  # the kept records' writes are as exact
    )
