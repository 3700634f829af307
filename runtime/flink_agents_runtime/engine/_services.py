"""What a cascade and its context use, handed to them explicitly by the execution core.

:class:`CoreServices` bundles the ids, the record emitters, the built-in metrics, the failure
policy, the keyed state, the durable store and the resources of one
:class:`~flink_agents_runtime.engine._core.ExecutionCore`. The cascade (``_cascade``) and the
context (``_context``) receive it instead of reading the core, so the engine depends one way:
core -> cascade -> context -> services.

The protocols here (:class:`KeyedState`, :class:`DurableStore`, :class:`ResourceProvider`) are
what a driver or a state store plugs in; ``ctx`` in them is the action's ``RunnerContext``
(typed loosely: they only use ``ctx.key`` and ``ctx.send_event``).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from flink_agents_runtime.api._events import Event
from flink_agents_runtime.api._memory import MemoryNode, MemoryStore
from flink_agents_runtime.api._metrics import Counter, Histogram, Meter, MetricGroup
from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.engine.reporting._records import ActionRecord, EventRecord, RecordSink
from flink_agents_runtime.engine.reporting._run_metrics import InputRunMetrics

__all__ = [
    "CoreServices",
    "DictState",
    "DurableStore",
    "EventIds",
    "FailurePolicy",
    "KeyedState",
    "ResourceProvider",
]


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
    (implemented by ``durable._tracker.ActionStateTracker``). Per key one input is in flight
    at a time; the store keeps its per-input state itself, by ``ctx.key``."""

    def begin_input(self, ctx: Any, seq: int) -> None:
        """Input number ``seq`` of ``ctx.key`` starts its cascade."""

    def begin_action(self, ctx: Any, action: str, event: Event, attempt: int) -> Any:
        """An action starts; returns the stored state (with ``events`` and ``writes``) when
        it completed in an earlier attempt of the job, so it is replayed, else ``None``."""

    def finish_action(self, ctx: Any, status: str, sent: list[Event], writes: Any) -> None:
        """The running action ended with ``status`` ``ok`` or ``ignored``."""

    def replay(self, ctx: Any, done: Any, short_term: MemoryStore, sensory: MemoryStore) -> None:
        """Re-apply the memory writes and re-send the events of a completed action."""

    def lookup(self, ctx: Any, index: int, func: Any) -> tuple[bool, Any]:
        """``(True, result)`` if call ``index`` of the running action was recorded (a
        recorded exception is raised); else ``(False, slot)`` for :meth:`record`."""

    def mark_pending(self, slot: Any) -> None:
        """The call of ``slot`` starts (it has a reconciler)."""

    def record(self, slot: Any, result: Any, error: BaseException | None = None) -> None:
        """Record the outcome of the call of ``slot``; callable from any thread."""


class ResourceProvider(Protocol):
    """Resolves ``ctx.get_resource`` (chat models, tools, prompts)."""

    def get(self, name: str, resource_type: Any, ctx: Any) -> Any:
        """The resource ``name``."""


class EventIds:
    """UUID-shaped event ids: a random per-core prefix plus a counter (fast, unique)."""

    def __init__(self) -> None:
        h = uuid.uuid4().hex
        self._prefix = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-"
        #: A new id (a call into C: formats the counter into the prefix's template).
        self.next: Callable[[], str] = map(
            f"{self._prefix}%012x".__mod__, itertools.count()
        ).__next__


@dataclass(frozen=True)
class FailurePolicy:
    """What a failed action does: ``strategy`` ``fail``/``retry``/``ignore``; ``max_retries``
    further attempts under ``retry``, waiting ``retry_wait`` seconds doubled each time."""

    strategy: str
    max_retries: int
    retry_wait: float

    @classmethod
    def from_config(cls, config: AgentConfiguration) -> FailurePolicy:
        """The policy ``config`` asks for (``error-handling-strategy`` and friends)."""
        return cls(
            str(config.get("error-handling-strategy")),
            int(config.get("max-retries")),
            float(config.get("retry-wait-interval")),
        )


