"""The agent in PyFlink's process mode (``flink.execution-mode: process``) on a MiniCluster.

By default each input runs to its end before the next. With ``flink.process-mode.interleave``
inputs interleave as in thread mode (``drivers/flink/_interleave_process``: keys are switched
on PyFlink's Python keyed state backend): calls of different keys are in flight at once (read
from the server's call log), each key's inputs run in order (read from its memory), the
bounded input drains, and held inputs come back after a failure (also on keys that get no
later record). The function returns its outputs per element and
per timer, and the metrics sync timer fires while the job runs (interval 1 ms here):
PyFlink's process-mode timer path iterates what ``on_timer`` returns, so a timer with
nothing to emit must still return an empty sequence.

On a MiniCluster PyFlink runs process mode's Python worker in this very process ("loopback"),
and starting it updates ``os.environ`` with the worker's parameters (among them
``PYFLINK_GATEWAY_DISABLED``, which makes every later ``get_gateway()`` in a child process,
such as the notebooks' kernels, refuse to start), prepends to ``sys.path`` and may change the
working directory. The test puts all three back.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.flink.test_flink_interleave import inputs_for, metric_totals, run_job
from tests.helpers.async_openai_server import AsyncOpenAIServer
from tests.helpers.failing_job import run_failing_job

pytestmark = [pytest.mark.flink, pytest.mark.usefixtures("clean_env", "process_state_kept")]

#: process mode with its scheduler (``flink.process-mode.interleave``)
INTERLEAVED = {"flink.execution-mode": "process", "flink.process-mode.interleave": True}


@pytest.fixture
def process_state_kept() -> Iterator[None]:
    """Environment, ``sys.path`` and working directory as they were before the test."""
    environ, path, cwd = dict(os.environ), sys.path[:], os.getcwd()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(environ)
        sys.path[:] = path
        os.chdir(cwd)


def test_process_mode_emits_every_output_once_while_timers_fire() -> None:
    from pyflink.datastream import StreamExecutionEnvironment

    from flink_agents_runtime import Agent, AgentsExecutionEnvironment, InputEvent, OutputEvent

    def double(event: Any, ctx: Any) -> None:
        ctx.send_event(OutputEvent(event.input * 2))

    agent = Agent()
    agent.add_action("double", [InputEvent], double)
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    agents_env = AgentsExecutionEnvironment.get_execution_environment(
        env,
        config={"flink.execution-mode": "process", "flink.metrics-sync-interval-ms": 1},
    )
    stream = agents_env.from_datastream(env.from_collection(list(range(300))), lambda n: n % 7)
    out = stream.apply(agent).to_datastream()
    assert sorted(out.execute_and_collect("process-mode")) == [2 * n for n in range(300)]
    assert "PYFLINK_GATEWAY_DISABLED" in os.environ  # PyFlink's loopback worker set it here


def test_process_mode_interleaves_keys_each_in_order_and_drains(tmp_path: Path) -> None:
    keys, per_key = 8, 4
    with AsyncOpenAIServer(delay_s=0.2) as server:
        outputs = run_job(tmp_path, server.url, inputs_for(keys, per_key), **INTERLEAVED)
        peak = server.peak_in_flight()
        calls = len(server.calls)
    assert calls == keys * per_key
    assert sorted((o["key"], o["n"]) for o in outputs) == sorted(
        (f"k{k}", n) for k in range(keys) for n in range(per_key)
    )
    for o in outputs:  # per key, in order, one at a time
        assert o["seen"] == list(range(o["n"] + 1)), o
    assert 2 <= peak <= keys, peak  # calls of different keys in flight at once
    metrics = metric_totals(tmp_path)["metrics"]
    assert metrics["numOfActiveInputRuns"] == 0  # all drained at the end
    assert metrics["inputRunQueueLatencyMs"] > 0  # later inputs of a key waited their turn


@pytest.mark.slow
def test_process_mode_failure_mid_flight_each_output_and_call_exactly_once(
    tmp_path: Path,
) -> None:
    """The job fails with inputs in flight and restarts from its last checkpoint: the held
    inputs a key's state holds are found when the key's next record (or timer, or the
    final watermark's drain timer) arrives, and run again before it, in order."""
    from collections import Counter

    n, keys = 48, 6
    outputs, counts = run_failing_job(
        tmp_path,
        n=n,
        keys=keys,
        fail_at=30,
        throttle_s=0.02,
        awaited=True,
        **{
            **INTERLEAVED,
            "num-async-threads": 16,
            "actionStateStoreBackend": "sqlite",
            "actionStateStore.sqlite.path": str(tmp_path / "action-state.sqlite"),
        },
    )
    assert sorted(o["n"] for o in outputs) == list(range(n))  # one output per input
    assert counts == Counter(f"pay-{i}" for i in range(n))  # every call ran once
    for k in range(keys):  # memory consistent across the restore, in order
        paid = [o["paid"] for o in sorted(outputs, key=lambda o: o["n"]) if o["n"] % keys == k]
        assert paid == list(range(1, n // keys + 1))


@pytest.mark.slow
def test_process_mode_restored_inputs_run_while_their_keys_get_no_record(tmp_path: Path) -> None:
    """An unbounded job fails and restarts from its last checkpoint while keys 0-5 have
    inputs in flight: their first twelve inputs each wait 3 s on a call, later records each
    have a key of their own (5 a second, 0.2 s calls), and one of those fails once. Keys 0-5
    get no record after the restore and there is no end of input to drain them: their held
    inputs must still run (their probe timers, checkpointed with the state). The test waits
    for their committed outputs, then cancels the job.

    The keys are busy for seconds before the failure, so the checkpoint restored holds their
    timers (the gap ``_interleave_process`` describes concerns a key that became busy in the
    bundle the restored checkpoint closed). The records come from a Java source
    (``datagen``): a Python operator upstream cannot pace them in process mode, as its
    outputs wait in its bundle until it returns."""
    import time

    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.table import StreamTableEnvironment

    from flink_agents_runtime import (
        Agent,
        AgentsExecutionEnvironment,
        InputEvent,
        OutputEvent,
        add_file_sink,
        read_file_sink,
    )
    from tests.flink.test_flink_interleave import finish_time

    early = 12
    marker, out_dir = tmp_path / "failed-once", str(tmp_path / "out")

    async def act(event: Any, ctx: Any) -> None:
        n = event.input[0]
        await ctx.durable_execute_async(finish_time, 3.0 if n < early else 0.2)
        if n == 20 and not marker.exists():
            marker.write_text("")
            raise RuntimeError("injected failure with inputs in flight")
        ctx.send_event(OutputEvent({"n": n}))

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    agents_env = AgentsExecutionEnvironment.get_execution_environment(
        env,
        config={
            **INTERLEAVED,
            "checkpoint.interval-ms": 200,
            "restart.attempts": 3,
            "restart.delay-ms": 100,
            "num-async-threads": 16,
        },
    )
    t_env = StreamTableEnvironment.create(env)
    t_env.execute_sql(
        "CREATE TEMPORARY TABLE numbers (n INT) WITH ('connector' = 'datagen', "
        "'rows-per-second' = '5', 'fields.n.kind' = 'sequence', 'fields.n.start' = '0', "
        "'fields.n.end' = '2000')"
    )
    numbers = t_env.to_data_stream(t_env.from_path("numbers"))
    keyed = agents_env.from_datastream(
        numbers, key_selector=lambda row: row[0] % 6 if row[0] < early else row[0]
    )
    add_file_sink(
        keyed.apply(Agent().add_action("act", [InputEvent], act)).to_datastream(), out_dir
    )
    client = agents_env.execute_async("process-mode-quiet-keys-restore")
    try:
        deadline = time.monotonic() + 120
        seen: list[int] = []
        while time.monotonic() < deadline:
            seen = sorted(o["n"] for o in read_file_sink(out_dir) if o["n"] < early)
            if len(seen) >= early and marker.exists():
                break
            time.sleep(0.5)
    finally:
        client.cancel().result()
    assert marker.exists(), "the failure was not injected"
    assert seen == list(range(early))  # each exactly once, with no record of their keys
