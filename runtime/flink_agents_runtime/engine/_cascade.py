"""One input's cascade: the events it causes, run through the plan's actions until quiet.

:class:`InputTask` is what :meth:`ExecutionCore.start` returns; drivers step it (see
``_core``); it receives the core's :class:`CoreServices`, never the core itself. Cascade
order is Flink Agents': events are processed first in, first out; each event runs
every action listening to its type, in declaration order; an ``OutputEvent`` is
emitted, not dispatched. An action's sent events and memory writes take effect only if it
succeeds (its memory writes are rolled back otherwise); the error-handling strategy decides
what a failure does (``_attempts``).

The loop over events is a plain method (:meth:`InputTask._run_events`): synchronous actions
run inside it as plain calls, so a cascade of such actions (an echo agent) costs no
generator. At the first action that must be driven as a generator (an ``async def``
action, or any action while an action state store is on) the loop stops and the task goes
on in a generator (:meth:`InputTask._drive_actions`), which yields the futures the action
awaits to the driver and resumes the loop after it.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from concurrent.futures import Future
from typing import Any

from flink_agents_runtime._errors import CascadeLimitError
from flink_agents_runtime.api._events import Event, InputEvent, OutputEvent
from flink_agents_runtime.engine._attempts import ActionAttempts
from flink_agents_runtime.engine._context import RunnerContext
from flink_agents_runtime.engine._services import CoreServices

_perf_ns = time.perf_counter_ns
_OUTPUT = OutputEvent.EVENT_TYPE

#: Where the loop stopped for an action run as a generator:
#: ``(action, event, depth, the event's actions, index of the next one)``.
Suspended = tuple[Any, Event, int, tuple[Any, ...], int]


class InputTask(ActionAttempts):
    """One input's cascade. ``step()`` returns a future to wait for, or ``None`` when done.

    Attributes:
        outputs: the outputs emitted so far, in order.
        done: whether the cascade has finished.
    """

    __slots__ = (
        "_created",
        "_ctx",
        "_gen",
        "_n_sent",
        "_next",
        "_queue",
        "_started",
        "_value",
        "done",
        "input_seq",
        "key",
        "outputs",
        "services",
    )

    def __init__(self, services: CoreServices, key: Any, value: Any, input_seq: int) -> None:
        self.services = services
        self.key = key
        self.input_seq = input_seq
        self.outputs: list[Any] = []
        self.done = False
        self._value = value
        self._gen: Generator[Future[Any], None, None] | None = None
        self._ctx: RunnerContext | None = None
        #: events to process first in, first out: ``(event, depth)``, read from ``_next``
        #: on (a list: cheaper than a deque for the short cascades of most inputs).
        self._queue: list[tuple[Event, int]] = []
        self._next = 0
        self._n_sent = 0
        self._created = _perf_ns()  # input-run latencies (_run_metrics)
        self._started = 0

    def step(self) -> Future[Any] | None:
        """Run until the cascade waits on a future (returned) or ends (``None``).

        Raises :class:`ActionFailedError` when an action fails under the ``fail`` strategy
        (or after its retries); memory is saved up to the last successful action.
        """
        if not self._started:
            self._started = _perf_ns()
        gen = self._gen
        try:
            if gen is None:
                if self.done:  # ended without a generator
                    return None
                try:
                    self._ctx = self._open(self._value)
                    self._value = None
                    suspended = self._run_events(None, 0, (), 0)
                except BaseException:
                    self._close()
                    raise
                if suspended is None:
                    self._close()
                    self.done = True
                    self.services.run_metrics.ended(self._created, self._started, True)
                    return None
                gen = self._gen = self._drive_actions(suspended)
            return next(gen)
        except StopIteration:
            self.done = True
            self.services.run_metrics.ended(self._created, self._started, True)
            return None
        except BaseException:
            if not self.done:
                self.done = True
                self.services.run_metrics.ended(self._created, self._started, False)
            raise

    def run_blocking(self) -> list[Any]:
        """Step to the end, blocking on each future; returns :attr:`outputs`."""
        fut = self.step()
        while fut is not None:
            fut.exception()  # waits
            fut = self.step()
        return self.outputs

    # -- the cascade ---------------------------------------------------------------------
    def _open(self, value: Any) -> RunnerContext:
        """The input's context, with its input event queued (a subclass may start the
        cascade elsewhere: ``timetravel._driver.ResumedTask``)."""
        core = self.services
        key = self.key
        ctx = RunnerContext(core, key, self.input_seq)
        if core.eager_memory:
            # Memory is opened now, in the driver's thread and key scope, when a call on
            # another thread might open it first (an async action's pool calls), or when
            # it must be saved whatever the actions do (the state numbers the key's inputs
            # when it saves: durable._recovery.SeqKeyedState).
            ctx._short_term_store()
            ctx._sensory_store()
        store = core.durable_store
        if store is not None:
            assert core.next_seq is not None  # the core checked it
            store.begin_input(ctx, core.next_seq(key))
        first = InputEvent(value)
        first._id = core.ids.next()  # its lineage: what actions send on it names it
        first.key = key
        if core.tracing:
            self._emit_event(first)
        self._queue.append((first, 0))
        return ctx

    def _close(self) -> None:
        """The cascade ended (or failed): save memory if it was used."""
        ctx = self._ctx
        if ctx is not None and ctx._st is not None:  # used, or a store numbers inputs
            self.services.state.save(self.key, ctx._st.root)

    def _run_events(
        self,
        event: Event | None,
        depth: int,
        specs: tuple[Any, ...],
        i: int,
        spec: Any = None,
        sent: list[Event] | None = None,
    ) -> Suspended | None:
        """Go on with the cascade: queue ``sent`` (what ``spec`` just sent on ``event``,
        at ``depth``), run the event's remaining actions ``specs[i:]``, then the queued
        events, synchronous actions as plain calls. Returns where it stopped at an action
        to be run as a generator, or ``None`` when the queue is empty."""
        core = self.services
        ctx = self._ctx
        assert ctx is not None
        queue = self._queue
        store = core.durable_store
        by_type = core.actions_by_type
        events_counter, events_meter = core.events, core.events_rate
        while True:
            if sent:
                n_sent = self._n_sent = self._n_sent + len(sent)
                assert event is not None
                if (core.max_events and n_sent > core.max_events) or (
                    core.max_depth and depth + 1 > core.max_depth
                ):
                    self._over_limit(spec.name, event, sent, n_sent, depth + 1)
                if core.tracing:
                    for new in sent:
                        self._emit_event(new)
                if len(sent) == 1:
                    queue.append((sent[0], depth + 1))
                else:
                    queue.extend([(new, depth + 1) for new in sent])
                sent = None
            if i < len(specs):
                spec = specs[i]
                i += 1
                assert event is not None
                if spec.is_async or store is not None:
                    return spec, event, depth, specs, i
                sent = self._run_sync(spec, event, ctx)
                continue
            n = self._next
            if n >= len(queue):
                return None
            event, depth = queue[n]
            self._next = n + 1
            events_counter.count += 1
            events_meter.count += 1
            if event.type == _OUTPUT:
                self.outputs.append(event.attributes.get("output"))
                specs = ()
            else:
                specs = by_type.get(event.type, ())
            i = 0

    def _drive_actions(self, suspended: Suspended | None) -> Generator[Future[Any], None, None]:
        """The rest of the cascade from an action run as a generator (its futures go to the
        driver); memory is saved when it ends, fails or is dropped unfinished."""
        ctx = self._ctx
        assert ctx is not None
        try:
            while suspended is not None:
                spec, event, depth, specs, i = suspended
                sent = yield from self._run_action(spec, event, ctx)
                suspended = self._run_events(event, depth, specs, i, spec, sent)
        finally:
            self._close()

    def _over_limit(
        self, action: str, event: Event, sent: list[Event], n_sent: int, depth: int
    ) -> None:
        """Stop a runaway cascade: :class:`CascadeLimitError` naming the action, the event
        type it handled and the type it sent."""
        core = self.services
        sent_type = sent[-1].type
        if core.max_events and n_sent > core.max_events:
            what = f"sent {n_sent} events, more than cascade.max-events-per-input={core.max_events}"
        else:
            what = f"reached event depth {depth}, more than cascade.max-depth={core.max_depth}"
        loop = " (it re-sends the type it handles)" if sent_type == event.type else ""
        raise CascadeLimitError(
            f"the cascade of input {self.input_seq} for key {self.key!r} {what}: action "
            f"{action!r} on event type {event.type!r} sent event type {sent_type!r}{loop}; "
            "stop the loop, or raise the limit if the work is legitimate",
            action=action,
            event_type=sent_type,
            key=self.key,
        )
