"""The one execution core: an input for a key, run through the plan until quiet.

Both drivers (local and Flink) call :meth:`ExecutionCore.start` per input and drive the
returned :class:`InputTask` with :meth:`InputTask.step` until it is done. A task that awaits a
durable async call returns the call's future from ``step``; the driver steps it again once the
future is done, and may step other keys' tasks meanwhile. Per key, a driver must not start the
next input before the previous task is done.

Cascade order is Flink Agents': events are processed first in, first out; each event runs
every action listening to its type, in declaration order; an ``OutputEvent`` is emitted, not
dispatched. An action's sent events and memory writes take effect only if it succeeds.
"""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from collections import deque
from collections.abc import Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from flink_agents_runtime._config import AgentConfiguration
from flink_agents_runtime._context import RunnerContext
from flink_agents_runtime._errors import ActionFailedError, FlinkAgentsError
from flink_agents_runtime._events import Event, InputEvent, OutputEvent
from flink_agents_runtime._jsoncheck import check_json
from flink_agents_runtime._memory import MemoryNode, MemoryStore
from flink_agents_runtime._metrics import MetricGroup
from flink_agents_runtime._plan import AgentPlan
from flink_agents_runtime._records import ActionRecord, EventRecord, RecordSink

logger = logging.getLogger(__name__)


class KeyedState(Protocol):
    """Where short-term memory lives between inputs of a key.

    With an action state store the core also calls ``next_seq(key) -> int``: the key's
    input sequence number (0, 1, ...), kept in the same (checkpointed) state as memory so
    that a restored job numbers replayed inputs as the first attempt did.
    """

    def load(self, key: Any) -> MemoryNode:
        """The key's memory root (a new empty node for a new key)."""

    def save(self, key: Any, root: MemoryNode) -> None:
        """Store the key's memory root after an input's cascade."""


class DictState:
    """:class:`KeyedState` in a dict (the local driver)."""

    def __init__(self) -> None:
        self.roots: dict[Any, MemoryNode] = {}
        self.seqs: dict[Any, int] = {}

    def next_seq(self, key: Any) -> int:
        """The key's next input sequence number (0 for its first input)."""
        seq = self.seqs.get(key, 0)
        self.seqs[key] = seq + 1
        return seq

    def load(self, key: Any) -> MemoryNode:
        root = self.roots.get(key)
        if root is None:
            root = self.roots[key] = MemoryNode()
        return root

    def save(self, key: Any, root: MemoryNode) -> None:
        self.roots[key] = root


class DurableStore(Protocol):
    """Action states and durable call results, for exactly-once actions across recovery
    (implemented by ``_statestore.ActionStateTracker``)."""

    def begin_input(self, ctx: RunnerContext, seq: int) -> None:
        """Input number ``seq`` of ``ctx.key`` starts its cascade."""

    def begin_action(self, ctx: RunnerContext, action: str, event: Event, attempt: int) -> Any:
        """An action starts; returns the stored state (with ``events`` and ``writes``) when
        it completed in an earlier attempt of the job, so it is replayed, else ``None``."""

    def finish_action(
        self, ctx: RunnerContext, status: str, sent: list[Event], writes: Any
    ) -> None:
        """The running action ended with ``status`` ``ok`` or ``ignored``."""

    def replay(
        self, ctx: RunnerContext, done: Any, short_term: MemoryStore, sensory: MemoryStore
    ) -> None:
        """Re-apply the memory writes and re-send the events of a completed action."""

    def lookup(self, ctx: RunnerContext, index: int, func: Any) -> tuple[bool, Any]:
        """``(True, result)`` if call ``index`` of the running action was recorded (a
        recorded exception is raised); else ``(False, slot)`` for :meth:`record`."""

    def mark_pending(self, slot: Any) -> None:
        """The call of ``slot`` starts (it has a reconciler)."""

    def record(self, slot: Any, result: Any, error: BaseException | None = None) -> None:
        """Record the outcome of the call of ``slot``; callable from any thread."""


class ResourceProvider(Protocol):
    """Resolves ``ctx.get_resource`` (chat models, tools, prompts)."""

    def get(self, name: str, resource_type: Any, ctx: RunnerContext) -> Any:
        """The resource ``name``."""


class EventIds:
    """UUID-shaped event ids: a random per-core prefix plus a counter (fast, unique)."""

    def __init__(self) -> None:
        h = uuid.uuid4().hex
        self._prefix = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-"
        self._counter = itertools.count()

    def next(self) -> str:
        """A new id."""
        return f"{self._prefix}{next(self._counter):012x}"


