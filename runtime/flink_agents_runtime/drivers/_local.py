"""The local driver: runs an agent over a list in process, keyed, through the one core.

Inputs go through the scheduler both drivers share (``drivers._scheduler``): per key,
inputs are processed strictly in order; while one key's input awaits a call, other keys'
inputs proceed (up to ``max-in-flight-inputs`` held at once).
"""

from __future__ import annotations

import datetime as _dt
import gc
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from typing import Any, TypeVar

from flink_agents_runtime._errors import FlinkAgentsError, UsageError
from flink_agents_runtime.api._agent import Agent
from flink_agents_runtime.api._metrics import MetricRegistry
from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.drivers._driver_loop import DriverLoop, driver_loop
from flink_agents_runtime.drivers._environment import AgentsExecutionEnvironment
from flink_agents_runtime.drivers._scheduler import InputRun, InputScheduler
from flink_agents_runtime.engine._core import DictState, ExecutionCore
from flink_agents_runtime.engine._inputs import Pairs, dict_pairs
from flink_agents_runtime.engine.plan._plan import AgentPlan
from flink_agents_runtime.engine.reporting._records import RecordList, RecordSink
from flink_agents_runtime.engine.reporting._run import Output, RunResult
from flink_agents_runtime.eventlog._loggers import LOCAL_FLUSH_EVERY_N
from flink_agents_runtime.eventlog._sink import open_sinks

logger = logging.getLogger(__name__)

#: Runs with more inputs than this do not record events unless ``record=True`` is passed.
AUTO_RECORD_LIMIT = 100_000

Progress = Callable[[int, int | None], None]


def new_run_id() -> str:
    """A readable unique run id: ``run-YYYYmmddTHHMMSS-xxxxxx`` (UTC)."""
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    return f"run-{now}-{uuid.uuid4().hex[:6]}"


