"""A job's health from Flink's REST API, with a plain verdict and its reasons.

:func:`collect_health` gathers what an operator looks at first (state, uptime, restarts,
the last checkpoint, backpressure and busy time per subtask of the agent operator, records
in and out, the agent's own metrics, the tail of its event log) into a :class:`JobHealth`;
:func:`verdict` turns those facts into ``healthy``, ``degraded`` or ``failing`` with one
reason per finding. The verdict rules are plain functions of the facts, so they are tested
without a cluster and read the same in the notebook and from ``flink-agents-nb job health``.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from flink_agents_nb._html import STYLE, esc, mimebundle, table
from flink_agents_nb.flink._rest import ClusterError, FlinkRest, prometheus_agent_metrics
from flink_agents_runtime._display import DisplayMixin


class WatchedJob(Protocol):
    """What :func:`collect_health` reads of a job (a ``FlinkJob`` is one)."""

    job_id: str
    log_dir: str

    @property
    def rest(self) -> FlinkRest: ...

    def metrics(self) -> dict[str, float]: ...


#: Busy ratio (0..1) of a subtask above which the agent is short of capacity.
BUSY_LIMIT = 0.9
#: Failing states of a job, and the states in which it is done.
FAILING_STATES = frozenset({"FAILED", "FAILING", "RESTARTING"})
DONE_STATES = frozenset({"FINISHED", "CANCELED", "CANCELLING", "SUSPENDED"})


@dataclass
class SubtaskHealth:
    """One subtask of the agent operator: backpressure level (``ok|low|high``), the share
    of time it was busy and back-pressured (0..1)."""

    subtask: int
    backpressure: str
    busy_ratio: float
    backpressure_ratio: float


@dataclass
class JobHealth(DisplayMixin):
    """What the cluster says about a job now, and the verdict.

    Attributes:
        job_id: Flink's job id.
        state: the job's state.
        uptime_s: seconds since the job started.
        restarts: how often the job restarted.
        checkpoints_completed / checkpoints_failed: counts since the job started.
        last_checkpoint_age_s / last_checkpoint_duration_ms / last_checkpoint_size_bytes:
            of the latest completed checkpoint (``None`` without one).
        checkpoint_interval_ms: the job's checkpoint interval (``None`` when off).
        recent_checkpoints: statuses of the latest checkpoints, newest first (up to 10).
        subtasks: the agent operator's subtasks.
        records_in / records_out: records the agent operator read and wrote.
        agent_metrics: the agent's metrics summed over subtasks (FA's names).
        log_tail: the last lines of the job's event log, shortened.
        verdict: ``healthy``, ``degraded`` or ``failing``.
        reasons: why, one sentence per finding.
    """

    job_id: str
    state: str
    uptime_s: float = 0.0
    restarts: int = 0
    checkpoints_completed: int = 0
    checkpoints_failed: int = 0
    last_checkpoint_age_s: float | None = None
    last_checkpoint_duration_ms: float | None = None
    last_checkpoint_size_bytes: float | None = None
    checkpoint_interval_ms: float | None = None
    recent_checkpoints: list[str] = field(default_factory=list)
    subtasks: list[SubtaskHealth] = field(default_factory=list)
    records_in: int = 0
    records_out: int = 0
    agent_metrics: dict[str, float] = field(default_factory=dict)
    log_tail: list[str] = field(default_factory=list)
    verdict: str = "healthy"
    reasons: list[str] = field(default_factory=list)

    def facts(self) -> list[tuple[str, str]]:
        """``(what, value)`` rows for display, with units."""
        rows = [
            ("state", self.state),
            ("uptime", _uptime(self.uptime_s)),
            ("restarts", str(self.restarts)),
            (
                "checkpoints",
                f"{self.checkpoints_completed:,} completed, {self.checkpoints_failed:,} failed",
            ),
        ]
        if self.last_checkpoint_age_s is not None:
            rows.append(
                (
                    "last checkpoint",
                    f"{self.last_checkpoint_age_s:.1f} s ago, "
                    f"took {(self.last_checkpoint_duration_ms or 0):,.0f} ms, "
                    f"{_size(self.last_checkpoint_size_bytes or 0)}",
                )
            )
        rows.append(("records in / out", f"{self.records_in:,} / {self.records_out:,}"))
        for sub in self.subtasks:
            rows.append(
                (
                    f"subtask {sub.subtask}",
                    f"busy {sub.busy_ratio:.0%}, backpressure {sub.backpressure} "
                    f"({sub.backpressure_ratio:.0%})",
                )
            )
        for name in ("numOfEventProcessed", "numOfActionsExecuted", "numOfActionsFailed"):
            if name in self.agent_metrics:
                rows.append((name, f"{self.agent_metrics[name]:,.0f}"))
        return rows

    def __str__(self) -> str:
        head = f"job {self.job_id}: {self.verdict.upper()}"
        why = "".join(f"\n  - {r}" for r in self.reasons)
        facts = "".join(f"\n  {k}: {v}" for k, v in self.facts())
        return head + why + facts

    def _mimebundle(self) -> dict[str, Any]:
        colour = {"healthy": "#1a7f37", "degraded": "#9a6700", "failing": "#cf222e"}.get(
            self.verdict, "#57606a"
        )
        reasons = "".join(f"<li>{esc(r)}</li>" for r in self.reasons)
        rows = [{"what": k, "value": v} for k, v in self.facts()]
        tail = "".join(f"<div><code>{esc(line)}</code></div>" for line in self.log_tail)
        body = (
            f"{STYLE}<div><b>Job {esc(self.job_id)}</b>: "
            f"<b style='color:{colour}'>{esc(self.verdict)}</b>"
            + (f"<ul>{reasons}</ul>" if reasons else "")
            + table(rows, ["what", "value"])
            + (f"<details><summary>event log tail</summary>{tail}</details>" if tail else "")
            + "</div>"
        )
        return mimebundle(str(self), body)


def _uptime(seconds: float) -> str:
    """``42.5 s`` under a minute, else ``1 h 15 min 23 s (4,523 s)``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    parts = ([f"{h} h"] if h else []) + [f"{m} min", f"{s} s"]
    return f"{' '.join(parts)} ({seconds:,.0f} s)"


