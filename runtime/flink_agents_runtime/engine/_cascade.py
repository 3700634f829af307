"""One input's cascade: the events it causes, run through the plan's actions until quiet.

:class:`InputTask` is what :meth:`ExecutionCore.start` returns; drivers step it (see
``_core``); it receives the core's :class:`CoreServices`, never the core itself. Cascade
order is Flink Agents': events are processed first in, first out; each event runs
every action listening to its type, in declaration order; an ``OutputEvent`` is
emitted, not dispatched. An action's sent events and memory writes take effect only if it
succeeds (its memory writes are rolled back otherwise); the error-handling strategy decides
what a failure does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Sequence
from concurrent.futures import Future
from typing import Any

from flink_agents_runtime._errors import ActionFailedError, ArgumentTypeError, CascadeLimitError
from flink_agents_runtime.api._events import Event, InputEvent, OutputEvent
from flink_agents_runtime.engine._call_times import calls_of
from flink_agents_runtime.engine._context import RunnerContext
from flink_agents_runtime.engine._records import ActionRecord, EventRecord
from flink_agents_runtime.engine._services import CoreServices
from flink_agents_runtime.engine._timeout import drive_with_deadline

logger = logging.getLogger(__name__)
_time_ns = time.time_ns
_perf_ns = time.perf_counter_ns


class InputTask:
    """One input's cascade. ``step()`` returns a future to wait for, or ``None`` when done.

    Attributes:
        outputs: the outputs emitted so far, in order.
        done: whether the cascade has finished.
    """

    __slots__ = ("_created", "_gen", "_started", "done", "input_seq", "key", "outputs", "services")

    def __init__(self, services: CoreServices, key: Any, value: Any, input_seq: int) -> None:
        self.services = services
        self.key = key
        self.input_seq = input_seq
        self.outputs: list[Any] = []
        self.done = False
        self._gen = self._cascade(value)
        self._created = _perf_ns()  # input-run latencies (_run_metrics)
        self._started = 0

    def step(self) -> Future[Any] | None:
        """Run until the cascade waits on a future (returned) or ends (``None``).

        Raises :class:`ActionFailedError` when an action fails under the ``fail`` strategy
        (or after its retries); memory is saved up to the last successful action.
        """
        if not self._started:
            self._started = _perf_ns()
        try:
            return next(self._gen)
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
    def _cascade(self, value: Any) -> Generator[Future[Any], None, None]:
        core = self.services
        key = self.key
        ctx = RunnerContext(core, key, self.input_seq)
        store = core.durable_store
        if store is not None:
            assert core.next_seq is not None  # the core checked it
            # Memory is loaded (and saved at the end) whatever the actions do: the state
            # numbers the key's inputs when it saves (durable._recovery.SeqKeyedState).
            ctx._short_term_store()
            store.begin_input(ctx, core.next_seq(key))
        first = InputEvent(value)
        first._id = core.ids.next()
        first.key = key
        if core.tracing:
            self._emit_event(first)
        # Events first in, first out: a list read from the front (cheaper than a deque
        # for the short cascades of most inputs; bounded by the cascade limits).
        queue: list[tuple[Event, int]] = [(first, 0)]
        by_type = core.actions_by_type
        events_counter, events_meter = core.events, core.events_rate
        max_events, max_depth = core.max_events, core.max_depth
        n_sent = 0
        next_event = 0
        try:
            while next_event < len(queue):
                event, depth = queue[next_event]
                next_event += 1
                events_counter.count += 1
                events_meter.count += 1
                if event.type == OutputEvent.EVENT_TYPE:
                    self.outputs.append(event.attributes.get("output"))
                    continue
                for spec in by_type.get(event.type, ()):
                    if spec.is_async or store is not None:
                        sent = yield from self._run_action(spec, event, ctx)
                    else:  # nothing to wait for: no generator per action
                        sent = self._run_sync(spec, event, ctx)
                    if sent:
                        n_sent += len(sent)
                        if (max_events and n_sent > max_events) or (
                            max_depth and depth + 1 > max_depth
                        ):
                            self._over_limit(spec.name, event, sent, n_sent, depth + 1)
                        if core.tracing:
                            for new in sent:
                                self._emit_event(new)
                        if len(sent) == 1:
                            queue.append((sent[0], depth + 1))
                        else:
                            queue.extend([(new, depth + 1) for new in sent])
        finally:
            if ctx._st is not None:  # memory was used (or a durable store numbers inputs)
                core.state.save(key, ctx._st.root)

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

    def _emit_event(self, event: Event) -> None:
        core = self.services
        rec = EventRecord(next(core.seq), self.input_seq, self.key, event, _time_ns())
        for on_event in core.on_event:
            on_event(rec)

    def _run_sync(self, spec: Any, event: Event, ctx: RunnerContext) -> list[Event]:
        """:meth:`_run_action` for a synchronous action without an action state store:
        the same attempts, metrics and records, run as a plain call."""
        core = self.services
        name = spec.name
        attempt = 0
        while True:
            attempt += 1
            writes: list[tuple[str, str, Any]] | None = [] if core.record_memory else None
            ctx._begin(name, spec.config, event.id, writes)
            wall = _time_ns() if core.tracing else 0
            t0 = _perf_ns()
            try:
                spec.func(event, ctx)
            except Exception as exc:
                sent = self._failed(spec, event, ctx, attempt, wall, _perf_ns() - t0, exc, writes)
                if sent is None:
                    continue  # retried
                return sent
            duration = _perf_ns() - t0
            self._count(name, duration)
            if ctx._st is None and ctx._se is None:
                ctx._journaling = False
            else:
                ctx._end(True)
            sent = ctx._sent
            if core.tracing:
                self._emit_ok(name, event, wall, duration, attempt, sent, writes, ctx)
            return sent

    def _run_action(
        self, spec: Any, event: Event, ctx: RunnerContext
    ) -> Generator[Future[Any], None, list[Event]]:
        """Run ``spec`` on ``event`` (its retries included); returns the events it sent.
        Yields the futures an async action awaits."""
        core = self.services
        tracing = core.tracing
        store = core.durable_store
        attempt = 0
        while True:
            attempt += 1
            writes: list[tuple[str, str, Any]] | None = (
                [] if core.record_memory or store is not None else None
            )
            ctx._begin(spec.name, spec.config, event.id, journal=False)
            if store is not None:
                done = store.begin_action(ctx, spec.name, event, attempt)
                if done is not None:  # completed in an earlier attempt of the job
                    store.replay(ctx, done, ctx._short_term_store(), ctx._sensory_store())
                    return self._replay(spec.name, event, ctx, done)
            ctx._journal(writes)
            wall = _time_ns() if tracing else 0
            t0 = _perf_ns()
            error: BaseException | None = None
            try:
                result = spec.func(event, ctx)
                if spec.is_async:
                    timeout = core.action_timeout(spec.name)
                    if timeout is None:
                        yield from _drive(result)
                    else:
                        yield from drive_with_deadline(result, timeout, spec.name, core)
            except Exception as exc:
                error = exc
            duration = _perf_ns() - t0
            if error is not None:
                sent = self._failed(spec, event, ctx, attempt, wall, duration, error, writes)
                if sent is None:
                    continue  # retried
                return sent
            self._count(spec.name, duration)
            ctx._end(True)
            sent = ctx._sent
            if store is not None:
                store.finish_action(ctx, "ok", sent, writes)
                if not core.record_memory:
                    writes = None
            if tracing:
                self._emit_ok(spec.name, event, wall, duration, attempt, sent, writes, ctx)
            return sent

    def _emit_ok(
        self,
        action: str,
        event: Event,
        wall: int,
        duration: int,
        attempt: int,
        sent: list[Event],
        writes: list[tuple[str, str, Any]] | None,
        ctx: RunnerContext,
    ) -> None:
        """The record of a successful attempt."""
        ids, calls = _ids(sent), calls_of(ctx)
        self._emit_action(action, event, wall, duration, "ok", attempt, None, ids, writes, calls)

    def _count(self, action: str, duration: int) -> None:
        """Count one attempt of ``action`` that ran ``duration`` ns (latency, executions)."""
        core = self.services
        latency = core.action_latencies.get(action)
        if latency is None:
            latency = core.action_latency(action)
        latency.update(duration / 1e6)
        counter, meter = core.per_action[action]
        counter.count += 1
        meter.count += 1
        core.actions.count += 1
        core.actions_rate.count += 1

    def _failed(
        self,
        spec: Any,
        event: Event,
        ctx: RunnerContext,
        attempt: int,
        wall: int,
        duration: int,
        error: BaseException,
        writes: list[tuple[str, str, Any]] | None,
    ) -> list[Event] | None:
        """Attempt ``attempt`` of ``spec`` raised ``error``: its memory writes are rolled
        back, and the error-handling strategy decides. Returns ``None`` to run it again
        (``retry``, after the wait), ``[]`` when the failure is ignored; raises
        :class:`ActionFailedError` otherwise."""
        core = self.services
        policy = core.policy
        store = core.durable_store
        self._count(spec.name, duration)
        ctx._end(False)
        message = f"{type(error).__name__}: {error}"
        # An error marked retryable=False already had its retries (a chat connection
        # retries in place); running the action again would square the attempts.
        retry = (
            policy.strategy == "retry"
            and attempt <= policy.max_retries
            and getattr(error, "retryable", True)
        )
        status = "ignored" if policy.strategy == "ignore" else "failed"
        if core.tracing:
            self._emit_action(
                spec.name,
                event,
                wall,
                duration,
                status,
                attempt,
                message,
                (),
                writes,
                calls_of(ctx),
            )
        core.action_group(spec.name).get_counter("numOfActionsFailed").inc()
        core.metrics.get_counter("numOfActionsFailed").inc()
        if retry:
            core.metrics.get_counter("numOfActionRetries").inc()
            wait = policy.retry_wait * (2 ** (attempt - 1))
            logger.warning(
                "action %r failed on event %r for key %r (attempt %d), retrying in %.3fs: %s",
                spec.name,
                event.type,
                self.key,
                attempt,
                wait,
                message,
            )
            if wait > 0:
                time.sleep(wait)
            return None
        if policy.strategy == "ignore":
            if store is not None:
                store.finish_action(ctx, "ignored", [], [])
            logger.warning(
                "action %r failed on event %r for key %r; ignored: %s",
                spec.name,
                event.type,
                self.key,
                message,
            )
            return []
        tries = f" after {attempt} attempts" if attempt > 1 else ""
        raise ActionFailedError(
            f"action {spec.name!r} failed{tries} on event type {event.type!r} for key "
            f"{self.key!r}: {message}",
            action=spec.name,
            event_type=event.type,
            key=self.key,
            attempts=attempt,
        ) from error

    def _replay(self, action: str, event: Event, ctx: RunnerContext, done: Any) -> list[Event]:
        """Emit the record of an action replayed from the store (it did not run)."""
        sent = ctx._sent
        if self.services.tracing:
            self._emit_action(
                action,
                event,
                time.time_ns(),
                0,
                "replayed" if done.status == "ok" else done.status,
                1,
                None,
                _ids(sent),
                list(done.writes) if self.services.record_memory else None,
            )
        return sent

    def _emit_action(
        self,
        action: str,
        event: Event,
        wall: int,
        duration: int,
        status: str,
        attempt: int,
        error: str | None,
        sent: Sequence[str],
        writes: list[tuple[str, str, Any]] | None,
        calls: tuple[Any, ...] = (),
    ) -> None:
        core = self.services
        rec = ActionRecord(
            next(core.seq),
            self.input_seq,
            self.key,
            action,
            event.id or "",
            event.type,
            wall,
            duration,
            status,
            attempt,
            error,
            sent,
            writes or (),
            calls,
        )
        for on_action in core.on_action:
            on_action(rec)


def _ids(sent: list[Event]) -> tuple[str, ...]:
    """The ids of ``sent`` as a tuple (untracked by the garbage collector once it has looked
    at it; the one-event case without a generator: it is per action)."""
    if len(sent) == 1:
        return (sent[0].id or "",)
    return tuple(e.id or "" for e in sent)


def _drive(coro: Any) -> Generator[Future[Any], None, None]:
    """Drive an action coroutine, yielding each future it awaits to the driver."""
    try:
        while True:
            awaited = coro.send(None)
            if not isinstance(awaited, Future):
                coro.close()
                raise ArgumentTypeError(
                    "an async action may only await ctx.durable_execute_async(...) "
                    f"(it awaited {awaited!r}); asyncio primitives do not run inside actions"
                )
            yield awaited
    except StopIteration:
        return
