"""Re-running recorded inputs through the one execution core, one input at a time.

:func:`run_inputs` is the driver of replay, fork and evaluation-by-record: it builds an
:class:`ExecutionCore` with a call source, runs the given inputs in the given order (each to
its end before the next, so the result does not depend on timing), and keeps going when an
input fails: the failure is kept per input instead of stopping the run. A fork's first input
may resume mid-cascade (:class:`Resume`): its memory and pending events are given, and the
cascade continues from the fork event instead of starting from an input event.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flink_agents_runtime.api._agent import Agent
from flink_agents_runtime.api._events import Event
from flink_agents_runtime.api._jsoncheck import check_json
from flink_agents_runtime.api._memory import MemoryNode, MemoryStore
from flink_agents_runtime.api._metrics import MetricRegistry
from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.engine._cascade import InputTask
from flink_agents_runtime.engine._context import RunnerContext
from flink_agents_runtime.engine._core import ExecutionCore
from flink_agents_runtime.engine._services import DictState
from flink_agents_runtime.engine.plan._plan import AgentPlan
from flink_agents_runtime.engine.reporting._records import RecordList
from flink_agents_runtime.engine.reporting._run import Output, RunResult

logger = logging.getLogger(__name__)


@dataclass
class Resume:
    """Where a fork's first input resumes: before ``queue[0]`` is handled.

    Attributes:
        queue: the events waiting at that moment, the fork event first (ids kept).
        short_term, sensory: memory at that moment.
    """

    queue: list[Event]
    short_term: MemoryNode
    sensory: MemoryNode


@dataclass
class Item:
    """One input to run: ``key``, ``value`` and the ``input_seq`` its records get; a
    ``resume`` makes it continue a cascade instead (``value`` is then unused)."""

    key: Any
    value: Any
    input_seq: int
    resume: Resume | None = None


@dataclass
class DriveResult:
    """What :func:`run_inputs` produced: the run, and the error of each failed input."""

    result: RunResult
    errors: dict[int, BaseException] = field(default_factory=dict)


class ResumedTask(InputTask):
    """An input's cascade continued from a :class:`Resume` (the events before it are not
    re-sent: they belong to the record being forked)."""

    __slots__ = ()

    def _open(self, value: Any) -> RunnerContext:
        resume: Resume = value
        core = self.services
        root = core.state.load(self.key)
        root.clear()
        root.update(resume.short_term)
        short_term = MemoryStore("short_term", root)
        sensory = MemoryStore("sensory", resume.sensory)
        self._queue.extend((event, 0) for event in resume.queue)
        return RunnerContext(core, self.key, self.input_seq, short_term, sensory)


def run_inputs(
    agent: Agent,
    items: Iterable[Item],
    config: AgentConfiguration,
    *,
    call_source: Any = None,
    run_id: str = "replay",
    memory: dict[Any, MemoryNode] | None = None,
) -> DriveResult:
    """Run ``items`` in order through a new core for ``agent`` (records and memory writes
    kept); ``memory`` seeds keys' short-term memory. Never raises for a failing input."""
    config = config.copy()
    config.set("actionStateStoreBackend", None)
    # One input at a time: nothing to overlap, so model and tool calls run inline (a
    # recorded answer then costs no thread hop); events and metrics are the same.
    config.set("chat.async", False)
    config.set("tool-call.async", False)
    plan = AgentPlan.from_agent(agent)
    registry = MetricRegistry(float(config.get("metrics.sample-interval-ms")))
    recorder = RecordList()
    state = DictState()
    for key, root in (memory or {}).items():
        state.roots[key] = root
    core = ExecutionCore(
        plan,
        config,
        registry.group(),
        state,
        [recorder],
        record_memory=True,
        call_source=call_source,
    )
    outputs: list[Output] = []
    errors: dict[int, BaseException] = {}
    count = 0
    start = time.perf_counter()
    try:
        for item in items:
            count += 1
            task: InputTask
            if item.resume is not None:
                task = ResumedTask(core.services, item.key, item.resume, item.input_seq)
            else:
                check_json(item.value, "input", "input value")
                task = InputTask(core.services, item.key, item.value, item.input_seq)
            try:
                task.run_blocking()
            except Exception as exc:  # kept per input; the next input still runs
                errors[item.input_seq] = exc
            outputs.extend(Output(item.key, item.input_seq, v) for v in task.outputs)
    finally:
        core.close()  # the async pool, the resources it built
        registry.sample()
    result = RunResult(
        run_id=run_id,
        agent=plan.name,
        outputs=outputs,
        events=recorder.events,
        actions=recorder.actions,
        metrics=registry.snapshot(),
        metric_counts=registry.counts(),
        metric_series=registry.series,
        num_inputs=count,
        wall_s=time.perf_counter() - start,
        config=config,
        memory_recorded=True,
    )
    return DriveResult(result, errors)
