"""A local run's own call loop (``drivers/_driver_loop.py``): awaited calls run on the
driver's thread, calls finishing on other threads (the pool) wake it, its HTTP clients close
on it; under a thread's running loop (a notebook kernel's) it still runs while actions see
that loop; a run started inside a call on its loop uses the process's call loop."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, ClassVar

from flink_agents_runtime import (
    Agent,
    AgentsExecutionEnvironment,
    InputEvent,
    OpenAIChatModelConnection,
    OutputEvent,
    ResourceDescriptor,
)
from flink_agents_runtime.drivers import _driver_loop
from flink_agents_runtime.drivers._driver_loop import DriverLoop, driver_loop
from flink_agents_runtime.engine.awaiting import _loop
from tests.helpers.async_openai_server import AsyncOpenAIServer
from tests.helpers.openai_server import ask_and_answer_agent


async def where(value: str, delay: float) -> tuple[str, str]:
    """An awaitable call: the thread it ran on, after ``delay`` seconds."""
    await asyncio.sleep(delay)
    return value, threading.current_thread().name


def blocking(value: str, delay: float) -> tuple[str, str]:
    time.sleep(delay)
    return value, threading.current_thread().name


def mixed_agent() -> Agent:
    """Each input awaits a call on the loop, then one on the async pool, then another on
    the loop; outputs ``[value, loop thread, pool thread, loop thread]``."""

    async def act(event: Any, ctx: Any) -> None:
        first = await ctx.durable_execute_async(where, event.input, 0.01)
        second = await ctx.durable_execute_async(blocking, event.input, 0.005)
        third = await ctx.durable_execute_async(where, event.input, 0.0)
        ctx.send_event(OutputEvent([event.input, first[1], second[1], third[1]]))

    return Agent().add_action("act", [InputEvent], act)


def run_mixed() -> Any:
    env = AgentsExecutionEnvironment.get_execution_environment(config={"num-async-threads": 4})
    inputs = [{"key": i % 7, "value": f"v{i}"} for i in range(70)]
    return env.from_list(inputs).apply(mixed_agent()).execute()


def test_awaited_calls_run_on_the_drivers_thread_and_pool_calls_wake_it() -> None:
    result = run_mixed()
    me = threading.current_thread().name
    assert [o.value[0] for o in result.outputs] == [f"v{i}" for i in range(70)]
    assert {o.value[1] for o in result.outputs} == {me}
    assert {o.value[3] for o in result.outputs} == {me}
    assert me not in {o.value[2] for o in result.outputs}  # blocking calls: pool threads
    assert _loop.starter() is None  # the run's loop was unregistered (and closed)


def test_under_a_running_loop_the_run_still_uses_its_own_and_actions_see_the_outer() -> None:
    seen: list[Any] = []

    def look(event: Any, ctx: Any) -> None:
        seen.append(asyncio._get_running_loop())

    async def in_a_kernel() -> Any:  # a notebook cell runs while the kernel's loop runs
        outer = asyncio.get_running_loop()
        agent = mixed_agent().add_action("look", [InputEvent], look)
        env = AgentsExecutionEnvironment.get_execution_environment()
        builder = env.from_list([{"key": i % 3, "value": f"v{i}"} for i in range(9)])
        result = builder.apply(agent).execute()
        assert asyncio.get_running_loop() is outer
        return result, outer

    result, outer = asyncio.run(in_a_kernel())
    assert [o.value[0] for o in result.outputs] == [f"v{i}" for i in range(9)]
    assert {o.value[1] for o in result.outputs} == {threading.current_thread().name}
    assert seen == [outer] * 9  # actions run outside our loop, the kernel's still current


def test_without_an_own_loop_calls_go_to_the_process_loop(monkeypatch: Any) -> None:
    monkeypatch.setattr(_driver_loop, "OWN_LOOP", False)
    result = run_mixed()
    assert [o.value[0] for o in result.outputs] == [f"v{i}" for i in range(70)]
    assert {o.value[1] for o in result.outputs} == {"flink-agents-loop"}


async def nested_run(value: str) -> list[Any]:
    """An awaitable call that runs a whole local run (a sub-agent) while on the loop."""
    env = AgentsExecutionEnvironment.get_execution_environment()
    inputs = [{"key": 0, "value": f"{value}.{i}"} for i in range(2)]
    result = env.from_list(inputs).apply(mixed_agent()).execute()
    return [o.value for o in result.outputs]


def test_a_run_inside_a_call_on_the_runs_loop_uses_the_process_loop() -> None:
    async def act(event: Any, ctx: Any) -> None:
        ctx.send_event(OutputEvent(await ctx.durable_execute_async(nested_run, event.input)))

    env = AgentsExecutionEnvironment.get_execution_environment()
    agent = Agent().add_action("act", [InputEvent], act)
    result = env.from_list([{"key": 1, "value": "a"}]).apply(agent).execute()
    (inner,) = [o.value for o in result.outputs]
    assert [v[0] for v in inner] == ["a.0", "a.1"]
    assert {v[1] for v in inner} == {"flink-agents-loop"}


def test_a_nested_run_shares_the_outer_runs_loop_and_leaves_it_open() -> None:
    with driver_loop() as outer:
        assert isinstance(outer, DriverLoop)
        with driver_loop() as inner:
            assert inner is outer
        assert not outer.loop.is_closed()
        assert _loop.starter() is outer
    assert outer.loop.is_closed()
    assert _loop.starter() is None


def test_a_call_still_running_when_the_run_ends_is_cancelled() -> None:
    with driver_loop() as own:
        assert own is not None
        done = _loop.call_soon(where("late", 60))
        own.turn()  # started
    assert done.cancelled() or isinstance(done.exception(1), asyncio.CancelledError)


def test_a_call_the_loop_never_started_is_cancelled_when_the_run_ends() -> None:
    with driver_loop() as own:
        assert own is not None
        done = _loop.call_soon(where("never", 60))  # no turn of the loop before the end
    assert isinstance(done.exception(1), asyncio.CancelledError)


class Tracked(OpenAIChatModelConnection):
    """The OpenAI connection, keeping the HTTP connection pools its close released."""

    sessions: ClassVar[list[Any]] = []

    def close(self) -> None:
        transport = self.__dict__.get("_atransport")
        if transport is not None:
            Tracked.sessions.append((transport._pool, transport.loop))
        super().close()


def test_the_http_connections_close_on_the_runs_loop_each_run() -> None:
    Tracked.sessions.clear()
    with AsyncOpenAIServer(delay_s=0.01) as server:
        url = server.url.replace("127.0.0.1", "localhost")  # a name: looked up on a thread
        agent = ask_and_answer_agent(ResourceDescriptor(Tracked, base_url=url, api_key="test"))
        env = AgentsExecutionEnvironment.get_execution_environment()
        for _ in range(2):  # the second run opens a new pool on its own loop
            inputs = [{"key": i % 5, "value": f"q{i}"} for i in range(20)]
            result = env.from_list(inputs).apply(agent).execute()
            assert [o.value for o in result.outputs] == [f"echo: q{i}" for i in range(20)]
    assert len(Tracked.sessions) == 2
    (s1, loop1), (s2, loop2) = Tracked.sessions
    assert s1.closed and s2.closed
    assert loop1 is not loop2 and loop1.is_closed() and loop2.is_closed()
