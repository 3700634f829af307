"""Day-two operations on a real standalone cluster: a streaming job fed by a monitored
directory, stopped with a savepoint, upgraded (accepted and refused), and its health."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import flink_agents_nb as fa
from flink_agents_nb.flink._savepoints import IncompatibleSavepointError, read_manifest
from flink_agents_runtime import Agent, InputEvent, OutputEvent
from flink_agents_runtime.drivers._sources import DirectorySource

pytestmark = [pytest.mark.flink, pytest.mark.slow]


def counter(tag: str, name: str = "Counter") -> Agent:
    """A per-key counter; ``tag`` marks the agent version in each output."""

    def count(event: InputEvent, ctx: fa.RunnerContext) -> None:
        seen = (ctx.short_term_memory.get("seen") or 0) + 1
        ctx.short_term_memory.set("seen", seen)
        ctx.send_event(OutputEvent(f"{ctx.key}:{seen}:{tag}:{event.input}"))

    agent_class = type(name, (Agent,), {})
    agent = agent_class()
    agent.add_action("count", [InputEvent], count)
    return agent


def drop(inbox: Path, name: str, rows: list[dict[str, Any]]) -> None:
    """Add a JSON Lines file atomically (the source must never see half a file)."""
    tmp = inbox.parent / f".{name}"
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    os.replace(tmp, inbox / name)


def wait_for(job: fa.FlinkJob, n: int, timeout: float = 90.0) -> list[tuple[Any, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        outs = job.outputs()
        if len(outs) >= n:
            return outs
        time.sleep(0.5)
    raise AssertionError(f"{n} outputs expected, got {job.outputs()} (state {job.state()})")


def test_streaming_job_stops_with_a_savepoint_and_resumes_upgraded(
    flink_cluster: Any, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    source = DirectorySource(str(inbox), key="user", value="msg", poll_ms=200)
    drop(inbox, "1.jsonl", [{"user": "ada", "msg": 1}, {"user": "bob", "msg": 2}])
    job = fa.submit(counter("v1"), source, flink_cluster.rest_url, log_dir=str(tmp_path / "logs"))
    assert wait_for(job, 2)
    drop(inbox, "2.jsonl", [{"user": "ada", "msg": 3}, {"bad line": True}])  # read while running
    assert sorted(wait_for(job, 3)) == [
        ("ada", "ada:1:v1:1"),
        ("ada", "ada:2:v1:3"),
        ("bob", "bob:1:v1:2"),
    ]
    assert job.health().state == "RUNNING"

    savepoint = job.stop(savepoint=True)
    assert savepoint and job.state() == "FINISHED"
    manifest = read_manifest(savepoint.removeprefix("file:"))
    assert manifest is not None and manifest.operator_uid == "agent-Counter"
    assert manifest.key_field == "user"

    drop(inbox, "3.jsonl", [{"user": "ada", "msg": 4}])
    with pytest.raises(IncompatibleSavepointError, match="agent-Renamed"):
        fa.submit(counter("v2", "Renamed"), source, flink_cluster.rest_url, savepoint=savepoint)

    upgraded = fa.submit(
        counter("v2"),
        source,
        flink_cluster.rest_url,
        log_dir=str(tmp_path / "logs"),
        savepoint=savepoint,
    )
    try:
        # Memory kept (ada's third input), files read before the savepoint not read again.
        assert wait_for(upgraded, 1) == [("ada", "ada:3:v2:4")]
        time.sleep(1.0)
        assert upgraded.outputs() == [("ada", "ada:3:v2:4")]
    finally:
        upgraded.cancel()


def test_health_turns_degraded_when_the_job_keeps_restarting(
    flink_cluster: Any, tmp_path: Path
) -> None:
    def explode(event: InputEvent, ctx: fa.RunnerContext) -> None:
        raise RuntimeError("the model is down")

    agent = type("Exploding", (Agent,), {})()
    agent.add_action("explode", [InputEvent], explode)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    drop(inbox, "1.jsonl", [{"key": "k", "value": 1}])
    job = fa.submit(
        agent,
        DirectorySource(str(inbox), poll_ms=200),
        flink_cluster.rest_url,
        log_dir=str(tmp_path / "logs"),
        config={"restart.attempts": 50, "restart.delay-ms": 300},
    )
    try:
        deadline = time.monotonic() + 90
        health = job.health()
        while time.monotonic() < deadline and not health.restarts:
            time.sleep(1.0)
            health = job.health()
        assert health.restarts >= 1
        assert health.verdict in {"degraded", "failing"}
        assert any("restarted" in r or "RESTARTING" in r for r in health.reasons)
        assert "text/html" in health._repr_mimebundle_()
    finally:
        job.cancel()


def test_preflight_reads_a_live_cluster_readiness(flink_cluster: Any, tmp_path: Path) -> None:
    conf = tmp_path / "config.yaml"
    conf.write_text(f"agent:\n  baseLogDir: {tmp_path}\n")
    report = fa.preflight(conf, rest_url=flink_cluster.rest_url)
    checks = {f.check: f for f in report.findings}
    assert checks["cluster"].status == "ok"
    assert "1 task managers" in checks["cluster"].detail
    assert checks["python jar"].status == "ok"
    assert checks["metric reporter"].status == "warn"
    assert "PrometheusReporterFactory" in checks["metric reporter"].todo
    assert report.ok


def test_exported_job_reads_a_monitored_directory_from_its_config(
    flink_cluster: Any, tmp_path: Path
) -> None:
    from tests.helpers.flink_cluster import flink_run

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    source = DirectorySource(str(inbox), key="user", value="msg", poll_ms=200)
    job_dir = fa.export_job(counter("x"), tmp_path / "job", source=source)
    assert "directory: " + str(inbox) in (job_dir / "config.yaml").read_text()
    drop(inbox, "1.jsonl", [{"user": "ada", "msg": "a"}, {"user": "ada", "msg": "b"}])
    logs = tmp_path / "logs"
    done = flink_run(flink_cluster, job_dir / "job.py", "--log-dir", str(logs), detached=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    job_id = next(
        j["id"]
        for j in httpx.get(f"{flink_cluster.rest_url}/jobs").json()["jobs"]
        if j["status"] == "RUNNING"
    )
    job = fa.FlinkJob.attach(flink_cluster.rest_url, job_id, log_dir=str(logs))
    try:
        drop(inbox, "2.jsonl", [{"user": "bob", "msg": "c"}])
        assert sorted(wait_for(job, 3)) == [
            ("ada", "ada:1:x:a"),
            ("ada", "ada:2:x:b"),
            ("bob", "bob:1:x:c"),
        ]
    finally:
        job.cancel()
