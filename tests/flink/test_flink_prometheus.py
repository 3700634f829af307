"""The agent's metrics where ops teams look: a real Prometheus (Debian's package, on loopback)
scrapes the standalone cluster's Prometheus reporters every second while an agent runs at
parallelism 2, and every scrape of every reporter must succeed.

Before the fix, the first latency histogram with a fractional mean made every scrape of that
task manager fail: PyFlink's gauges are ``Gauge<Long>``, the float answer threw
``ClassCastException`` inside the reporter, and the JDK's HTTP server closed the connection
without an answer (``up`` 0, "Server disconnected")."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import flink_agents_nb as fa
from flink_agents_runtime.drivers._sources import DirectorySource
from tests.flink.test_flink_operations import drop, wait_for
from tests.helpers.prometheus_server import prometheus_server, query, targets

pytestmark = [pytest.mark.flink, pytest.mark.slow]

OPERATOR = "flink_taskmanager_job_task_operator_"


def series(prometheus: str, promql: str) -> dict[str, float]:
    """``promql``'s value per scraped instance (``host:port``)."""
    return {s["metric"]["instance"]: float(s["value"][1]) for s in query(prometheus, promql)}


def slow_echo(event: Any, ctx: fa.RunnerContext) -> None:
    time.sleep(0.05)  # an action latency of ~50.x ms: a fractional histogram mean
    ctx.send_event(fa.OutputEvent(event.input))


def test_agent_metrics_reach_prometheus_under_flink_agents_names(
    flink_cluster_2tm: Any, tmp_path: Path
) -> None:
    agent = type("Metered", (fa.Agent,), {})()
    agent.add_action("echo", [fa.InputEvent], slow_echo)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    drop(inbox, "1.jsonl", [{"key": f"user-{i % 8}", "value": i} for i in range(60)])
    reporters = flink_cluster_2tm.prometheus_targets()
    assert len(reporters) == 3, reporters  # the job manager and both task managers
    with prometheus_server(reporters) as prometheus:
        started = time.monotonic()
        job = fa.submit(
            agent,
            DirectorySource(str(inbox), poll_ms=200),
            flink_cluster_2tm.rest_url,
            log_dir=str(tmp_path / "logs"),
            parallelism=2,
            config={"flink.metrics-sync-interval-ms": 100},
        )
        try:
            wait_for(job, 60)
            deadline = time.monotonic() + 60
            health = job.health(prometheus_url=prometheus)
            while (
                time.monotonic() < deadline
                and health.agent_metrics.get("numOfEventProcessed", 0) < 100
            ):
                time.sleep(1.0)
                health = job.health(prometheus_url=prometheus)
            # The agent's metrics, summed over subtasks, under Flink Agents' names.
            metrics = health.agent_metrics
            errors = {t["scrapeUrl"]: t["lastError"] for t in targets(prometheus)}
            # 60 inputs, 2 events each
            assert metrics.get("numOfEventProcessed", 0) >= 100, (metrics, errors)
            assert metrics["action.echo.numOfActionsExecuted"] >= 50, metrics
            assert "numOfActiveInputRuns" in metrics, metrics  # a gauge
            assert health.state == "RUNNING"
            # The same from a shell.
            cli = Path(sys.executable).parent / "flink-agents-nb"
            command = (
                [str(cli)] if cli.exists() else [sys.executable, "-m", "flink_agents_nb.cli._main"]
            )
            shell = subprocess.run(
                [*command, "job", "health", job.rest_url, job.job_id, "--prometheus", prometheus],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert shell.returncode == 0, shell.stderr
            assert "numOfEventProcessed" in shell.stdout, shell.stdout
            # The histogram whose fractional mean broke the scrape, scraped as a number.
            job_filter = f'job_id="{job.job_id}"'
            latency = query(
                prometheus, f"{OPERATOR}action_actionExecutionLatencyMs{{{job_filter}}}"
            )
            assert latency, "actionExecutionLatencyMs was never scraped"
            assert {s["metric"]["action"] for s in latency} == {"echo"}
            assert max(float(s["value"][1]) for s in latency) >= 45, latency
            # Every scrape of every reporter (job manager and both task managers) succeeded,
            # at least 3 of them after the agent's metrics were registered and scraped.
            agent_seen = time.monotonic()
            while True:
                window = f"{int(time.monotonic() - started) + 1}s"
                recent = f"{int(time.monotonic() - agent_seen) + 1}s"
                lowest = series(prometheus, f'min_over_time(up{{job="flink"}}[{window}])')
                scrapes = series(prometheus, f'count_over_time(up{{job="flink"}}[{recent}])')
                if min(scrapes.values(), default=0) >= 3 or time.monotonic() > deadline + 30:
                    break
                time.sleep(1.0)
            errors = {t["scrapeUrl"]: t["lastError"] for t in targets(prometheus)}
            assert sorted(lowest) == sorted(reporters), lowest
            assert set(lowest.values()) == {1.0}, f"a scrape failed: {lowest}, {errors}"
            assert min(scrapes.values()) >= 3, scrapes
        finally:
            job.cancel()