class ExecutionCore:
    """Runs inputs through one agent plan. Not thread-safe: one driver thread calls it.

    Args:
        plan: the compiled agent.
        config: resolved configuration (error handling, retries, pool size).
        metrics: the agent metric group (built-in metrics and ``ctx.agent_metric_group``).
        state: where short-term memory lives.
        sinks: receivers of :class:`EventRecord` and :class:`ActionRecord`.
        record_memory: include memory writes in action records (for the stepper).
        durable_store: results of durable calls, when exactly-once actions are on.
        resources: resolves ``ctx.get_resource``.
    """

    def __init__(
        self,
        plan: AgentPlan,
        config: AgentConfiguration,
        metrics: MetricGroup,
        state: KeyedState,
        sinks: Iterable[RecordSink] = (),
        *,
        record_memory: bool = False,
        durable_store: DurableStore | None = None,
        resources: ResourceProvider | None = None,
    ) -> None:
        self.plan = plan
        self.config = config
        self.metrics = metrics
        self.state = state
        self.sinks = list(sinks)
        self.record_memory = record_memory
        self.durable_store = durable_store
        if durable_store is not None and not callable(getattr(state, "next_seq", None)):
            raise FlinkAgentsError(
                f"{type(state).__name__} keeps no input sequence numbers (next_seq), which an "
                "action state store needs; this driver cannot use actionStateStoreBackend"
            )
        self._next_seq: Any = getattr(state, "next_seq", None)
        self.resources = resources if resources is not None else plan.resource_provider()
        self.ids = EventIds()
        self.seq = itertools.count()
        self.input_seq = itertools.count()
        self._pool: ThreadPoolExecutor | None = None
        self._action_groups: dict[str, MetricGroup] = {}
        self._strategy = config.get("error-handling-strategy")
        self._max_retries = int(config.get("max-retries"))
        self._retry_wait = float(config.get("retry-wait-interval"))
        # Built-in metrics (Flink Agents' names).
        self._events = metrics.get_counter("numOfEventProcessed")
        self._events_rate = metrics.get_meter("numOfEventProcessedPerSec")
        self._actions = metrics.get_counter("numOfActionsExecuted")
        self._actions_rate = metrics.get_meter("numOfActionsExecutedPerSec")
        self._per_action = {
            name: (
                self.action_group(name).get_counter("numOfActionsExecuted"),
                self.action_group(name).get_meter("numOfActionsExecutedPerSec"),
            )
            for name in plan.actions
        }

    def action_group(self, action: str) -> MetricGroup:
        """The metric group ``action.<action>``."""
        group = self._action_groups.get(action)
        if group is None:
            group = self._action_groups[action] = self.metrics.get_sub_group("action", action)
        return group

    def pool(self) -> ThreadPoolExecutor:
        """The async thread pool (``num-async-threads``), created on first use."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=int(self.config.get("num-async-threads")),
                thread_name_prefix="flink-agents-async",
            )
        return self._pool

    def close(self) -> None:
        """Shut the async pool down (waiting for running calls)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def start(self, key: Any, value: Any) -> InputTask:
        """A task processing one input ``value`` for ``key``; drive it with ``step``."""
        check_json(value, "input", "input value")
        return InputTask(self, key, value, next(self.input_seq))