def _pairs_of(inputs: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
    """The (key, value) pairs of a builder's inputs: :class:`Pairs` as they are, else dicts."""
    return iter(inputs) if isinstance(inputs, Pairs) else dict_pairs(inputs)


_Builder = TypeVar("_Builder", bound="LocalAgentBuilder")


class LocalAgentBuilder:
    """An input bound to an agent; ``execute()`` runs it (Flink Agents' ``AgentBuilder``)."""

    def __init__(self, env: LocalExecutionEnvironment, inputs: Iterable[Any]) -> None:
        self._env = env
        self._inputs = inputs
        self._agent: Agent | None = None
        self._outputs: list[Any] | None = None  # filled by execute once to_list() asked

    def apply(self: _Builder, agent: Agent | str) -> _Builder:
        """Bind ``agent``, or the agent of that name loaded with ``env.load_yaml`` (compiled
        when the run starts, so later edits are picked up)."""
        if self._agent is not None:
            raise UsageError("this builder already has an agent; call from_list again")
        resolved: Agent = self._env._agent_to_apply(agent)
        AgentPlan.from_agent(resolved)  # fail early on a bad agent
        self._agent = resolved
        self._env._pending = self
        return self

    def to_list(self) -> list[Any]:
        """The output list, ``[{key: output}, ...]``, filled by :meth:`execute` (as in Flink
        Agents: call it before ``execute`` and read it after)."""
        if self._outputs is None:
            self._outputs = []
        return self._outputs

    def execute(self, **kwargs: Any) -> RunResult:
        """Run now; see :meth:`LocalExecutionEnvironment.execute`."""
        return self._env._execute(self, **kwargs)


class LocalExecutionEnvironment(AgentsExecutionEnvironment):
    """Runs agents in this process. Can execute many times (edit a cell, run again).

    Args:
        config: resolved configuration (defaults, YAML, environment, code).
    """

    def __init__(self, config: AgentConfiguration | None = None) -> None:
        self.config = config if config is not None else AgentConfiguration.resolve()
        self.resources: dict[Any, dict[str, Any]] = {}
        self._pending: LocalAgentBuilder | None = None

    def get_config(self) -> AgentConfiguration:
        """The configuration runs use (change it with ``.set(key, value)``)."""
        return self.config

    def add_resource(
        self, name: str, resource_type: Any, instance: Any
    ) -> LocalExecutionEnvironment:
        """A resource every applied agent can use (the agent's own win on a clash)."""
        self.resources.setdefault(resource_type, {})[name] = instance
        return self

    def from_list(self, inputs: Iterable[Any]) -> LocalAgentBuilder:
        """Inputs as dicts ``{"key": k, "value": v}`` (Flink Agents also accepts k/v).

        A missing key defaults to the input's position.
        """
        return LocalAgentBuilder(self, inputs)

    def from_pairs(self, pairs: Iterable[tuple[Any, Any]]) -> LocalAgentBuilder:
        """Inputs as ``(key, value)`` pairs, used as they are (no dict per input)."""
        return LocalAgentBuilder(self, Pairs(pairs))

    def execute(self, job_name: str | None = None, **kwargs: Any) -> RunResult:
        """Run the last applied builder; see :meth:`_execute` for keyword arguments."""
        if self._pending is None:
            raise UsageError("nothing to execute: call from_list(...).apply(agent) first")
        return self._execute(self._pending, job_name=job_name, **kwargs)

    def _execute(
        self,
        builder: LocalAgentBuilder,
        *,
        job_name: str | None = None,
        record: bool | None = None,
        record_memory: bool = True,
        progress: Progress | None = None,
        sinks: Iterable[RecordSink] = (),
    ) -> RunResult:
        """Run ``builder``'s agent over its inputs.

        Args:
            job_name: a name for this run (else ``job-identifier``, else a run id).
            record: keep every event and action record (``None``: only for runs of at most
                :data:`AUTO_RECORD_LIMIT` inputs).
            record_memory: include memory writes in action records (for the stepper).
            progress: called as ``progress(done, total)`` every ~1% of the inputs.
            sinks: extra receivers of records (an event logger, a live chart).
        """
        if builder._agent is None:
            raise UsageError("call apply(agent) before execute()")
        inputs = builder._inputs
        total = len(inputs) if isinstance(inputs, Sized) else None
        if record is None:
            record = total is not None and total <= AUTO_RECORD_LIMIT
            if not record:
                logger.info("run of %s inputs: events not recorded (pass record=True)", total)
        config = self.config.copy()
        run_id = job_name or config.get("job-identifier") or new_run_id()
        plan = AgentPlan.from_agent(builder._agent, self.resources)
        registry = MetricRegistry(float(config.get("metrics.sample-interval-ms")))
        recorder = RecordList() if record else None
        sinks = list(sinks)
        all_sinks: list[Any] = list(sinks)
        if recorder is not None:
            all_sinks.insert(0, recorder)
        tracker = None  # exactly-once actions: fails fast when the store is unusable
        if config.get("actionStateStoreBackend") is not None:
            from flink_agents_runtime.durable import open_tracker

            tracker = open_tracker(config, run_id)
        group = registry.group()
        job_id = str(config.get("job-identifier") or run_id)
        extra = open_sinks(
            config,
            job_id,
            "local",
            0,
            group,
            default_every_n=LOCAL_FLUSH_EVERY_N,
            agent_name=plan.name,
        )
        all_sinks.extend(extra)
        core = ExecutionCore(
            plan,
            config,
            group,
            DictState(),
            all_sinks,
            record_memory=bool(record and record_memory),
            durable_store=tracker,
            keep_open=sinks,
        )
        outputs: list[Output] = []
        start = time.perf_counter()
        error: BaseException | None = None
        with driver_loop() as loop, _frozen_heap():  # the loop closes after the core
            try:
                _drive(core, _pairs_of(inputs), outputs, registry, progress, total, loop)
            except BaseException as exc:  # keep what was done; re-raised below
                error = exc
            finally:
                try:
                    if tracker is not None and error is None:
                        tracker.store.prune_all()  # a completed run is its own final checkpoint
                finally:
                    core.close()  # the pool, chat clients, the event log, the state store
                    registry.sample()
        wall = time.perf_counter() - start
        outputs.sort(key=_input_order)  # async actions finish out of order; inputs do not
        if builder._outputs is not None:
            builder._outputs[:] = [{o.key: o.value} for o in outputs]
        result = RunResult(
            run_id=run_id,
            agent=plan.name,
            outputs=outputs,
            events=recorder.events if recorder else None,
            actions=recorder.actions if recorder else None,
            metrics=registry.snapshot(),
            metric_counts=registry.counts(),
            metric_series=registry.series,
            num_inputs=next(core.input_seq),
            wall_s=wall,
            config=config,
            error=error,
            log_files=[f for s in extra for f in getattr(s, "files", [])],
            memory_recorded=core.record_memory,
        )
        if error is not None:
            if hasattr(error, "run") or isinstance(error, FlinkAgentsError):
                error.run = result  # the partial run: outputs and records so far
            raise error
        return result


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """While a run goes on, what was alive before it (modules, clients, the input list) sits
    in the collector's permanent generation (``gc.freeze``), so full collections scan only
    what the run made (a full collection of the whole heap took ~20 ms in the in-flight
    benchmark); given back after. Skipped when something in the process freezes already."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _input_order(output: Output) -> int:
    return int(output.input_seq)


def _drive(
    core: ExecutionCore,
    records: Iterator[tuple[Any, Any]],
    outputs: list[Output],
    registry: MetricRegistry,
    progress: Progress | None,
    total: int | None,
    loop: DriverLoop | None = None,
) -> None:
    """Process every record through the scheduler: each key in order, keys interleaved
    while calls wait, at most ``max-in-flight-inputs`` inputs held; awaited calls run on
    ``loop`` (this thread's, see ``drivers._driver_loop``) when given."""
    every = max(1, (total or 100_000) // 100)
    done = 0

    def finished(run: InputRun) -> None:
        nonlocal done
        task = run.task
        assert task is not None
        if task.outputs:
            outputs.extend(Output(run.key, task.input_seq, v) for v in task.outputs)
        done += 1
        if done % every == 0:
            scheduler.flush_metrics()
            registry.maybe_sample()
            if progress is not None:
                progress(done, total)

    scheduler = InputScheduler(core, finished, loop=loop)
    submit, tick, ready = scheduler.submit, scheduler.tick, scheduler.ready
    # input_seq is the input's arrival position, also for inputs queued behind a busy key.
    for seq, (key, value) in enumerate(records):
        submit(key, value, seq=seq)
        if ready or scheduler.parked:  # else (no call waits) nothing to step or to turn
            tick()
    scheduler.drain()
    if progress is not None:
        progress(done, total)
