"""The agent as a PyFlink ``KeyedProcessFunction``: the one execution core, per subtask.

Each subtask builds its own :class:`~flink_agents_runtime.ExecutionCore` from the plan that
travelled by value, with short-term memory in Flink keyed state (a pickled ``MemoryNode``
per key, in ``ValueState``), sensory memory per input (as the core does), metrics mirrored
into the operator's Flink metric group, and the event log written per subtask with the job
id, task name and subtask index. Records cross as pickled Python objects; outputs leave as
Apache Flink Agents hands them downstream, after its events' JSON crossing to Java and back
(``api._values.crossed_all``: a pydantic model as its JSON-mode dict, tuples as lists, ...).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cloudpickle
from pyflink.common import Types
from pyflink.datastream import KeyedProcessFunction, RuntimeContext
from pyflink.datastream.state import ListStateDescriptor, ValueStateDescriptor

from flink_agents_runtime.api._memory import MemoryNode
from flink_agents_runtime.api._values import crossed_all as downstream
from flink_agents_runtime.drivers.flink._inputs import InputPair
from flink_agents_runtime.drivers.flink._interleave import (
    HELD_STATE,
    GaugeSeries,
    InterleavedRuns,
)
from flink_agents_runtime.drivers.flink._interleave_process import runs_for
from flink_agents_runtime.drivers.flink._metrics import FlinkMetricBridge
from flink_agents_runtime.drivers.flink._shipped import refresh_package_paths
from flink_agents_runtime.engine._core import ExecutionCore
from flink_agents_runtime.eventlog._file_logger import log_file_name

logger = logging.getLogger(__name__)
_perf_ns = time.perf_counter_ns

#: Name of the keyed ValueState holding a key's short-term memory.
STATE_NAME = "flink-agents-short-term-memory"


#: Key types whose equal values always pickle alike (Flink tells keys apart by their
#: pickled bytes, Python by ``==``: ``1``, ``1.0`` and ``True`` are one dict key, three
#: Flink keys). Only keys of these types are remembered as having no memory.
_EXACT_KEY_TYPES = frozenset((int, str, bytes))


class FlinkKeyedState:
    """:class:`~flink_agents_runtime.engine._core.KeyedState` over a Flink ``ValueState``.

    Flink scopes the state to the current key (the driver makes a run's key current before
    stepping it), so ``key`` only tells the in-flight runs apart.

    Keys known to have no memory stored are remembered (at most ``remember`` of them, for
    keys of :data:`_EXACT_KEY_TYPES`): an agent that never writes memory then costs no state
    read per input (a read crosses into Java in thread mode). Only this object writes the
    state, and a restore or rescale opens a new one, so the set never goes stale.
    """

    def __init__(self, value_state: Any, remember: int = 100_000) -> None:
        self._state = value_state
        self._stored: dict[Any, bool] = {}  # per key in flight: had memory at load
        self._empty: set[Any] = set()  # keys whose state is known to be None
        self._remember = remember

    def load(self, key: Any) -> MemoryNode:
        if type(key) in _EXACT_KEY_TYPES and key in self._empty:
            self._stored[key] = False
            return MemoryNode()
        root = self._state.value()
        if root is None:
            self._stored[key] = False
            if type(key) in _EXACT_KEY_TYPES:
                if len(self._empty) >= self._remember:
                    self._empty.clear()
                self._empty.add(key)
            return MemoryNode()
        self._stored[key] = True
        return root if isinstance(root, MemoryNode) else MemoryNode()

    def save(self, key: Any, root: MemoryNode) -> None:
        # A key that never wrote memory costs no state write.
        if self._stored.pop(key, True) or root:
            self._empty.discard(key)
            self._state.update(root)


def task_info(ctx: RuntimeContext) -> tuple[str, int]:
    """``(task name, subtask index)``. PyFlink 2.3's thread mode calls Java methods that
    Flink 2 moved to ``getTaskInfo()``, so fall back to that."""
    try:
        return ctx.get_task_name(), int(ctx.get_index_of_this_subtask())
    except AttributeError:
        info = ctx._runtime_context.getTaskInfo()
        return str(info.getTaskName()), int(info.getIndexOfThisSubtask())


def metrics_file_name(job_id: str, task_name: str, subtask_index: int) -> str:
    """``metrics-{jobId}-{taskName}-{subtaskIndex}.json`` (as the event log's file name)."""
    return "metrics" + log_file_name(job_id, task_name, subtask_index)[len("events") : -4] + ".json"


class AgentProcessFunction(KeyedProcessFunction):
    """Runs each element through the agent; returns its outputs (a list per element or timer).

    Args:
        payload: ``cloudpickle.dumps((plan, config))``.
        job_id: the Flink job id (fixed at build time), for the event log.
        value_selector: the input value of an element (the element itself when ``None``).
        key_selector: the selector the input was keyed with, when the kit keyed it: the
            key is then computed from the element in Python instead of asking Flink for the
            current key (a call into Java per element in thread mode). Flink requires key
            selectors to be deterministic; the first element checks that both agree (else
            the function asks Flink from then on).
        with_meta: emit ``(key, input_seq, output)`` instead of bare outputs.
        emit: emit outputs at all (``False`` for jobs read back from their event log).
    """

    def __init__(
        self,
        payload: bytes,
        job_id: str,
        value_selector: Callable[[Any], Any] | None = None,
        *,
        with_meta: bool = False,
        emit: bool = True,
        key_selector: Callable[[Any], Any] | None = None,
    ) -> None:
        self._payload = payload
        self._job_id = job_id
        self._value_selector = value_selector
        self._key_selector = key_selector
        self._key_checked = False
        #: computes an element's key once the first element showed the selector agrees
        self._key_of: Callable[[Any], Any] | None = None
        self._with_meta = with_meta
        self._emit = emit
        self._core: ExecutionCore | None = None

    def open(self, runtime_context: RuntimeContext) -> None:
        refresh_package_paths()  # this interpreter may have served an earlier job
        self._key_checked, self._key_of = False, None
        plan, config = cloudpickle.loads(self._payload)
        self._config = config
        task, subtask = task_info(runtime_context)
        self._task, self._subtask = task, subtask
        state = runtime_context.get_state(
            ValueStateDescriptor(STATE_NAME, Types.PICKLED_BYTE_ARRAY())
        )
        self._bridge = FlinkMetricBridge(runtime_context.get_metrics_group())
        group = self._bridge.group()
        from flink_agents_runtime.eventlog._sink import open_sinks

        self._log_dir = config.get("baseLogDir")
        sinks = open_sinks(config, self._job_id, task, subtask, group, agent_name=plan.name)
        # Exactly-once actions (issue 7): the action state store and per-key input numbers.
        from flink_agents_runtime.durable._recovery import open_subtask_store

        keyed, self._durable = open_subtask_store(
            runtime_context, FlinkKeyedState(state), config, self._job_id
        )
        self._core = ExecutionCore(plan, config, group, keyed, sinks, durable_store=self._durable)
        # Issue 16: inputs go through the shared scheduler, which switches keys on the Java
        # keyed state backend in thread mode and, with ``flink.process-mode.interleave``, on
        # PyFlink's Python one in process mode (``_interleave_process``); else each input
        # runs to its end before the next.
        self._runs: InterleavedRuns | None = None
        self._ready: list[tuple[Any, int, list[Any]]] = []
        runs_class = runs_for(runtime_context, config)
        if runs_class is not None:
            held = runtime_context.get_list_state(
                ListStateDescriptor(HELD_STATE, Types.PICKLED_BYTE_ARRAY())
            )
            self._runs = runs_class(self._core, runtime_context, held, self._collect)
        self._series = GaugeSeries(group, float(config.get("metrics.sample-interval-ms")))
        if self._runs is not None:
            self._runs.sample = self._series.maybe_sample
        self._sync_ms = max(1, int(float(config.get("flink.metrics-sync-interval-ms"))))
        self._sync_ns = self._sync_ms * 1_000_000
        self._next_sync = time.perf_counter_ns() + self._sync_ns
        #: wall-clock seconds of the subtask's first input, and the perf_counter_ns of the
        #: end of its last finished run (one clock read per record; ``_last_run_at`` gives
        #: its wall-clock time): the job's own time, without the cluster's start-up, in the
        #: totals file.
        self._first_input_at = 0.0
        self._last_run_ns = 0
        self._sync_at = -1  # timestamp of the pending metrics sync timer (-1: none)
        self._active = False  # an input arrived since the sync timer last fired
        self._totals_due = 0  # perf_counter_ns after which the sync timer rewrites totals

    def process_element(self, value: Any, ctx: KeyedProcessFunction.Context) -> Sequence[Any]:
        # Returns the outputs as a sequence (``()`` for none; never None: process mode's
        # timer path iterates what it gets): a list costs no generator per element.
        if not self._first_input_at:
            self._first_input_at = time.time()
        key_of = self._key_of
        key = key_of(value) if key_of is not None else self._first_key(value, ctx)
        # Inputs the kit feeds carry their position in the input (the local run's input_seq).
        seq = value.seq if type(value) is InputPair else None
        if self._value_selector is not None:
            value = self._value_selector(value)
        self._active = True
        if self._runs is not None:
            done = self._runs.submit(key, value, ctx, seq)
            if self._sync_at < 0:
                self._arm_sync(ctx)
            if done is not None:  # finished at once (the common case): no state, no timer
                now = self._last_run_ns = _perf_ns()
                if now >= self._next_sync:
                    self._sync()
                outputs = done.outputs
                if not outputs or not self._emit:
                    return ()
                outputs = downstream(outputs)
                if self._with_meta:
                    return [(key, done.input_seq, out) for out in outputs]
                return outputs
            if self._ready:
                return self._flush()
            if time.perf_counter_ns() >= self._next_sync:
                self._sync()
            return ()
        core = self._core
        assert core is not None
        task = core.start(key, value, seq)
        outputs = task.run_blocking()
        self._last_run_ns = _perf_ns()
        if self._sync_at < 0:
            self._arm_sync(ctx)
        self._maybe_sync()
        if not self._emit:
            return ()
        outputs = downstream(outputs)
        if self._with_meta:
            seq = task.input_seq
            return [(key, seq, out) for out in outputs]
        return outputs

    def _first_key(self, value: Any, ctx: Any) -> Any:
        """The current key from Flink; on the first element also whether the key selector
        gives the same key (then later elements compute it without asking Flink). Only in
        thread mode: in process mode the context holds the key in Python already."""
        key = ctx.get_current_key()
        if not self._key_checked:
            self._key_checked = True
            selector, mine = self._key_selector if self._runs is not None else None, None
            if selector is not None:
                try:
                    mine = selector(value)
                    agrees = type(mine) is type(key) and bool(mine == key)
                except Exception:
                    agrees = False
                if agrees:
                    self._key_of = selector
                else:
                    logger.warning(
                        "the key selector gives %r where Flink's current key is %r: "
                        "asking Flink for the key of each element",
                        mine,
                        key,
                    )
        return key

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext) -> Sequence[Any]:
        if timestamp == self._sync_at:
            self._on_sync_timer(ctx)
        elif self._sync_at < 0:  # runs restored from a savepoint progress without records
            self._arm_sync(ctx)
        if self._runs is not None:
            self._runs.on_timer(timestamp, ctx)
            self._series.maybe_sample()
            return self._flush()
        return ()

    def _collect(self, key: Any, seq: int, outputs: list[Any]) -> None:
        self._last_run_ns = _perf_ns()
        if outputs and self._emit:
            self._ready.append((key, seq, downstream(outputs)))

    def _flush(self) -> Sequence[Any]:
        """The outputs of the runs that finished in this callback, in finishing order."""
        self._maybe_sync()
        ready = self._ready
        if not ready:
            return ()
        self._ready = []
        if len(ready) == 1 and not self._with_meta:
            return ready[0][2]  # the run's own list, no longer the run's to change
        if self._with_meta:
            return [(key, seq, out) for key, seq, outputs in ready for out in outputs]
        return [out for _, _, outputs in ready for out in outputs]

    def _maybe_sync(self) -> None:
        if time.perf_counter_ns() >= self._next_sync:
            self._sync()

    def _sync(self) -> None:
        """Push the metric increments since the last sync to Flink."""
        if self._runs is not None:
            self._runs.scheduler.flush_metrics()
        self._bridge.sync()
        self._next_sync = time.perf_counter_ns() + self._sync_ns

    # -- live metrics when the stream goes quiet -------------------------------------------
    # Counters reach Flink at a sync; syncs ride on records and on the in-flight resume
    # timer, so without a timer of its own the last increments of a burst would show only
    # with the next record. A processing-time timer, armed by a record (or another timer)
    # when none is pending, syncs once per interval and re-arms itself while records keep
    # coming or inputs are in flight; once a whole interval passed quietly it syncs one last
    # time and stops (no timer fires on an idle subtask). It is told from the resume timers
    # by its timestamp.
    def _arm_sync(self, ctx: Any) -> None:
        self._sync_at = int(time.time() * 1000) + self._sync_ms
        ctx.timer_service().register_processing_time_timer(self._sync_at)

    def _on_sync_timer(self, ctx: Any) -> None:
        self._sync_at = -1
        self._sync()
        busy = self._runs is not None and not self._runs.scheduler.idle
        rearm = self._active or busy
        if rearm:
            self._active = False
            self._arm_sync(ctx)
        # PyFlink's thread mode calls ``close`` only at the end of a bounded input, never
        # when a job is stopped with a savepoint or cancelled: the totals file is kept
        # current here (every ten syncs, and when the subtask goes quiet), so an unbounded
        # job's subtasks leave theirs too.
        core = self._core
        now = time.perf_counter_ns()
        if self._log_dir and core is not None and (not rearm or now >= self._totals_due):
            self._totals_due = now + 10 * self._sync_ns
            inputs = next(core.input_seq)
            core.input_seq = itertools.count(inputs)  # read, not consumed
            self._write_metrics(Path(self._log_dir), inputs)

    def close(self) -> None:
        core = self._core
        if core is None:
            return
        self._core = None
        if self._runs is not None and not self._runs.scheduler.idle:
            # Outputs cannot be emitted from close: the drain timer should have run them.
            logger.warning(
                "subtask %d closes with %d inputs in flight; they run again after a restore",
                self._subtask,
                self._runs.scheduler.held,
            )
        core.close()  # the pool, chat clients, the event log, the state store
        if self._runs is not None:
            self._runs.scheduler.flush_metrics()
        self._bridge.sync()
        if self._log_dir:
            self._write_metrics(Path(self._log_dir), next(core.input_seq))

    def _last_run_at(self) -> float:
        """Wall-clock time (epoch seconds) of the end of the last run (0.0: none yet)."""
        if not self._last_run_ns:
            return 0.0
        return time.time() - (_perf_ns() - self._last_run_ns) / 1e9

    def _write_metrics(self, directory: Path, inputs: int) -> None:
        """The subtask's metric totals, for drivers that read a finished job back;
        ``firstInputAt`` and ``lastRunAt`` are the wall-clock times (epoch seconds) of its
        first input and of the end of its last run: the job's own time, without the
        cluster's start-up (``benchmarks/bench_in_flight.py`` compares it with a local run)."""
        path = directory / metrics_file_name(self._job_id, self._task, self._subtask)
        body = {
            "jobId": self._job_id,
            "taskName": self._task,
            "subtaskIndex": self._subtask,
            "numInputs": inputs,
            "firstInputAt": self._first_input_at,
            "lastRunAt": self._last_run_at(),
            "counts": self._bridge.counts(),
            "metrics": self._bridge.registry.snapshot(),
            "series": list(self._series.samples),
        }
        if self._durable is not None:
            body["actionState"] = self._durable.summary()
        try:
            directory.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(body, default=str))
            os.replace(tmp, path)
        except OSError:
            logger.exception("could not write metric totals to %s", path)