class CoreServices:
    """Everything one input's cascade and its context use. Built by the execution core.

    Attributes:
        config: the resolved configuration (``ctx.config``).
        metrics: the agent metric group; :meth:`action_group` gives ``action.<name>``.
        state: where short-term memory lives between inputs.
        durable_store: exactly-once action states, or ``None``.
        resources: resolves ``ctx.get_resource`` (``None`` when the agent declares none).
        call_source: answers the built-in chat and tool actions' calls (``chat.action._calls``);
            ``None``: they call live.
        ids: event ids.
        seq: the record sequence (one counter for events and actions).
        on_event, on_action: the sinks' receivers, bound once (the hot path calls them).
        record_memory: include memory writes in action records.
        policy: the failure policy.
        actions_by_type: the plan's event type -> actions listening to it.
        events, events_rate, actions, actions_rate: built-in counters and meters.
        per_action: action name -> its (counter, meter) of executions.
        action_latencies: action name -> its ``actionExecutionLatencyMs`` histogram, for
            actions that ran (:meth:`action_latency` adds them).
        action_runs: action name -> (latency, counter, meter) of actions that ran
            (:meth:`action_run_metrics`).
    """

    def __init__(
        self,
        *,
        config: AgentConfiguration,
        metrics: MetricGroup,
        state: KeyedState,
        actions_by_type: dict[str, tuple[Any, ...]],
        action_names: Iterable[str],
        sinks: Iterable[RecordSink] = (),
        record_memory: bool = False,
        durable_store: DurableStore | None = None,
        resources: ResourceProvider | None = None,
        call_source: Any = None,
    ) -> None:
        self.config = config
        self.call_source = call_source
        self.metrics = metrics
        self.state = state
        self.durable_store = durable_store
        self.resources = resources
        self.actions_by_type = actions_by_type
        self.record_memory = record_memory
        sinks = list(sinks)
        self.on_event: tuple[Callable[[EventRecord], None], ...] = tuple(
            sink.on_event for sink in sinks
        )
        self.on_action: tuple[Callable[[ActionRecord], None], ...] = tuple(
            sink.on_action for sink in sinks
        )
        self.tracing = bool(sinks)
        #: open memory when an input starts rather than on first use (``_cascade``): with
        #: an action state store, or when an async action may use it from a pool thread.
        self.eager_memory = durable_store is not None or any(
            spec.is_async for specs in actions_by_type.values() for spec in specs
        )
        self.next_seq: Callable[[Any], int] | None = getattr(state, "next_seq", None)
        self.ids = EventIds()
        self.seq = itertools.count()
        self.policy = FailurePolicy.from_config(config)
        # Guards (bounded work, issue 13): 0 means no limit.
        self.max_events = int(config.get("cascade.max-events-per-input") or 0)
        self.max_depth = int(config.get("cascade.max-depth") or 0)
        self._timeouts: dict[str, float | None] = {}
        #: Async calls left running by a timed-out action (the pool is then not waited on).
        self.abandoned = 0
        self._pool: ThreadPoolExecutor | None = None
        self._action_groups: dict[str, MetricGroup] = {}
        self.action_latencies: dict[str, Histogram] = {}
        self.action_runs: dict[str, tuple[Histogram, Counter, Meter]] = {}
        #: the input-run counters and latencies (engine.reporting._run_metrics), looked up once.
        self.run_metrics = InputRunMetrics(metrics)
        # Built-in metrics (Flink Agents' names).
        self.events: Counter = metrics.get_counter("numOfEventProcessed")
        self.events_rate: Meter = metrics.get_meter("numOfEventProcessedPerSec")
        self.actions: Counter = metrics.get_counter("numOfActionsExecuted")
        self.actions_rate: Meter = metrics.get_meter("numOfActionsExecutedPerSec")
        self.per_action: dict[str, tuple[Counter, Meter]] = {
            name: (
                self.action_group(name).get_counter("numOfActionsExecuted"),
                self.action_group(name).get_meter("numOfActionsExecutedPerSec"),
            )
            for name in action_names
        }

    def action_group(self, action: str) -> MetricGroup:
        """The metric group ``action.<action>``."""
        group = self._action_groups.get(action)
        if group is None:
            group = self._action_groups[action] = self.metrics.get_sub_group("action", action)
        return group

    def action_latency(self, action: str) -> Histogram:
        """``action.<action>.actionExecutionLatencyMs`` (looked up once per action)."""
        hist = self.action_latencies.get(action)
        if hist is None:
            group = self.action_group(action)
            hist = self.action_latencies[action] = group.get_histogram("actionExecutionLatencyMs")
        return hist

    def action_run_metrics(self, action: str) -> tuple[Histogram, Counter, Meter]:
        """What an attempt of ``action`` updates: its latency histogram (made at its first
        attempt), execution counter and meter; kept in :attr:`action_runs`."""
        counter, meter = self.per_action[action]
        found = self.action_runs[action] = (self.action_latency(action), counter, meter)
        return found

    def action_timeout(self, action: str) -> float | None:
        """``action.<action>.timeout``, else ``action.timeout`` (seconds; ``None``: none)."""
        if action not in self._timeouts:
            own = self.config.get(f"action.{action}.timeout")
            value = own if own is not None else self.config.get("action.timeout")
            self._timeouts[action] = float(value) if value is not None else None
        return self._timeouts[action]

    def pool(self) -> ThreadPoolExecutor:
        """The async thread pool (``num-async-threads``), created on first use."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=int(self.config.get("num-async-threads")),
                thread_name_prefix="flink-agents-async",
            )
        return self._pool

    def close_pool(self) -> None:
        """Shut the async pool down (waiting for running calls, except when a timed-out
        action abandoned some: those may never end)."""
        if self._pool is not None:
            self._pool.shutdown(wait=not self.abandoned, cancel_futures=bool(self.abandoned))
            self._pool = None
