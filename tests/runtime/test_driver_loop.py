"""A local run's own call loop (``drivers/_driver_loop.py``): awaited calls run on the
driver's thread, calls finishing on other threads (the pool) wake it, its HTTP clients close
on it, and under a thread's running loop (a notebook kernel's) calls go to the process's
call loop as before."""

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
from flink_agents_runtime.drivers._driver_loop import DriverLoop, driver_loop
from flink_agents_runtime.engine import _loop
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


def test_under_a_running_loop_calls_go_to_the_process_loop() -> None:
    async def in_a_kernel() -> Any:  # a notebook cell runs while the kernel's loop runs
        return run_mixed()

    result = asyncio.run(in_a_kernel())
    assert [o.value[0] for o in result.outputs] == [f"v{i}" for i in range(70)]
    assert {o.value[1] for o in result.outputs} == {"flink-agents-loop"}


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


class Tracked(OpenAIChatModelConnection):
    """The OpenAI connection, keeping the HTTP sessions its close released."""

    sessions: ClassVar[list[Any]] = []

    def close(self) -> None:
        transport = self.__dict__.get("_atransport")
        if transport is not None:
            Tracked.sessions.append((transport._session, transport.loop))
        super().close()


def test_the_http_session_closes_on_the_runs_loop_each_run() -> None:
    Tracked.sessions.clear()
    with AsyncOpenAIServer(delay_s=0.01) as server:
        url = server.url.replace("127.0.0.1", "localhost")  # a name: looked up on a thread
        agent = ask_and_answer_agent(ResourceDescriptor(Tracked, base_url=url, api_key="test"))
        env = AgentsExecutionEnvironment.get_execution_environment()
        for _ in range(2):  # the second run opens a new session on its own loop
            inputs = [{"key": i % 5, "value": f"q{i}"} for i in range(20)]
            result = env.from_list(inputs).apply(agent).execute()
            assert [o.value for o in result.outputs] == [f"echo: q{i}" for i in range(20)]
    assert len(Tracked.sessions) == 2
    (s1, loop1), (s2, loop2) = Tracked.sessions
    assert s1.closed and s2.closed
    assert loop1 is not loop2 and loop1.is_closed() and loop2.is_closed()
