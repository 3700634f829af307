"""A TaskManager process killed (SIGKILL) mid-job on a standalone cluster on 127.0.0.1: a new
TaskManager starts, Flink restores the last checkpoint, and afterwards every input has exactly
one committed output and every durable call ran exactly once (SQLite action state store)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.flink_cluster import StandaloneCluster
from tests.helpers.side_effects import pay, payments

pytestmark = [pytest.mark.flink, pytest.mark.slow, pytest.mark.usefixtures("clean_env")]

N = 45


class FastFailoverCluster(StandaloneCluster):
    """The standalone cluster with short heartbeats, so a dead TaskManager is noticed in
    seconds (Flink's default timeout is 50 s)."""

    def _write_config(self) -> None:
        super()._write_config()
        with open(self.root / "conf" / "config.yaml", "a", encoding="utf-8") as f:
            f.write("heartbeat.interval: 500\nheartbeat.timeout: 4000\n")


@pytest.fixture(scope="module")
def cluster() -> Iterator[FastFailoverCluster]:
    c = FastFailoverCluster(slots=1)
    c.start()
    try:
        yield c
    finally:
        c.stop()
        for pid in c.taskmanager_pids():  # a TaskManager started by the test
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


def test_killed_taskmanager_recovers_exactly_once(
    cluster: FastFailoverCluster, tmp_path: Path
) -> None:
    from pyflink.common import Types, WatermarkStrategy
    from pyflink.datastream.connectors.number_seq import NumberSequenceSource

    from flink_agents_runtime import (
        Agent,
        AgentsExecutionEnvironment,
        InputEvent,
        OutputEvent,
        add_file_sink,
        read_file_sink,
    )
    from flink_agents_runtime.drivers.flink._remote import cluster_environment

    log = tmp_path / "payments.log"
    log_path = str(log)

    def act(event: Any, ctx: Any) -> None:
        receipt = ctx.durable_execute(pay, log_path, f"pay-{event.input}")
        paid = ctx.short_term_memory.get("paid", 0) + 1
        ctx.short_term_memory.set("paid", paid)
        ctx.send_event(OutputEvent(output={"n": event.input, "receipt": receipt, "paid": paid}))

    env = cluster_environment("127.0.0.1", cluster.rest_port)
    env.set_parallelism(1)
    agents_env = AgentsExecutionEnvironment.get_execution_environment(
        env,
        config={
            "job-identifier": f"tm-kill-{tmp_path.name}",
            "checkpoint.interval-ms": 300,
            "restart.attempts": 10,
            "restart.delay-ms": 500,
            "actionStateStoreBackend": "sqlite",
            "actionStateStore.sqlite.path": str(tmp_path / "action-state.sqlite"),
        },
    )

    def throttle(n: int) -> int:
        time.sleep(0.08)
        return int(n)

    numbers = env.from_source(
        NumberSequenceSource(0, N - 1), WatermarkStrategy.no_watermarks(), "numbers"
    ).map(throttle, output_type=Types.PICKLED_BYTE_ARRAY())
    agent = Agent().add_action("pay", [InputEvent], act)
    outputs = agents_env.from_datastream(numbers, key_selector=lambda n: n % 3).apply(agent)
    add_file_sink(outputs.to_datastream(), str(tmp_path / "out"))
    client = agents_env.execute_async("tm-kill")
    job_id = str(client.get_job_id())
    url = f"{cluster.rest_url}/jobs/{job_id}"

    wait_for(lambda: sum(payments(log).values()) >= 15, 120, "15 payments before the kill")
    victims = cluster.taskmanager_pids()
    assert victims, "no TaskManager pid file"
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    killed_at, paid_at_kill = time.monotonic(), sum(payments(log).values())
    cluster._script("taskmanager.sh", "start")
    wait_for(lambda: sum(payments(log).values()) > paid_at_kill, 120, "payments after the restart")
    resumed_s = time.monotonic() - killed_at
    wait_for(lambda: httpx.get(url).json()["state"] in {"FINISHED", "FAILED"}, 180, "job end")
    assert httpx.get(url).json()["state"] == "FINISHED"

    committed = read_file_sink(str(tmp_path / "out"))
    assert sorted(o["n"] for o in committed) == list(range(N))  # one output per input
    assert payments(log) == Counter(f"pay-{n}" for n in range(N))  # one payment each
    for k in range(3):
        paid = [o["paid"] for o in sorted(committed, key=lambda o: o["n"]) if o["n"] % 3 == k]
        assert paid == list(range(1, N // 3 + 1))
    exceptions = httpx.get(f"{url}/exceptions").json()
    assert exceptions.get("exceptionHistory", {}).get("entries"), "no failure was recorded"
    print(f"kill -> payments resumed in {resumed_s:.1f}s")  # figure for the notes (-s)
