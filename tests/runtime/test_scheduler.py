"""The scheduler both drivers share (issue 16), exercised through the local driver and on a
real execution core: per-key order, keys interleaved (peaks read from a loopback server's
call log), the max-in-flight-inputs bound, calls on the event loop beyond the thread pool,
and the scheduling metrics."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from flink_agents_runtime import (
    Agent,
    AgentConfiguration,
    AgentsExecutionEnvironment,
    InputEvent,
    OutputEvent,
)
from flink_agents_runtime.api._metrics import Histogram, MetricRegistry
from flink_agents_runtime.drivers._scheduler import InputRun, InputScheduler
from flink_agents_runtime.engine._core import DictState, ExecutionCore
from flink_agents_runtime.engine.plan._plan import AgentPlan
from tests.helpers.async_openai_server import AsyncOpenAIServer
from tests.helpers.memory_agent import memory_agent


@pytest.fixture(scope="module")
def server() -> Any:
    with AsyncOpenAIServer(delay_s=0.05) as srv:
        yield srv


def run(url: str, keys: int, per_key: int, model: str = "echo", **config: Any) -> Any:
    config = {k.replace("_", "-"): v for k, v in config.items()}
    env = AgentsExecutionEnvironment.get_execution_environment(config=config)
    inputs = [{"key": k, "value": f"k{k}:{n}"} for n in range(per_key) for k in range(keys)]
    return env.from_list(inputs).apply(memory_agent(url, model)).execute()


def test_each_key_in_order_keys_interleaved(server: AsyncOpenAIServer) -> None:
    server.calls.clear()
    result = run(server.url, keys=10, per_key=4, num_async_threads=2)
    assert len(result.outputs) == 40
    for out in result.outputs:  # one run per key at a time, in input order
        assert out.value["seen"] == list(range(out.value["n"] + 1))
    peak = server.peak_in_flight()
    assert 2 < peak <= 10  # keys overlapped (past the 2 pool threads), one call per key


def test_calls_wait_on_the_event_loop_not_on_threads(server: AsyncOpenAIServer) -> None:
    server.calls.clear()
    # The model answers after 1 s, so the calls overlap however slowly they are submitted.
    result = run(server.url, keys=300, per_key=1, model="wait-1000", num_async_threads=2)
    assert len(result.outputs) == 300
    assert server.peak_in_flight() >= 100  # far past num-async-threads (2)


def test_max_in_flight_inputs_bounds_the_calls(server: AsyncOpenAIServer) -> None:
    server.calls.clear()
    result = run(server.url, keys=10, per_key=2, max_in_flight_inputs=3)
    assert len(result.outputs) == 20
    assert server.peak_in_flight() == 3


def gated_core() -> tuple[ExecutionCore, dict[str, threading.Event], MetricRegistry]:
    """A core whose action waits (on the pool) until its key's gate opens."""
    gates: dict[str, threading.Event] = {}

    async def wait(event: Any, ctx: Any) -> None:
        gate = gates.setdefault(ctx.key, threading.Event())
        await ctx.durable_execute_async(gate.wait, 10)
        ctx.send_event(OutputEvent(event.input))

    agent = Agent().add_action("wait", [InputEvent], wait)
    config = AgentConfiguration.resolve(overrides={"num-async-threads": 8})
    registry = MetricRegistry()
    core = ExecutionCore(AgentPlan.from_agent(agent), config, registry.group(), DictState())
    for key in "abc":
        gates[key] = threading.Event()
    return core, gates, registry


def test_scheduler_metrics_while_runs_wait_and_after_they_finish() -> None:
    core, gates, registry = gated_core()
    finished: list[InputRun] = []
    scheduler = InputScheduler(core, finished.append)
    try:
        for n in range(2):
            for key in "abc":
                scheduler.submit(key, f"{key}{n}")
        snap = registry.snapshot()
        assert snap["numOfActiveInputRuns"] == 3  # one run per key
        assert snap["numOfPendingInputEvents"] == 3  # the second input of each key waits
        assert snap["numOfActiveActionExecutions"] == 3  # each run's action awaits a call
        assert scheduler.held == 6 and not finished
        gates["b"].set()
        while len(finished) < 2:
            scheduler.wait(5)
        assert [r.outputs for r in finished] == [["b0"], ["b1"]]
        snap = registry.snapshot()
        assert snap["numOfActiveInputRuns"] == 2
        assert snap["numOfPendingInputEvents"] == 2
        for gate in gates.values():
            gate.set()
        scheduler.drain()
    finally:
        for gate in gates.values():
            gate.set()
        core.close()
    assert sorted(o for r in finished for o in r.outputs) == ["a0", "a1", "b0", "b1", "c0", "c1"]
    queue, sched = (
        registry.metrics[n] for n in ("inputRunQueueLatencyMs", "actionSchedulingLatencyMs")
    )
    assert isinstance(queue, Histogram) and isinstance(sched, Histogram)
    assert queue.get_count() == 6  # every input started once
    assert sched.get_count() == 6  # each parked run resumed once
    snap = registry.snapshot()
    assert snap["inputRunQueueLatencyMs"] > 0  # the queued inputs waited
    assert snap["numOfActiveInputRuns"] == 0 and snap["numOfPendingInputEvents"] == 0


def test_scheduler_steps_each_run_in_its_key_scope() -> None:
    core, gates, _registry = gated_core()
    scopes: list[Any] = []
    finished_in: list[tuple[Any, Any]] = []

    def enter(run: InputRun) -> None:
        scopes.append(run.key)

    scheduler = InputScheduler(
        core, lambda run: finished_in.append((run.key, scopes[-1])), enter=enter
    )
    try:
        for key in "abc":
            scheduler.submit(key, key)
        for gate in gates.values():
            gate.set()
        scheduler.drain()
    finally:
        core.close()
    assert sorted(finished_in) == [("a", "a"), ("b", "b"), ("c", "c")]
