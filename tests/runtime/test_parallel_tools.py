"""Parallel tool calls in one tool request (tool-call.parallelism, tool-call.batch.timeout.ms)
and ctx.durable_execute_all_async, including what a recovery re-runs."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from flink_agents_runtime import (
    ActionFailedError,
    Agent,
    AgentConfiguration,
    InputEvent,
    LocalExecutionEnvironment,
    OutputEvent,
    ScriptRule,
)
from tests.helpers.side_effects import pay, payments
from tests.helpers.triage_agent import triage_variant

pytestmark = pytest.mark.usefixtures("clean_env")

_lock = threading.Lock()
ACTIVE = {"now": 0, "max": 0}


def slow_lookup(n: int) -> str:
    """Look one order up (slowly).

    Args:
        n: the order number.
    """
    with _lock:
        ACTIVE["now"] += 1
        ACTIVE["max"] = max(ACTIVE["max"], ACTIVE["now"])
    try:
        time.sleep(2.0 if n == 99 else 0.4)
        return f"order {n}: ok"
    finally:
        with _lock:
            ACTIVE["now"] -= 1


def four_calls(messages: list[Any], match: Any) -> list[dict[str, Any]]:
    numbers = [int(x) for x in match.group(1).split(",")]
    return [{"name": "slow_lookup", "arguments": {"n": n}} for n in numbers]


RULES = [
    ScriptRule(r"orders ([\d,]+)", tool_calls=four_calls),
    ScriptRule(None, role="tool", reply="done"),
]


#: The triage agent whose model asks for one slow_lookup per order number at once.
Fanout = triage_variant(RULES, tools=["slow_lookup"])


def run(agent: Agent, text: str, **config: Any) -> Any:
    ACTIVE.update(now=0, max=0)
    agent.add_resource("slow_lookup", "tool", slow_lookup)
    env = LocalExecutionEnvironment(
        AgentConfiguration.resolve(overrides={"num-async-threads": 8, **config})
    )
    return env.from_list([{"key": "k", "value": text}]).apply(agent).execute()


def tool_answers(result: Any) -> tuple[list[Any], Any]:
    (response,) = [r.event for r in result.events if r.event.type == "_tool_response_event"]
    return list(response.attributes["responses"].values()), response.attributes["errors"]


@pytest.mark.parametrize(("parallelism", "expected_max"), [(4, 4), (1, 1)])
def test_tool_calls_of_one_answer_run_in_parallel_up_to_the_window(
    parallelism: int, expected_max: int
) -> None:
    result = run(Fanout(), "orders 1,2,3,4,5", **{"tool-call.parallelism": parallelism})
    answers, errors = tool_answers(result)
    assert answers == [f"order {n}: ok" for n in (1, 2, 3, 4, 5)]  # the calls' order
    assert errors == []
    assert ACTIVE["max"] == expected_max


def test_batch_timeout_answers_the_slow_call_with_an_error() -> None:
    result = run(
        Fanout(), "orders 1,99,2", **{"tool-call.parallelism": 3, "tool-call.batch.timeout.ms": 500}
    )
    answers, errors = tool_answers(result)
    assert answers[0] == "order 1: ok" and answers[2] == "order 2: ok"
    assert answers[1].startswith("Error: BatchTimeoutError: call 1 of a batch of 3")
    assert "within 500 ms" in answers[1]
    assert len(errors) == 1
    assert result.output_values() == ["done"]


def test_after_recovery_finished_calls_keep_their_outcome(tmp_path: Path) -> None:
    log = str(tmp_path / "effects.log")
    crash = tmp_path / "crash"
    crash.touch()

    async def act(event: Any, ctx: Any) -> None:
        calls = [(pay, log, f"{event.input}-{i}") for i in range(4)]
        receipts = await ctx.durable_execute_all_async(calls, parallelism=2)
        if crash.exists():
            raise RuntimeError("injected crash after the batch")
        ctx.send_event(OutputEvent(receipts))

    agent = Agent().add_action("fan", [InputEvent], act)
    config = {
        "job-identifier": "batch-job",
        "actionStateStoreBackend": "sqlite",
        "actionStateStore.sqlite.path": str(tmp_path / "state.sqlite"),
    }
    env = LocalExecutionEnvironment(AgentConfiguration.resolve(overrides=config))
    with pytest.raises(ActionFailedError, match="injected crash"):
        env.from_list([{"key": "k", "value": "a"}]).apply(agent).execute(job_name="batch-job")
    assert payments(log) == {f"a-{i}": 1 for i in range(4)}
    crash.unlink()
    env = LocalExecutionEnvironment(AgentConfiguration.resolve(overrides=config))
    result = env.from_list([{"key": "k", "value": "a"}]).apply(agent).execute(job_name="batch-job")
    assert result.output_values() == [[f"receipt-a-{i}" for i in range(4)]]
    assert payments(log) == {f"a-{i}": 1 for i in range(4)}  # none ran again


def test_durable_execute_all_async_raises_the_first_failure_in_order() -> None:
    def boom(what: str) -> str:
        raise ValueError(what)

    async def act(event: Any, ctx: Any) -> None:
        await ctx.durable_execute_all_async([(str, 1), (boom, "second"), (boom, "third")])

    agent = Agent().add_action("fan", [InputEvent], act)
    env = LocalExecutionEnvironment(AgentConfiguration.resolve())
    with pytest.raises(ActionFailedError) as info:
        env.from_list([{"key": "k", "value": 1}]).apply(agent).execute()
    assert str(info.value.__cause__) == "second"
