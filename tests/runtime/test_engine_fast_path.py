"""The execution core's cheap path: synchronous actions run without a generator, memory is
opened on first use, ids are given when needed; the behaviour stays the general path's."""

from __future__ import annotations

import threading
from typing import Any

import flink_agents_runtime as rt
from flink_agents_runtime.api._memory import MemoryNode
from flink_agents_runtime.api._metrics import MetricRegistry
from flink_agents_runtime.engine._core import DictState, ExecutionCore
from flink_agents_runtime.engine.plan._plan import AgentPlan


class CountingState(DictState):
    """Memory in a dict, counting loads and saves and noting the loading threads."""

    def __init__(self) -> None:
        super().__init__()
        self.loads = 0
        self.saves = 0
        self.threads: set[int] = set()

    def load(self, key: Any) -> MemoryNode:
        self.loads += 1
        self.threads.add(threading.get_ident())
        return super().load(key)

    def save(self, key: Any, root: MemoryNode) -> None:
        self.saves += 1
        super().save(key, root)


def make_core(agent: rt.Agent, state: DictState, **config: Any) -> tuple[ExecutionCore, Any]:
    registry = MetricRegistry()
    core = ExecutionCore(
        AgentPlan.from_agent(agent),
        rt.AgentConfiguration().update(config),
        registry.group(),
        state,
    )
    return core, registry


def run(core: ExecutionCore, inputs: list[tuple[Any, Any]]) -> list[Any]:
    outputs: list[Any] = []
    for key, value in inputs:
        outputs += core.start(key, value).run_blocking()
    return outputs


def test_memory_is_loaded_and_saved_only_by_inputs_that_use_it() -> None:
    def count_odd(event: Any, ctx: Any) -> None:
        if event.input % 2:
            stm = ctx.short_term_memory
            stm.set("odd", stm.get("odd", 0) + 1)
            ctx.send_event(rt.OutputEvent(output=stm.get("odd")))
        else:
            ctx.send_event(rt.OutputEvent(output=event.input))

    state = CountingState()
    core, _ = make_core(rt.Agent().add_action("count", rt.InputEvent, count_odd), state)
    outputs = run(core, [("k", n) for n in range(6)])
    assert outputs == [0, 1, 2, 2, 4, 3]
    assert (state.loads, state.saves) == (3, 3)
    assert state.roots["k"] == {"odd": 3}


def test_memory_first_opened_by_a_failing_attempt_is_rolled_back() -> None:
    def write_then_fail(event: Any, ctx: Any) -> None:
        ctx.sensory_memory.set("seen", True)
        ctx.short_term_memory.set("last", event.input)
        if event.input == "boom":
            raise RuntimeError("bad input")
        ctx.send_event(rt.OutputEvent(output=ctx.short_term_memory.get("last")))

    state = CountingState()
    agent = rt.Agent().add_action("write", rt.InputEvent, write_then_fail)
    core, registry = make_core(agent, state, **{"error-handling-strategy": "ignore"})
    assert run(core, [("k", "a"), ("k", "boom")]) == ["a"]
    assert state.roots["k"] == {"last": "a"}  # the failed attempt's write was undone
    assert registry.counts()["numOfActionsFailed"] == 1


def test_an_async_plan_opens_memory_in_the_drivers_thread() -> None:
    def read_in_pool(ctx: Any) -> Any:
        return ctx.short_term_memory.get("n", 0)  # on a pool thread

    async def bump(event: Any, ctx: Any) -> None:
        n = await ctx.durable_execute_async(read_in_pool, ctx)
        ctx.short_term_memory.set("n", n + 1)
        ctx.send_event(rt.OutputEvent(output=n + 1))

    state = CountingState()
    core, _ = make_core(rt.Agent().add_action("bump", rt.InputEvent, bump), state)
    try:
        assert run(core, [("k", 0), ("k", 0), ("j", 0)]) == [1, 2, 1]
    finally:
        core.close()
    assert state.threads == {threading.get_ident()}
    assert (state.loads, state.saves) == (3, 3)


def test_sync_and_async_actions_of_one_event_run_in_declaration_order() -> None:
    def sync_step(name: str) -> Any:
        def act(event: Any, ctx: Any) -> None:
            value = event.attributes.get("input", event.attributes.get("n"))
            ctx.send_event(rt.OutputEvent(output=f"{name}:{value}"))
            if name == "c":
                ctx.send_event(rt.Event(type="next", n=value))

        return act

    async def async_b(event: Any, ctx: Any) -> None:
        got = await ctx.durable_execute_async(str.upper, event.input)
        ctx.send_event(rt.OutputEvent(output=f"b:{got}"))

    async def async_on_next(event: Any, ctx: Any) -> None:
        got = await ctx.durable_execute_async(len, event.n)
        ctx.send_event(rt.OutputEvent(output=f"next:{got}"))

    agent = (
        rt.Agent()
        .add_action("a", rt.InputEvent, sync_step("a"))
        .add_action("b", rt.InputEvent, async_b)
        .add_action("c", rt.InputEvent, sync_step("c"))
        .add_action("d", "next", async_on_next)
        .add_action("e", "next", sync_step("e"))
    )
    core, registry = make_core(agent, DictState())
    try:
        outputs = run(core, [("k", "xy")])
    finally:
        core.close()
    # Per event its actions in order; events first in, first out.
    assert outputs == ["a:xy", "b:XY", "c:xy", "next:2", "e:xy"]
    counts = registry.counts()
    assert counts["numOfActionsExecuted"] == 5
    assert counts["numOfEventProcessed"] == 1 + 5 + 1  # input, five outputs, "next"


def test_lineage_without_records_names_the_events_actions_took() -> None:
    seen: dict[str, Any] = {}

    def first(event: Any, ctx: Any) -> None:
        seen["input"] = event.id
        ctx.send_event(rt.Event(type="middle", value=event.input))

    def second(event: Any, ctx: Any) -> None:
        seen["middle"] = event.id
        seen["middle_upstream"] = (event.upstream_event_id, event.upstream_action_name)
        out = rt.OutputEvent(output=event.value)
        ctx.send_event(out)
        seen["output"] = out

    agent = rt.Agent().add_action("first", rt.InputEvent, first)
    agent.add_action("second", "middle", second)
    core, _ = make_core(agent, DictState())
    assert run(core, [("k", 7)]) == [7]
    assert seen["input"] and seen["middle"] and seen["input"] != seen["middle"]
    assert seen["middle_upstream"] == (seen["input"], "first")
    out = seen["output"]
    assert (out.upstream_event_id, out.upstream_action_name) == (seen["middle"], "second")
    assert out.id and out.id not in (seen["input"], seen["middle"])  # minted when read


def test_a_finished_task_steps_to_none_and_counts_once() -> None:
    agent = rt.Agent().add_action(
        "echo", rt.InputEvent, lambda e, ctx: ctx.send_event(rt.OutputEvent(output=e.input))
    )
    core, registry = make_core(agent, DictState())
    task = core.start("k", 1)
    assert task.run_blocking() == [1] and task.done
    assert task.step() is None and task.outputs == [1]
    assert registry.counts()["numOfInputRunsSucceeded"] == 1
    assert registry.metrics["inputRunLatencyMs"].get_count() == 1
