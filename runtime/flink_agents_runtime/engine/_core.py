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
from collections.abc import Iterable
from typing import Any

from flink_agents_runtime._errors import ActionStateStoreError
from flink_agents_runtime.api._jsoncheck import check_json
from flink_agents_runtime.api._metrics import MetricGroup
from flink_agents_runtime.api._resources import PlanResources
from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.engine._cascade import InputTask
from flink_agents_runtime.engine._keys import check_key
from flink_agents_runtime.engine._services import (
    CoreServices,
    DictState,
    DurableStore,
    KeyedState,
    ResourceProvider,
)
from flink_agents_runtime.engine.plan._plan import AgentPlan
from flink_agents_runtime.engine.reporting._records import RecordSink

logger = logging.getLogger(__name__)
_SCALARS = frozenset((str, int, float, bool, type(None)))

__all__ = ["DictState", "DurableStore", "ExecutionCore", "InputTask", "KeyedState"]


class ExecutionCore:
    """Runs inputs through one agent plan. Not thread-safe: one driver thread calls it.

    Args:
        plan: the compiled agent.
        config: resolved configuration (error handling, retries, pool size).
        metrics: the agent metric group (built-in metrics and ``ctx.agent_metric_group``).
        state: where short-term memory lives.
        sinks: receivers of :class:`EventRecord` and :class:`ActionRecord`; :meth:`close`
            closes them, except those also in ``keep_open`` (the caller's own, e.g. a live
            chart that lives across runs).
        record_memory: include memory writes in action records (for the stepper).
        durable_store: results of durable calls, when exactly-once actions are on.
        resources: resolves ``ctx.get_resource`` (default: the plan's declared resources).
        keep_open: sinks of ``sinks`` that :meth:`close` leaves open.
        call_source: answers the built-in actions' model and tool calls (a replay's
            recorded answers; see ``chat.action._calls``); ``None`` calls them live.
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
        keep_open: Iterable[RecordSink] = (),
        call_source: Any = None,
    ) -> None:
        self.plan = plan
        self.config = config
        self.metrics = metrics
        self.state = state
        self.sinks = list(sinks)
        self._keep_open = {id(s) for s in keep_open}
        self.record_memory = record_memory
        self.durable_store = durable_store
        if durable_store is not None and not callable(getattr(state, "next_seq", None)):
            raise ActionStateStoreError(
                f"{type(state).__name__} keeps no input sequence numbers (next_seq), which an "
                "action state store needs; this driver cannot use actionStateStoreBackend"
            )
        if resources is None and any(plan.resources.values()):
            resources = PlanResources(plan.resources)
        self.resources = resources
        self.input_seq = itertools.count()
        #: The type each key was first seen with (to warn about 1 / 1.0 / True).
        self._key_types: dict[Any, type] = {}
        self.services = CoreServices(
            config=config,
            metrics=metrics,
            state=state,
            actions_by_type=plan.actions_by_type,
            action_names=plan.actions,
            sinks=self.sinks,
            record_memory=record_memory,
            durable_store=durable_store,
            resources=resources,
            call_source=call_source,
        )

    def action_group(self, action: str) -> MetricGroup:
        """The metric group ``action.<action>``."""
        return self.services.action_group(action)

    def close(self) -> None:
        """Release what the core holds: the async pool (waiting for running calls), the
        resources it built (closed newest first), its sinks (flushed and closed) and the
        durable store. Each step runs even if an earlier one fails (failures are logged).
        Idempotent."""
        steps: list[tuple[str, Any]] = [("async pool", self.services.close_pool)]
        if self.resources is not None:
            steps.append(("resources", getattr(self.resources, "close", None)))
        steps += [
            (f"sink {type(s).__name__}", getattr(s, "close", None))
            for s in self.sinks
            if id(s) not in self._keep_open
        ]
        if self.durable_store is not None:
            steps.append(("durable store", getattr(self.durable_store, "close", None)))
        self.sinks = []
        for what, close in steps:
            if not callable(close):
                continue
            try:
                close()
            except Exception:
                logger.exception("closing the %s failed", what)

    def start(self, key: Any, value: Any, input_seq: int | None = None) -> InputTask:
        """A task processing one input ``value`` for ``key``; drive it with ``step``.

        ``input_seq`` is the input's position in the job's input (from 0): given by a driver
        that knows it (the Flink driver, for inputs the kit feeds), else this core's count
        of inputs (the local driver: arrival order). Raises :class:`InputError` for a key
        that cannot be a key (unhashable: a list, a dict). Keys that Python treats as equal
        (``1``, ``1.0``, ``True``) are one key: they share memory and order; the first such
        mix is logged as a warning.
        """
        key_types = self._key_types
        try:
            known = key_types.get(key) is type(key)
        except TypeError:  # unhashable: check_key says so
            known = False
        if not known:
            check_key(key, key_types)
        if type(value) not in _SCALARS:
            check_json(value, "input", "input value")
        count = next(self.input_seq)
        seq = count if input_seq is None else int(input_seq)
        return InputTask(self.services, key, value, seq)
