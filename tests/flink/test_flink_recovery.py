"""Exactly-once on a real MiniCluster: checkpointing and a restart strategy from the kit's
config, a failure injected mid-stream, outputs through Flink's FileSink, and a side-effect log
outside Flink (O_APPEND lines) that counts the durable calls that really ran.

One job per test (10-20 s each): with the action state store every durable call ran once;
without it the replayed inputs pay again (so the first test can fail).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.redis_server import redis_server
from tests.helpers.side_effects import pay, payments

pytestmark = [pytest.mark.flink, pytest.mark.usefixtures("clean_env")]

N = 30
FAIL_AT = 20


def run_job(tmp_path: Path, **store: Any) -> tuple[list[Any], Counter[str], float]:
    """Numbers 0..N-1 (throttled at the source so checkpoints land mid-stream), keyed by
    n % 3, through an agent that pays (durable call), counts per key in short-term memory,
    and fails once on FAIL_AT after paying; outputs to a FileSink. Returns the committed
    outputs, the side-effect counts and the job's wall time in seconds."""
    from pyflink.common import Types, WatermarkStrategy
    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.datastream.connectors.number_seq import NumberSequenceSource

    from flink_agents_runtime import (
        Agent,
        AgentsExecutionEnvironment,
        InputEvent,
        OutputEvent,
        add_file_sink,
        read_file_sink,
    )

    log = str(tmp_path / "payments.log")
    marker = str(tmp_path / "failed-once")
    out_dir = str(tmp_path / "out")

    def act(event: Any, ctx: Any) -> None:
        n = event.input
        receipt = ctx.durable_execute(pay, log, f"pay-{n}")
        if n == FAIL_AT and not os.path.exists(marker):
            open(marker, "w").close()
            raise RuntimeError(f"injected failure after {n} records")
        paid = ctx.short_term_memory.get("paid", 0) + 1
        ctx.short_term_memory.set("paid", paid)
        ctx.send_event(OutputEvent(output={"n": n, "receipt": receipt, "paid": paid}))

    agent = Agent().add_action("pay", [InputEvent], act)
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    config = {
        "job-identifier": f"recovery-{tmp_path.name}",
        "checkpoint.interval-ms": 200,
        "restart.attempts": 3,
        "restart.delay-ms": 100,
        **store,
    }
    agents_env = AgentsExecutionEnvironment.get_execution_environment(env, config=config)

    def throttle(n: int) -> int:
        time.sleep(0.04)
        return int(n)

    numbers = env.from_source(
        NumberSequenceSource(0, N - 1), WatermarkStrategy.no_watermarks(), "numbers"
    ).map(throttle, output_type=Types.PICKLED_BYTE_ARRAY())
    outputs = agents_env.from_datastream(numbers, key_selector=lambda n: n % 3).apply(agent)
    add_file_sink(outputs.to_datastream(), out_dir)
    start = time.perf_counter()
    agents_env.execute("recovery-test")
    wall = time.perf_counter() - start
    assert os.path.exists(marker), "the failure was not injected"
    counts = payments(log)
    return read_file_sink(out_dir), counts, wall


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_failure_mid_stream_each_output_and_durable_call_exactly_once(
    tmp_path: Path, backend: str
) -> None:
    with contextlib.ExitStack() as stack:
        if backend == "sqlite":
            store = {"actionStateStore.sqlite.path": str(tmp_path / "action-state.sqlite")}
        else:
            url = stack.enter_context(redis_server(tmp_path))
            store = {"actionStateStore.redis.url": url}
        outputs, counts, _wall = run_job(tmp_path, actionStateStoreBackend=backend, **store)
    assert sorted(o["n"] for o in outputs) == list(range(N))  # one output per input
    assert counts == Counter(f"pay-{n}" for n in range(N))  # every call ran once
    assert {o["receipt"] for o in outputs} == {f"receipt-pay-{n}" for n in range(N)}
    for k in range(3):  # memory consistent across the restore: 1, 2, 3, ... per key
        paid = [o["paid"] for o in sorted(outputs, key=lambda o: o["n"]) if o["n"] % 3 == k]
        assert paid == list(range(1, N // 3 + 1))


def test_without_the_store_recovery_repeats_side_effects(tmp_path: Path) -> None:
    outputs, counts, _wall = run_job(tmp_path)
    assert sorted(o["n"] for o in outputs) == list(range(N))  # outputs: still exactly once
    assert counts[f"pay-{FAIL_AT}"] == 2  # paid before the failure, and again after
    assert sum(counts.values()) > N


def test_unreachable_store_fails_before_the_job_is_submitted(tmp_path: Path) -> None:
    from pyflink.datastream import StreamExecutionEnvironment

    from flink_agents_runtime import Agent, AgentsExecutionEnvironment, InputEvent
    from flink_agents_runtime._errors import ActionStateStoreError

    env = StreamExecutionEnvironment.get_execution_environment()
    agents_env = AgentsExecutionEnvironment.get_execution_environment(
        env,
        config={
            "actionStateStoreBackend": "redis",
            "actionStateStore.redis.url": "redis://:topsecret@127.0.0.1:1/0",
        },
    )
    numbers = env.from_collection([1, 2, 3])
    agent = Agent().add_action("noop", [InputEvent], lambda e, ctx: None)
    builder = agents_env.from_datastream(numbers, key_selector=lambda n: n).apply(agent)
    with pytest.raises(ActionStateStoreError) as info:
        builder.to_datastream()
    assert "cannot connect" in str(info.value) and "topsecret" not in str(info.value)
