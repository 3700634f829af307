"""An agent at parallelism 2 on a cluster with two task managers (parity with a local run,
logs of every subtask merged), and a streaming job rescaled 2 -> 4 -> 1 through savepoints
with every input answered exactly once and each key's memory carried along."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import flink_agents_nb as fa
from flink_agents_nb.flink._promote import compare
from flink_agents_runtime.drivers._sources import DirectorySource
from tests.flink.test_flink_operations import counter, drop, wait_for

pytestmark = [pytest.mark.flink, pytest.mark.slow]

KEYS = [f"user-{i}" for i in range(12)]


def test_parallel_job_on_two_task_managers_matches_a_local_run(
    flink_cluster_2tm: Any, tmp_path: Path
) -> None:
    inputs = [{"key": KEYS[i % len(KEYS)], "value": i} for i in range(60)]
    job = fa.submit(
        counter("p"), inputs, flink_cluster_2tm.rest_url, log_dir=str(tmp_path), parallelism=2
    )
    run = job.result(timeout=240)
    vertex = next(
        v
        for v in httpx.get(f"{job.rest_url}/jobs/{job.job_id}").json()["vertices"]
        if v["name"].startswith("agent-")
    )
    assert vertex["parallelism"] == 2
    logs = sorted(p.name for p in tmp_path.glob(f"events-{job.job_id}-*.log"))
    assert [name.rsplit("-", 1)[1] for name in logs] == ["0.log", "1.log"]
    local = fa.local().from_list(inputs).apply(counter("p")).execute()
    parity = compare(local.result, run.result)
    assert parity.ok, parity
    assert run.metric_counts["numOfEventProcessed"] == 120
    taskmanagers = httpx.get(f"{job.rest_url}/taskmanagers").json()["taskmanagers"]
    assert len(taskmanagers) == 2


def test_rescaling_through_savepoints_keeps_memory_and_answers_each_input_once(
    flink_cluster_2tm: Any, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    source = DirectorySource(str(inbox), key="user", value="n", poll_ms=200)
    logs = str(tmp_path / "logs")
    sent = 0
    outputs: list[tuple[Any, Any]] = []
    savepoint: str | None = None
    for step, parallelism in enumerate([2, 4, 1]):
        rows = [{"user": KEYS[(sent + i) % len(KEYS)], "n": sent + i} for i in range(24)]
        drop(inbox, f"{step}.jsonl", rows)
        sent += len(rows)
        job = fa.submit(
            counter(f"p{parallelism}"),
            source,
            flink_cluster_2tm.rest_url,
            log_dir=logs,
            parallelism=parallelism,
            savepoint=savepoint,
        )
        got = wait_for(job, 24, timeout=120)
        time.sleep(1.0)  # nothing beyond this step's inputs may follow
        got = job.outputs()
        assert len(got) == 24, got
        savepoint = job.stop(savepoint=True)
        outputs += got
    # Every input exactly once, and per key the counter runs 1, 2, 3, ... across rescales.
    numbers = sorted(int(out.rsplit(":", 1)[1]) for _, out in outputs)
    assert numbers == list(range(sent))
    for key in KEYS:
        seen = sorted(int(out.split(":")[1]) for k, out in outputs if k == key)
        assert seen == list(range(1, len(seen) + 1)), (key, seen)
    assert {out.split(":")[2] for _, out in outputs} == {"p2", "p4", "p1"}
