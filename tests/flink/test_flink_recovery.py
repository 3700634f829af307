"""Exactly-once on a real MiniCluster: checkpointing and a restart strategy from the kit's
config, a failure injected mid-stream, outputs through Flink's FileSink, and a side-effect log
outside Flink (O_APPEND lines) that counts the durable calls that really ran.

One job per test (10-20 s each): with the action state store every durable call ran once;
without it the replayed inputs pay again (so the first test can fail).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.failing_job import run_failing_job
from tests.helpers.redis_server import redis_server

pytestmark = [pytest.mark.flink, pytest.mark.usefixtures("clean_env")]

N = 30
FAIL_AT = 20


def run_job(tmp_path: Path, **store: Any) -> tuple[list[Any], Counter[str]]:
    """Numbers 0..N-1 keyed by n % 3 through an agent that pays inline (durable call) and
    fails once on FAIL_AT after paying (``tests.helpers.failing_job``)."""
    return run_failing_job(tmp_path, n=N, keys=3, fail_at=FAIL_AT, throttle_s=0.04, **store)


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
        outputs, counts = run_job(tmp_path, actionStateStoreBackend=backend, **store)
    assert sorted(o["n"] for o in outputs) == list(range(N))  # one output per input
    assert counts == Counter(f"pay-{n}" for n in range(N))  # every call ran once
    assert {o["receipt"] for o in outputs} == {f"receipt-pay-{n}" for n in range(N)}
    for k in range(3):  # memory consistent across the restore: 1, 2, 3, ... per key
        paid = [o["paid"] for o in sorted(outputs, key=lambda o: o["n"]) if o["n"] % 3 == k]
        assert paid == list(range(1, N // 3 + 1))


def test_without_the_store_recovery_repeats_side_effects(tmp_path: Path) -> None:
    outputs, counts = run_job(tmp_path)
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
