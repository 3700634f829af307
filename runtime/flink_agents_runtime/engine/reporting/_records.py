"""What the execution core reports as it runs: one record per event and per action run.

Both drivers hand these to the same sinks (a run recorder, an event logger), so a run in the
notebook and a job on Flink describe themselves identically. Times: ``timestamp_ns`` is wall
clock (``time.time_ns()``, UTC epoch); durations are ``perf_counter_ns`` differences.

Records are msgspec structs rather than dataclasses: tracing makes three or more per input,
and a struct is built in about a third of the time (positional and keyword construction,
equality and repr work as for a dataclass).
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import Any, Protocol

import msgspec

from flink_agents_runtime.api._events import Event


class EventRecord(msgspec.Struct, gc=False):
    """An event was sent (the input event by the framework, others by actions).

    Attributes:
        seq: position among all records of this core (events and actions), from 0.
        input_seq: which input caused it: its position in the job's input, from 0 (arrival
            order locally; on Flink the position the kit gave the input when it fed the job:
            the same number on both drivers).
        key: the input's key.
        event: the event, lineage filled in.
        timestamp_ns: wall-clock time it was sent.
        task, subtask: where it ran (``"local"``, 0 for a local run; a Flink job's task name
            and subtask index when read back from its event log).
        agent: the sub-agent that sent it (its name, ``outer/inner`` when nested), ``None``
            for the agent itself (see ``engine.reporting._nested``).
    """

    seq: int
    input_seq: int
    key: Any
    event: Event
    timestamp_ns: int
    task: str = "local"
    subtask: int = 0
    agent: str | None = None


class ActionRecord(msgspec.Struct, gc=False):
    """An action ran on an event (one record per attempt that ended).

    Attributes:
        seq, input_seq, key: as in :class:`EventRecord`.
        action: the action's name.
        event_id, event_type: the event it handled.
        timestamp_ns: wall-clock start.
        duration_ns: how long it ran (for async actions: until it finished, waits included).
        status: ``"ok"``, ``"failed"`` (stopped the run or was retried) or ``"ignored"``.
        attempt: 1 for the first run, 2 for the first retry, ...
        error: ``"ExcType: message"`` when it raised.
        sent_event_ids: ids of the events it sent (empty unless status is ok); a tuple
            (the garbage collector stops tracking tuples of strings: a recorded run keeps
            one per action).
        memory_writes: ``(memory, path, value)`` per write, memory ``"short_term"`` or
            ``"sensory"``; only when the core records memory (``()`` when none).
        calls: the model and tool calls the attempt made, with their own start and end
            (:class:`~flink_agents_runtime.engine.reporting._call_times.CallTime`; built-in chat and
            tool actions only, ``()`` otherwise).
        task, subtask, agent: as in :class:`EventRecord`.
    """

    seq: int
    input_seq: int
    key: Any
    action: str
    event_id: str
    event_type: str
    timestamp_ns: int
    duration_ns: int
    status: str
    attempt: int
    error: str | None = None
    sent_event_ids: Sequence[str] = ()
    memory_writes: Sequence[tuple[str, str, Any]] = ()
    calls: Sequence[Any] = ()
    task: str = "local"
    subtask: int = 0
    agent: str | None = None


class RecordSink(Protocol):
    """Receives the core's records in order. Implementations must not raise on a record
    they cannot keep; they report and go on (an event log counts write failures)."""

    def on_event(self, record: EventRecord) -> None:
        """An event was sent."""

    def on_action(self, record: ActionRecord) -> None:
        """An action attempt ended."""


#: A recording list freezes what is alive every this many records (see :class:`RecordList`).
FREEZE_EVERY = 1 << 14


class RecordList:
    """A :class:`RecordSink` that keeps every record in memory, in order.

    A recorded run keeps millions of objects alive (events, records, id tuples), and the
    cyclic garbage collector would scan them all again at each full collection: about half
    the cost of recording. So every :data:`FREEZE_EVERY` records the list moves what is alive
    to the collector's permanent generation (``gc.freeze()``), and :meth:`close` puts it back
    (``gc.unfreeze()``) when the run ends. It does so only when nothing else in the process
    uses ``gc.freeze`` (the frozen count is 0 at the start); records are freed by reference
    counting as usual when the run is dropped.
    """

    def __init__(self) -> None:
        self.events: list[EventRecord] = []
        self.actions: list[ActionRecord] = []
        self._freeze = gc.get_freeze_count() == 0
        self._frozen = False
        self._next = FREEZE_EVERY
        # The hot path: an event is one list append (the freeze check runs per action).
        self.on_event = self.events.append  # type: ignore[method-assign, assignment]

    def on_event(self, record: EventRecord) -> None:
        self.events.append(record)

    def on_action(self, record: ActionRecord) -> None:
        actions = self.actions
        actions.append(record)
        if len(actions) + len(self.events) >= self._next:
            self._next = len(actions) + len(self.events) + FREEZE_EVERY
            if self._freeze:
                gc.freeze()
                self._frozen = True

    def close(self) -> None:
        """The run ended: give frozen objects back to the collector."""
        if self._frozen:
            gc.unfreeze()
            self._frozen = False