class InputTask:
    """One input's cascade. ``step()`` returns a future to wait for, or ``None`` when done.

    Attributes:
        outputs: the outputs emitted so far, in order.
        done: whether the cascade has finished.
    """

    __slots__ = ("_gen", "core", "done", "input_seq", "key", "outputs")

    def __init__(self, core: ExecutionCore, key: Any, value: Any, input_seq: int) -> None:
        self.core = core
        self.key = key
        self.input_seq = input_seq
        self.outputs: list[Any] = []
        self.done = False
        self._gen = self._cascade(value)

    def step(self) -> Future[Any] | None:
        """Run until the cascade waits on a future (returned) or ends (``None``).

        Raises :class:`ActionFailedError` when an action fails under the ``fail`` strategy
        (or after its retries); memory is saved up to the last successful action.
        """
        try:
            return next(self._gen)
        except StopIteration:
            self.done = True
            return None

    def run_blocking(self) -> list[Any]:
        """Step to the end, blocking on each future; returns :attr:`outputs`."""
        fut = self.step()
        while fut is not None:
            fut.exception()  # waits
            fut = self.step()
        return self.outputs

    # -- the cascade ---------------------------------------------------------------------
    def _cascade(self, value: Any) -> Generator[Future[Any], None, None]:
        core = self.core
        key = self.key
        short_term = MemoryStore("short_term", core.state.load(key))
        sensory = MemoryStore("sensory")
        ctx = RunnerContext(core, key, self.input_seq, short_term, sensory)
        if core.durable_store is not None:
            core.durable_store.begin_input(ctx, core._next_seq(key))
        first = InputEvent(value)
        first.id = core.ids.next()
        first.key = key
        if core.sinks:
            self._emit_event(first)
        queue: deque[Event] = deque((first,))
        by_type = core.plan.actions_by_type
        events_counter, events_meter = core._events, core._events_rate
        try:
            while queue:
                event = queue.popleft()
                events_counter.count += 1
                events_meter.count += 1
                if event.type == OutputEvent.EVENT_TYPE:
                    self.outputs.append(event.attributes.get("output"))
                    continue
                for spec in by_type.get(event.type, ()):
                    sent = yield from self._run_action(spec, event, ctx, short_term, sensory)
                    if sent:
                        if core.sinks:
                            for new in sent:
                                self._emit_event(new)
                        queue.extend(sent)
        finally:
            core.state.save(key, short_term.root)

    def _emit_event(self, event: Event) -> None:
        core = self.core
        rec = EventRecord(next(core.seq), self.input_seq, self.key, event, time.time_ns())
        for sink in core.sinks:
            sink.on_event(rec)

    def _run_action(
        self,
        spec: Any,
        event: Event,
        ctx: RunnerContext,
        short_term: MemoryStore,
        sensory: MemoryStore,
    ) -> Generator[Future[Any], None, list[Event]]:
        core = self.core
        tracing = bool(core.sinks)
        store = core.durable_store
        attempt = 0
        while True:
            attempt += 1
            ctx._begin(spec.name, spec.config, event.id)
            if store is not None:
                done = store.begin_action(ctx, spec.name, event, attempt)
                if done is not None:  # completed in an earlier attempt of the job
                    store.replay(ctx, done, short_term, sensory)
                    return self._replay(spec.name, event, ctx, done)
            short_term.journal = []
            sensory.journal = []
            writes: list[tuple[str, str, Any]] | None = (
                [] if core.record_memory or store is not None else None
            )
            short_term.writes = sensory.writes = writes
            wall = time.time_ns() if tracing else 0
            t0 = time.perf_counter_ns()
            error: BaseException | None = None
            try:
                result = spec.func(event, ctx)
                if spec.is_async:
                    yield from _drive(result)
            except Exception as exc:
                error = exc
            duration = time.perf_counter_ns() - t0
            short_term.writes = sensory.writes = None
            counter, meter = core._per_action[spec.name]
            counter.count += 1
            meter.count += 1
            core._actions.count += 1
            core._actions_rate.count += 1
            if error is None:
                short_term.journal = sensory.journal = None
                sent = ctx._sent
                if store is not None:
                    store.finish_action(ctx, "ok", sent, writes)
                    if not core.record_memory:
                        writes = None
                if tracing:
                    self._emit_action(
                        spec.name,
                        event,
                        wall,
                        duration,
                        "ok",
                        attempt,
                        None,
                        [e.id or "" for e in sent],
                        writes,
                    )
                return sent
            short_term.rollback()
            sensory.rollback()
            short_term.journal = sensory.journal = None
            message = f"{type(error).__name__}: {error}"
            # An error marked retryable=False already had its retries (a chat connection
            # retries in place); running the action again would square the attempts.
            retry = (
                core._strategy == "retry"
                and attempt <= core._max_retries
                and getattr(error, "retryable", True)
            )
            status = "ignored" if core._strategy == "ignore" else "failed"
            if tracing:
                self._emit_action(
                    spec.name, event, wall, duration, status, attempt, message, [], writes
                )
            core.action_group(spec.name).get_counter("numOfActionsFailed").inc()
            core.metrics.get_counter("numOfActionsFailed").inc()
            if retry:
                core.metrics.get_counter("numOfActionRetries").inc()
                wait = core._retry_wait * (2 ** (attempt - 1))
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
                continue
            if core._strategy == "ignore":
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
        if self.core.sinks:
            self._emit_action(
                action,
                event,
                time.time_ns(),
                0,
                "replayed" if done.status == "ok" else done.status,
                1,
                None,
                [e.id or "" for e in sent],
                list(done.writes) if self.core.record_memory else None,
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
        sent: list[str],
        writes: list[tuple[str, str, Any]] | None,
    ) -> None:
        core = self.core
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
            writes or [],
        )
        for sink in core.sinks:
            sink.on_action(rec)


def _drive(coro: Any) -> Generator[Future[Any], None, None]:
    """Drive an action coroutine, yielding each future it awaits to the driver."""
    try:
        while True:
            awaited = coro.send(None)
            if not isinstance(awaited, Future):
                coro.close()
                raise TypeError(
                    "an async action may only await ctx.durable_execute_async(...) "
                    f"(it awaited {awaited!r}); asyncio primitives do not run inside actions"
                )
            yield awaited
    except StopIteration:
        return
