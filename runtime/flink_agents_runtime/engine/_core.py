"""The one execution core: an input for a key, run through the plan until quiet.

Both drivers (local and Flink) call :meth:`ExecutionCore.start` per input and drive the
returned :class:`InputTask` with :meth:`InputTask.step` until it is done. A task that awaits a
durable async call returns the call's future from ``step``; the driver steps it again once the
future is done, and may step other keys' tasks meanwhile. Per key, a driver must not start the
next input before the previous task is done.

The cascade itself (order, atomic actions, error handling) lives in ``_cascade``.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from flink_agents_runtime._errors import FlinkAgentsError
from flink_agents_runtime.api._events import Event
from flink_agents_runtime.api._jsoncheck import check_json
from flink_agents_runtime.api._memory import MemoryNode, MemoryStore
from flink_agents_runtime.api._metrics import MetricGroup
from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.engine._cascade import InputTask
from flink_agents_runtime.engine._context import RunnerContext
from flink_agents_runtime.engine._plan import AgentPlan
from flink_agents_runtime.engine._records import RecordSink

logger = logging.getLogger(__name__)

__all__ = ["DictState", "DurableStore", "ExecutionCore", "InputTask", "KeyedState"]


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
        # Bound once: the record hot path calls these for every event and action.
        self._on_event = tuple(sink.on_event for sink in self.sinks)
        self._on_action = tuple(sink.on_action for sink in self.sinks)
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
