"""One action on one event: its attempts, metrics and records, and the failure policy.

:class:`ActionAttempts` is the part of an input's cascade (``_cascade.InputTask``) that runs
one action: a synchronous action without an action state store as a plain call
(:meth:`~ActionAttempts._run_sync`), any other (async, or replayed from the store) as a
generator yielding the futures it awaits (:meth:`~ActionAttempts._run_action`). Either way:
``actionExecutionLatencyMs`` and the execution counters per attempt, an ``ActionRecord``
per attempt when records are kept, memory writes journaled and rolled back when the attempt
fails, then the error-handling strategy (``fail``, ``retry``, ``ignore``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Sequence
from concurrent.futures import Future
from typing import Any

from flink_agents_runtime._errors import ActionFailedError
from flink_agents_runtime.api._events import Event
from flink_agents_runtime.engine._context import RunnerContext
from flink_agents_runtime.engine._services import CoreServices
from flink_agents_runtime.engine.awaiting._timeout import drive_with_deadline, next_future
from flink_agents_runtime.engine.reporting._call_times import calls_of
from flink_agents_runtime.engine.reporting._records import ActionRecord, EventRecord

logger = logging.getLogger(__name__)
_time_ns = time.time_ns
_perf_ns = time.perf_counter_ns


class ActionAttempts:
    """Runs actions for one input's cascade (mixed into ``InputTask``, which holds the
    attributes below)."""

    __slots__ = ()

    services: CoreServices
    key: Any
    input_seq: int

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
            ctx._begin(name, spec.config, event._id or _id_for(event, core), writes)
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
            ctx._begin(spec.name, spec.config, event._id or _id_for(event, core), journal=False)
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
        metrics = core.action_runs.get(action)
        if metrics is None:
            metrics = core.action_run_metrics(action)
        metrics[0].update(duration / 1e6)
        metrics[1].count += 1
        metrics[2].count += 1
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


def _id_for(event: Event, core: CoreServices) -> str:
    """Give ``event`` the core's next id (it had none: sent while no records are kept)."""
    event._id = core.ids.next()
    return event._id


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
            yield next_future(coro)
    except StopIteration:
        return
