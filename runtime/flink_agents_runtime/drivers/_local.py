"""The local driver: runs an agent over a list in process, keyed, through the one core.

Per key, inputs are processed strictly in order; while one key's input awaits an async
durable call, other keys' inputs proceed (up to ``num-async-threads`` waiting at once).
"""

from __future__ import annotations

import datetime as _dt
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sized
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any, TypeVar

from flink_agents_runtime._errors import FlinkAgentsError, InputError
from flink_agents_runtime.api._agent import Agent
from flink_agents_runtime.api._metrics import MetricGroup, MetricRegistry
from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.engine._core import DictState, ExecutionCore, InputTask
from flink_agents_runtime.engine._plan import AgentPlan
from flink_agents_runtime.engine._records import RecordList, RecordSink
from flink_agents_runtime.engine._run import Output, RunResult

logger = logging.getLogger(__name__)

#: Runs with more inputs than this do not record events unless ``record=True`` is passed.
AUTO_RECORD_LIMIT = 100_000

#: Factories of extra record sinks for a run (the event logger registers one): called
#: with (config, run_id, metrics) where metrics is the run's agent metric group (for the
#: sink's own counters); return a sink with ``close()`` or ``None``.
SINK_FACTORIES: list[Callable[[AgentConfiguration, str, MetricGroup], Any]] = []

Progress = Callable[[int, int | None], None]


def new_run_id() -> str:
    """A readable unique run id: ``run-YYYYmmddTHHMMSS-xxxxxx`` (UTC)."""
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    return f"run-{now}-{uuid.uuid4().hex[:6]}"


def _records(inputs: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
    for index, item in enumerate(inputs):
        if not isinstance(item, dict):
            raise InputError(
                f"input {index} is a {type(item).__name__}; from_list takes dicts like "
                "{'key': ..., 'value': ...}"
            )
        if "value" in item:
            value = item["value"]
        elif "v" in item:
            value = item["v"]
        else:
            raise InputError(
                f"input {index} has no 'value' (or 'v') field; its fields are {sorted(item)}"
            )
        key = item["key"] if "key" in item else item.get("k", index)
        yield key, value


_Builder = TypeVar("_Builder", bound="LocalAgentBuilder")


class LocalAgentBuilder:
    """An input bound to an agent; ``execute()`` runs it (Flink Agents' ``AgentBuilder``)."""

    def __init__(self, env: LocalExecutionEnvironment, inputs: Iterable[Any]) -> None:
        self._env = env
        self._inputs = inputs
        self._agent: Agent | None = None
        self._outputs: list[Any] | None = None  # filled by execute once to_list() asked

    def apply(self: _Builder, agent: Agent) -> _Builder:
        """Bind ``agent`` (compiled when the run starts, so later edits are picked up)."""
        if self._agent is not None:
            raise FlinkAgentsError("this builder already has an agent; call from_list again")
        AgentPlan.from_agent(agent)  # fail early on a bad agent
        self._agent = agent
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


class LocalExecutionEnvironment:
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

    def execute(self, job_name: str | None = None, **kwargs: Any) -> RunResult:
        """Run the last applied builder; see :meth:`_execute` for keyword arguments."""
        if self._pending is None:
            raise FlinkAgentsError("nothing to execute: call from_list(...).apply(agent) first")
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
            raise FlinkAgentsError("call apply(agent) before execute()")
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
        all_sinks: list[Any] = list(sinks)
        if recorder is not None:
            all_sinks.insert(0, recorder)
        tracker = None  # exactly-once actions: fails fast when the store is unusable
        if config.get("actionStateStoreBackend") is not None:
            from flink_agents_runtime.durable import open_tracker

            tracker = open_tracker(config, run_id)
        group = registry.group()
        extra = [s for s in (f(config, run_id, group) for f in SINK_FACTORIES) if s is not None]
        all_sinks.extend(extra)
        core = ExecutionCore(
            plan,
            config,
            group,
            DictState(),
            all_sinks,
            record_memory=bool(record and record_memory),
            durable_store=tracker,
        )
        outputs: list[Output] = []
        start = time.perf_counter()
        error: BaseException | None = None
        try:
            _drive(core, _records(inputs), outputs, registry, progress, total)
        except BaseException as exc:  # keep what was done; re-raised below
            error = exc
        finally:
            core.close()
            _close(core.resources)  # chat-model clients and their connections
            registry.sample()
            for sink in extra:
                _close(sink)
            if tracker is not None:
                from flink_agents_runtime.durable import close_tracker

                close_tracker(tracker, completed=error is None)
        wall = time.perf_counter() - start
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
        )
        if error is not None:
            if hasattr(error, "run"):
                error.run = result
            raise error
        return result


def _close(sink: Any) -> None:
    close = getattr(sink, "close", None)
    if callable(close):
        try:
            close()
        except Exception:  # a sink failing to close must not hide the run's result
            logger.exception("closing %r failed", sink)


def _drive(
    core: ExecutionCore,
    records: Iterator[tuple[Any, Any]],
    outputs: list[Output],
    registry: MetricRegistry,
    progress: Progress | None,
    total: int | None,
) -> None:
    """Process every record: keys in order, other keys progressing while one waits."""
    every = max(1, (total or 100_000) // 100)
    done = 0
    busy: dict[Any, deque[Any]] = {}
    waiting: dict[Future[Any], InputTask] = {}
    limit = max(1, int(core.config.get("num-async-threads")))

    def advance(task: InputTask) -> None:
        nonlocal done
        while True:
            fut = task.step()
            while fut is not None and fut.done():
                fut = task.step()
            if fut is not None:
                waiting[fut] = task
                return
            key = task.key
            outputs.extend(Output(key, task.input_seq, v) for v in task.outputs)
            done += 1
            if done % every == 0:
                registry.maybe_sample()
                if progress is not None:
                    progress(done, total)
            queued = busy[key]
            if not queued:
                del busy[key]
                return
            task = core.start(key, queued.popleft())

    def wait_some() -> None:
        ready, _ = wait(list(waiting), return_when=FIRST_COMPLETED)
        for fut in ready:
            advance(waiting.pop(fut))

    if not any(spec.is_async for spec in core.plan.actions.values()):
        # No action can wait, so no key is ever busy: one task at a time, to completion.
        start = core.start
        for key, value in records:
            task = start(key, value)
            task.step()
            if task.outputs:
                outputs.extend(Output(key, task.input_seq, v) for v in task.outputs)
            done += 1
            if done % every == 0:
                registry.maybe_sample()
                if progress is not None:
                    progress(done, total)
        if progress is not None:
            progress(done, total)
        return
    for key, value in records:
        queued = busy.get(key)
        if queued is not None:
            queued.append(value)
            continue
        busy[key] = deque()
        advance(core.start(key, value))
        while len(waiting) >= limit:
            wait_some()
    while waiting:
        wait_some()
    if progress is not None:
        progress(done, total)
