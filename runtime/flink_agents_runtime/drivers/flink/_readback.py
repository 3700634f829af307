"""A finished Flink job, read back from what its subtasks wrote: event logs and metric totals.

Each subtask of an agent job writes ``events-{jobId}-{task}-{subtask}.log`` (the event log)
and ``metrics-{jobId}-{task}-{subtask}.json`` (its metric totals: at close, and while it
runs on the metrics sync timer, so a stopped or cancelled unbounded job has them too) under
``baseLogDir``. :func:`read_job` turns them into the records and totals of a
:class:`~flink_agents_runtime.RunResult`, so a job looks like a local run.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flink_agents_runtime.api._events import Event, OutputEvent
from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.engine.reporting._records import ActionRecord, EventRecord
from flink_agents_runtime.engine.reporting._run import Output, RunResult
from flink_agents_runtime.eventlog._lines import decode_line


@dataclass
class JobReadback:
    """What a job's subtasks left behind.

    Attributes:
        events / actions: records of every subtask: subtask by subtask, each in seq order.
        counts: metric totals (counters and meters) summed over subtasks.
        metrics: final metric values summed over subtasks (rates: sum of subtask rates).
        num_inputs: inputs processed, over subtasks.
        log_files: the event-log files read.
        subtasks: how many subtasks reported metric totals.
        series: samples of the in-flight gauges, ``(seconds since the subtask opened, name,
            value)``, of every subtask (issue 16).
    """

    events: list[EventRecord] = field(default_factory=list)
    actions: list[ActionRecord] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    num_inputs: int = 0
    log_files: list[str] = field(default_factory=list)
    subtasks: int = 0
    series: list[tuple[float, str, Any]] = field(default_factory=list)

    def run_result(
        self,
        job_id: str,
        agent: str,
        wall_s: float,
        config: AgentConfiguration,
        outputs: list[Output] | None = None,
    ) -> RunResult:
        """The job as a :class:`RunResult`, shaped like a local run's. ``outputs`` are the
        job's collected outputs; without them they come from the event log (:meth:`outputs`).
        """
        if outputs is None:
            outputs = [Output(key, seq, value) for key, seq, value in self.outputs()]
        return RunResult(
            run_id=job_id,
            agent=agent,
            outputs=outputs,
            events=self.events,
            actions=self.actions,
            metrics=self.metrics,
            metric_counts=self.counts,
            metric_series=self.series,
            num_inputs=self.num_inputs,
            wall_s=wall_s,
            config=config,
            log_files=self.log_files,
        )

    def outputs(self) -> list[tuple[Any, int, Any]]:
        """``(key, input_seq, output)`` of every output event, in record order (needs the
        output event type logged at VERBOSE so outputs are not truncated)."""
        return [
            (r.key, r.input_seq, r.event.attributes.get("output"))
            for r in self.events
            if r.event.type == OutputEvent.EVENT_TYPE
        ]


def _ns(stamp: str) -> int:
    moment = _dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def _event(rec: dict[str, Any]) -> EventRecord:
    event = Event(type=rec["eventType"], attributes=rec.get("eventAttributes") or {})
    event.id = rec.get("eventId")
    event.key = rec.get("key")
    event.upstream_event_id = rec.get("upstreamEventId")
    event.upstream_action_name = rec.get("upstreamActionName")
    return EventRecord(
        rec["seq"],
        rec["inputSeq"],
        rec.get("key"),
        event,
        _ns(rec["timestamp"]),
        task=str(rec.get("taskName") or "local"),
        subtask=int(rec.get("subtaskIndex") or 0),
    )


def _action(rec: dict[str, Any]) -> ActionRecord:
    return ActionRecord(
        rec["seq"],
        rec["inputSeq"],
        rec.get("key"),
        rec["actionName"],
        rec.get("eventId") or "",
        rec["eventType"],
        _ns(rec["timestamp"]),
        int(rec.get("durationNs") or 0),
        rec["status"],
        int(rec.get("attempt") or 1),
        rec.get("error"),
        list(rec.get("sentEventIds") or []),
        [(w["memory"], w["path"], w.get("value")) for w in rec.get("memoryWrites") or []],
        task=str(rec.get("taskName") or "local"),
        subtask=int(rec.get("subtaskIndex") or 0),
    )


def read_job(log_dir: str | Path, job_id: str) -> JobReadback:
    """Read job ``job_id``'s event logs and metric totals from ``log_dir``."""
    directory = Path(log_dir)
    back = JobReadback()
    keyed: list[tuple[int, int, Any]] = []
    for index, path in enumerate(sorted(directory.glob(f"events-{job_id}-*.log"))):
        back.log_files.append(str(path))
        for line in path.read_bytes().splitlines():
            if not line.strip():
                continue
            rec = decode_line(line)
            if rec.get("recordType") == "action":
                item: Any = _action(rec)
            else:
                item = _event(rec)
            keyed.append((index, item.seq, item))
    keyed.sort(key=lambda t: t[:2])
    for *_, item in keyed:
        (back.actions if isinstance(item, ActionRecord) else back.events).append(item)
    for path in sorted(directory.glob(f"metrics-{job_id}-*.json")):
        body = json.loads(path.read_text())
        back.subtasks += 1
        back.series.extend((float(t), str(n), v) for t, n, v in body.get("series", []))
        back.num_inputs += int(body.get("numInputs", 0))
        for name, value in body.get("counts", {}).items():
            back.counts[name] = back.counts.get(name, 0) + int(value)
        for name, value in body.get("metrics", {}).items():
            if isinstance(value, (int, float)):
                back.metrics[name] = back.metrics.get(name, 0) + value
    back.counts = dict(sorted(back.counts.items()))
    back.metrics = dict(sorted(back.metrics.items()))
    return back
