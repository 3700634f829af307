"""The result of one execution: outputs, records, metrics. Plain Python (no pandas).

The notebook layer wraps a :class:`RunResult` to add DataFrames, charts and the stepper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.engine.reporting._records import ActionRecord, EventRecord


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


@dataclass(slots=True)
class Output:
    """One output of the agent: its key, the input it came from, and the value."""

    key: Any
    input_seq: int
    value: Any


@dataclass
class RunResult:
    """What one execution produced.

    Attributes:
        run_id: unique id of this execution (the job id in event logs when no
            ``job-identifier`` is set).
        agent: the agent's class name.
        outputs: every output in emission order (per key, input order).
        events / actions: every record, when the run recorded them (``record=True``).
        metrics: final value of every metric (counters: totals; meters: last rate /s).
        metric_counts: totals of counters and meters (what parity compares).
        metric_series: ``(seconds since start, name, value)`` samples.
        num_inputs: how many inputs were processed.
        wall_s: wall time of the execution in seconds.
        config: the configuration it ran with.
        error: the error that stopped it, if one did (the run is then partial).
        log_files: event-log and Trace Log files written, if any.
        memory_recorded: whether ``actions`` carry every memory write (a local run with
            ``record_memory``, a replay): an action record without writes then wrote none.
            ``False`` when unknown, as for a Flink job read back from its log.
    """

    run_id: str
    agent: str
    outputs: list[Output]
    events: list[EventRecord] | None
    actions: list[ActionRecord] | None
    metrics: dict[str, Any]
    metric_counts: dict[str, int]
    metric_series: list[tuple[float, str, Any]]
    num_inputs: int
    wall_s: float
    config: AgentConfiguration
    error: BaseException | None = None
    log_files: list[str] = field(default_factory=list)
    memory_recorded: bool = False

    @property
    def recorded(self) -> bool:
        """Whether events and actions were recorded."""
        return self.events is not None

    def output_values(self) -> list[Any]:
        """Output values only, in emission order."""
        return [o.value for o in self.outputs]

    def to_list(self) -> list[dict[Any, Any]]:
        """Outputs as Flink Agents' local runner gives them: ``[{key: output}, ...]``."""
        return [{o.key: o.value} for o in self.outputs]

    def summary(self) -> str:
        """A few lines: inputs, outputs, events, actions, time, throughput."""
        events = self.metric_counts.get("numOfEventProcessed", 0)
        actions = self.metric_counts.get("numOfActionsExecuted", 0)
        rate = events / self.wall_s if self.wall_s > 0 else 0.0
        lines = [
            f"run {self.run_id} of {self.agent}: {self.num_inputs} inputs -> "
            f"{len(self.outputs)} outputs",
            f"{events} events, {actions} actions in {_duration(self.wall_s)} "
            f"({rate:,.0f} events/s)",
        ]
        failed = self.metric_counts.get("numOfActionsFailed", 0)
        if failed:
            lines.append(f"{failed} failed action runs")
        if self.error is not None:
            lines.append(f"stopped by {type(self.error).__name__}: {self.error}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"RunResult({self.summary().splitlines()[0]})"