def _size(n_bytes: float) -> str:
    """Bytes in KiB under a MiB, else MiB or GiB (one decimal)."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{n_bytes / 1024:,.1f} KiB"


def verdict(h: JobHealth) -> tuple[str, list[str]]:
    """``(verdict, reasons)`` from the facts in ``h``."""
    failing: list[str] = []
    degraded: list[str] = []
    if h.state in FAILING_STATES:
        failing.append(f"the job is {h.state}")
    recent = h.recent_checkpoints
    if len(recent) >= 3 and all(s == "FAILED" for s in recent[:3]):
        failing.append(
            f"the last {min(len(recent), 10)} checkpoints: {recent.count('FAILED')} failed"
        )
    elif recent and recent[0] == "FAILED":
        degraded.append("the latest checkpoint failed")
    if h.restarts:
        degraded.append(f"restarted {h.restarts} times")
    if (
        h.checkpoint_interval_ms
        and h.last_checkpoint_age_s is not None
        and h.last_checkpoint_age_s * 1000 > 3 * h.checkpoint_interval_ms
    ):
        degraded.append(
            f"last checkpoint {h.last_checkpoint_age_s:.0f} s ago, over 3x the "
            f"{h.checkpoint_interval_ms / 1000:.0f} s interval"
        )
    for sub in h.subtasks:
        if sub.backpressure == "high":
            degraded.append(
                f"subtask {sub.subtask} is back-pressured ({sub.backpressure_ratio:.0%})"
            )
        if sub.busy_ratio > BUSY_LIMIT:
            degraded.append(f"subtask {sub.subtask} is busy {sub.busy_ratio:.0%} of the time")
    for name, what in (
        ("numOfActionsFailed", "actions failed"),
        ("numOfInputRunsFailed", "input runs failed"),
    ):
        count = h.agent_metrics.get(name, 0)
        if count:
            degraded.append(f"{count:.0f} {what} ({name})")
    if failing:
        return "failing", failing + degraded
    if degraded:
        return "degraded", degraded
    done = " (finished)" if h.state in DONE_STATES else ""
    return "healthy", [f"no problem found{done}"]


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _log_tail(log_dir: str, job_id: str, lines: int) -> list[str]:
    files = sorted(Path(log_dir).glob(f"*{job_id}*.log")) if log_dir else []
    tail: deque[str] = deque(maxlen=lines)
    for path in files:
        try:
            with path.open("rb") as fh:
                fh.seek(max(0, path.stat().st_size - 64 * 1024))
                for raw in fh.read().splitlines()[-lines:]:
                    tail.append(raw.decode("utf-8", "replace")[:200])
        except OSError:
            continue
    return list(tail)


def collect_health(
    job: WatchedJob, log_lines: int = 5, prometheus_url: str | None = None
) -> JobHealth:
    """The health of ``job`` now (see :class:`JobHealth`); the agent's metrics come from
    Flink's REST API, or from Prometheus at ``prometheus_url`` (where ops teams look)."""
    rest = job.rest
    base = f"/jobs/{job.job_id}"
    info = rest.get(base)
    h = JobHealth(job.job_id, str(info.get("state", "UNKNOWN")))
    h.uptime_s = _num(info.get("duration")) / 1000
    try:
        values = rest.get(f"{base}/metrics?get=numRestarts")
        h.restarts = int(_num(values[0]["value"])) if values else 0
    except (ClusterError, KeyError, IndexError):
        h.restarts = 0
    _checkpoints(rest.get(f"{base}/checkpoints"), h)
    try:
        config = rest.get(f"{base}/checkpoints/config")
        interval = _num(config.get("interval"))
        h.checkpoint_interval_ms = interval if 0 < interval < 2**62 else None
    except ClusterError:
        h.checkpoint_interval_ms = None  # checkpointing off: Flink answers 404
    vertex = next((v for v in info.get("vertices", []) if "agent-" in v.get("name", "")), None)
    if vertex is not None:
        metrics = vertex.get("metrics") or {}
        h.records_in = int(_num(metrics.get("read-records")))
        h.records_out = int(_num(metrics.get("write-records")))
        if h.state == "RUNNING":
            pressure = rest.get(f"{base}/vertices/{vertex['id']}/backpressure")
            h.subtasks = [
                SubtaskHealth(
                    int(s.get("subtask", 0)),
                    str(s.get("backpressureLevel", "ok")),
                    _num(s.get("busyRatio")),
                    _num(s.get("ratio")),
                )
                for s in pressure.get("subtasks", [])
            ]
    if prometheus_url is not None:
        h.agent_metrics = prometheus_agent_metrics(prometheus_url, job.job_id)
    elif h.state == "RUNNING":
        h.agent_metrics = job.metrics()
    h.log_tail = _log_tail(job.log_dir, job.job_id, log_lines)
    h.verdict, h.reasons = verdict(h)
    return h


def _checkpoints(stats: dict[str, Any], h: JobHealth) -> None:
    counts = stats.get("counts") or {}
    h.checkpoints_completed = int(_num(counts.get("completed")))
    h.checkpoints_failed = int(_num(counts.get("failed")))
    h.recent_checkpoints = [str(c.get("status")) for c in (stats.get("history") or [])[:10]]
    latest = (stats.get("latest") or {}).get("completed") or {}
    if latest:
        ack = _num(latest.get("latest_ack_timestamp"))
        h.last_checkpoint_age_s = max(0.0, time.time() - ack / 1000) if ack else None
        h.last_checkpoint_duration_ms = _num(latest.get("end_to_end_duration"))
        h.last_checkpoint_size_bytes = _num(
            latest.get("checkpointed_size", latest.get("state_size"))
        )
