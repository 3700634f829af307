"""Bounded work (issue 13, item 2): a runaway cascade is stopped by a per-input guard naming
the action and event type; a hung async action is cut by its timeout."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from flink_agents_runtime import (
    ActionFailedError,
    Agent,
    AgentConfiguration,
    ConfigError,
    Event,
    InputEvent,
    LocalExecutionEnvironment,
    OutputEvent,
)
from flink_agents_runtime._errors import ActionTimeoutError, CascadeLimitError


def _run(agent: Agent, inputs: list[Any], **config: Any) -> Any:
    env = LocalExecutionEnvironment(AgentConfiguration.resolve(overrides=config))
    pairs = [{"key": k, "value": v} for k, v in inputs]
    return env.from_list(pairs).apply(agent).execute(job_name="bounds")


def _echo_agent() -> Agent:
    def start(event: Any, ctx: Any) -> None:
        ctx.send_event(Event(type="ping", attributes={"n": 0}))

    def echo(event: Any, ctx: Any) -> None:  # re-sends the type it handles, forever
        ctx.send_event(Event(type="ping", attributes={"n": event.attributes["n"] + 1}))

    return Agent().add_action("start", [InputEvent], start).add_action("echo", ["ping"], echo)


def test_self_sending_action_is_stopped_by_the_depth_guard() -> None:
    with pytest.raises(CascadeLimitError) as info:
        _run(_echo_agent(), [("k", 1)])
    err = info.value
    assert err.action == "echo" and err.event_type == "ping" and err.key == "k"
    assert "cascade.max-depth=1000" in str(err) and "re-sends the type it handles" in str(err)
    assert isinstance(err, ActionFailedError)


def test_fan_out_is_stopped_by_the_event_guard_and_config_keys_work() -> None:
    def fan(event: Any, ctx: Any) -> None:  # each ping sends two: depth grows slowly
        for _ in range(2):
            ctx.send_event(Event(type="ping", attributes={}))

    agent = Agent().add_action("fan", [InputEvent, "ping"], fan)
    with pytest.raises(CascadeLimitError, match=r"more than cascade.max-events-per-input=50"):
        _run(agent, [("k", 1)], **{"cascade.max-events-per-input": 50})
    with pytest.raises(CascadeLimitError, match=r"action 'fan' on event type 'ping'"):
        _run(agent, [("k", 1)], **{"cascade.max-depth": 3})


def test_guards_leave_legitimate_cascades_alone_and_zero_disables() -> None:
    def count(event: Any, ctx: Any) -> None:
        n = event.attributes.get("n", 0)
        if n < 1500:
            ctx.send_event(Event(type="step", attributes={"n": n + 1}))
        else:
            ctx.send_event(OutputEvent(output=n))

    agent = Agent().add_action("count", [InputEvent, "step"], count)
    assert _run(agent, [("k", 1)], **{"cascade.max-depth": 0}).output_values() == [1500]
    with pytest.raises(ConfigError, match=r"cascade.max-depth.*-1 is not an integer >= 0"):
        AgentConfiguration.resolve(overrides={"cascade.max-depth": -1})


def test_hung_async_action_is_cut_by_its_timeout() -> None:
    release = threading.Event()

    async def hang(event: Any, ctx: Any) -> None:
        await ctx.durable_execute_async(release.wait, 30)
        ctx.send_event(OutputEvent(output="never"))

    async def quick(event: Any, ctx: Any) -> None:
        ctx.send_event(OutputEvent(output=await ctx.durable_execute_async(str.upper, "ok")))

    agent = Agent().add_action("hang", [InputEvent], hang).add_action("quick", ["go"], quick)
    try:
        with pytest.raises(ActionFailedError) as info:
            _run(agent, [("k", 1)], **{"action.hang.timeout": 0.2})
        assert info.value.action == "hang"
        assert isinstance(info.value.__cause__, ActionTimeoutError)
        assert "0.2 s" in str(info.value)
        # Under the ignore strategy the input finishes and the next one runs.
        run = _run(
            agent,
            [("a", 1), ("b", 2)],
            **{"action.timeout": 0.1, "error-handling-strategy": "ignore"},
        )
        assert [a.status for a in run.actions] == ["ignored", "ignored"]
    finally:
        release.set()


def test_input_seq_is_the_arrival_position_also_for_queued_inputs() -> None:
    async def slow(event: Any, ctx: Any) -> None:
        import time

        await ctx.durable_execute_async(time.sleep, 0.05 if event.input == 0 else 0)
        ctx.send_event(OutputEvent(output=event.input))

    agent = Agent().add_action("slow", [InputEvent], slow)
    run = _run(agent, [("a", 0), ("b", 1), ("a", 2), ("c", 3)])
    # input 2 waits behind input 0 of key a and starts after 3: still numbered 2
    assert sorted((o.input_seq, o.value) for o in run.outputs) == [(0, 0), (1, 1), (2, 2), (3, 3)]
