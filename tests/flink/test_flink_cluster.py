"""Agents on a real standalone Flink cluster: submitted over REST, and an exported job run
with ``flink run -py``; outputs and event logs checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

import flink_agents_nb as fa
from flink_agents_runtime import Agent, Event, InputEvent, OutputEvent, action

pytestmark = [pytest.mark.flink, pytest.mark.slow, pytest.mark.usefixtures("clean_env")]


class Greeter(Agent):
    @action(InputEvent)
    @staticmethod
    def greet(event: Event, ctx: fa.RunnerContext) -> None:
        visits = (ctx.short_term_memory.get("visits") or 0) + 1
        ctx.short_term_memory.set("visits", visits)
        ctx.send_event(OutputEvent(f"hello {event.input} #{visits}"))


INPUTS = [{"key": name, "value": name} for name in ["ada", "bob", "ada", "cy", "ada"]]


def test_job_submitted_over_rest_runs_with_outputs_and_event_logs(
    flink_cluster: Any, tmp_path: Path
) -> None:
    job = fa.submit(Greeter(), INPUTS, flink_cluster.rest_url, log_dir=str(tmp_path))
    assert len(job.job_id) == 32
    assert job.state() in {"INITIALIZING", "CREATED", "RUNNING", "FINISHED"}
    run = job.result(timeout=180)
    assert job.state() == "FINISHED"
    listed = httpx.get(f"{flink_cluster.rest_url}/jobs").json()["jobs"]
    assert {"id": job.job_id, "status": "FINISHED"} in listed
    per_key: dict[str, list[str]] = {}
    for out in run.result.outputs:
        per_key.setdefault(out.key, []).append(out.value)
    assert per_key == {
        "ada": ["hello ada #1", "hello ada #2", "hello ada #3"],
        "bob": ["hello bob #1"],
        "cy": ["hello cy #1"],
    }
    assert run.metric_counts["numOfEventProcessed"] == 10
    logs = list(tmp_path.glob(f"events-{job.job_id}-*.log"))
    assert logs
    records = [json.loads(line) for f in logs for line in f.read_text().splitlines()]
    assert {r["jobId"] for r in records} == {job.job_id}
    assert sum(r.get("actionName") == "greet" for r in records) == 5


def test_exported_job_runs_with_flink_run_py(flink_cluster: Any, tmp_path: Path) -> None:
    from tests.helpers.flink_cluster import flink_run

    job_dir = fa.export_job(Greeter(), tmp_path / "job", INPUTS, config={"max-retries": 1})
    assert {p.name for p in job_dir.iterdir()} >= {
        "job.py",
        "agent.pkl",
        "config.yaml",
        "requirements.txt",
        "inputs.jsonl",
        "lib",
    }
    assert {p.name for p in (job_dir / "lib").iterdir()} == {
        "flink_agents_nb",
        "flink_agents_runtime",
    }
    assert "max-retries: 1" in (job_dir / "config.yaml").read_text()
    logs = tmp_path / "logs"
    done = flink_run(flink_cluster, job_dir / "job.py", "--log-dir", str(logs))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    records = [
        json.loads(line) for f in logs.glob("events-*.log") for line in f.read_text().splitlines()
    ]
    outputs = sorted(
        r["eventAttributes"]["output"] for r in records if r["eventType"] == "_output_event"
    )
    assert outputs == sorted(
        ["hello ada #1", "hello ada #2", "hello ada #3", "hello bob #1", "hello cy #1"]
    )
