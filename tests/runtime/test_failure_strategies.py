"""Failure behaviour per ``error-handling-strategy`` (fail / ignore / retry), the same on the
local driver and on Flink: outputs, action records (status, attempt) and metric totals.

The failing action is deterministic: inputs divisible by 4 fail their first two attempts
(attempts are counted in the interpreter running the action, under a per-test token).
"""

from __future__ import annotations

import sys
import uuid
from collections import Counter
from typing import Any

import pytest

from flink_agents_runtime import (
    ActionFailedError,
    Agent,
    AgentConfiguration,
    InputEvent,
    LocalExecutionEnvironment,
    OutputEvent,
)

pytestmark = pytest.mark.usefixtures("clean_env")

INPUTS = [{"key": n % 3, "value": n} for n in range(12)]


def flaky_agent() -> Agent:
    token = uuid.uuid4().hex

    def flaky(event: Any, ctx: Any) -> None:
        n = event.input
        if n % 4 == 0:
            counts = sys.__dict__.setdefault("_fa_test_attempts", {})
            counts[(token, n)] = counts.get((token, n), 0) + 1
            if counts[(token, n)] <= 2:
                raise RuntimeError(f"flaky on {n}")
        ctx.send_event(OutputEvent(output=n * 10))

    return Agent().add_action("flaky", [InputEvent], flaky)


def config(strategy: str) -> dict[str, Any]:
    return {"error-handling-strategy": strategy, "max-retries": 3, "retry-wait-interval": 0}


def run_local(strategy: str) -> Any:
    env = LocalExecutionEnvironment(AgentConfiguration.resolve(overrides=config(strategy)))
    return env.from_list(INPUTS).apply(flaky_agent()).execute(record=True)


def statuses(actions: Any) -> Counter[tuple[str, int]]:
    return Counter((a.status, a.attempt) for a in actions)


def test_local_ignore_drops_failing_inputs_and_counts_them() -> None:
    run = run_local("ignore")
    assert sorted(run.output_values()) == [n * 10 for n in range(12) if n % 4]
    assert statuses(run.actions) == {("ok", 1): 9, ("ignored", 1): 3}
    assert run.metric_counts["numOfActionsFailed"] == 3


def test_local_retry_reruns_until_success() -> None:
    run = run_local("retry")
    assert sorted(run.output_values()) == [n * 10 for n in range(12)]
    assert statuses(run.actions) == {("ok", 1): 9, ("failed", 1): 3, ("failed", 2): 3, ("ok", 3): 3}
    assert run.metric_counts["numOfActionRetries"] == 6


def test_local_fail_stops_at_the_first_failure_naming_action_and_key() -> None:
    with pytest.raises(
        ActionFailedError, match=r"action 'flaky' failed .* for key 0: RuntimeError"
    ):
        run_local("fail")


@pytest.mark.flink
@pytest.mark.parametrize("strategy", ["ignore", "retry"])
def test_flink_matches_local_under_strategy(strategy: str, tmp_path: Any) -> None:
    from flink_agents_nb.flink._promote import promote

    promoted = promote(flaky_agent(), INPUTS, config=config(strategy), log_dir=str(tmp_path))
    assert promoted.parity is not None and promoted.parity.ok, repr(promoted.parity)
    local = run_local(strategy)
    flink_outputs = sorted(o.value for o in promoted.result.outputs)
    assert flink_outputs == sorted(local.output_values())
    assert statuses(promoted.result.actions) == statuses(local.actions)


@pytest.mark.flink
def test_flink_fail_strategy_fails_the_job_with_the_same_error() -> None:
    from pyflink.datastream import StreamExecutionEnvironment

    from flink_agents_runtime import AgentsExecutionEnvironment

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    agents_env = AgentsExecutionEnvironment.get_execution_environment(
        env, config={**config("fail"), "restart.attempts": 0}
    )
    from pyflink.common import Types

    numbers = env.from_collection(list(range(12)), type_info=Types.LONG())
    out = agents_env.from_datastream(numbers, key_selector=lambda n: n % 3).apply(flaky_agent())
    out.to_datastream().map(lambda x: x)
    with pytest.raises(Exception) as info:  # noqa: PT011 - py4j wraps the job's failure
        agents_env.execute("fail-strategy")
    text = str(info.value)
    assert "ActionFailedError" in text
    assert "action 'flaky' failed on event type '_input_event' for key 0" in text
