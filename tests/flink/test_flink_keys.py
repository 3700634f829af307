"""Keys and memory on the Flink driver's per-element fast path (issue 16), thread mode, p=1.

The agent's function computes an element's key with the stream's own key selector instead
of asking Flink for the current key, and remembers keys that have no memory stored instead
of reading their state each input. These tests show both shortcuts keep Flink's view:
Flink tells keys apart by their pickled bytes (``1`` and ``True`` are two keys with two
memories, where a Python dict sees one), and a key selector that answers differently in the
agent's operator than where Flink keyed the element is noticed and not used.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

pytestmark = [pytest.mark.flink, pytest.mark.usefixtures("clean_env")]


def counter_agent() -> Any:
    """Input ``{"k", "op", "id"}``: ``add`` counts in the key's memory, ``read`` reads;
    outputs ``{"id", "n", "key", "thread"}`` (the key the action saw, the thread it ran in)."""
    from flink_agents_runtime import Agent, InputEvent, OutputEvent

    def count(event: Any, ctx: Any) -> None:
        n = ctx.short_term_memory.get("n") or 0
        if event.input["op"] == "add":
            n += 1
            ctx.short_term_memory.set("n", n)
        key = ctx.key
        ctx.send_event(
            OutputEvent(
                {
                    "id": event.input["id"],
                    "n": n,
                    "key": list(key) if isinstance(key, tuple) else key,
                    "thread": threading.current_thread().name,
                }
            )
        )

    agent = Agent()
    agent.add_action("count", [InputEvent], count)
    return agent


def run_job(inputs: list[dict[str, Any]], key_selector: Any) -> dict[int, dict[str, Any]]:
    """Outputs by input id."""
    from pyflink.datastream import StreamExecutionEnvironment

    from flink_agents_runtime import AgentsExecutionEnvironment

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    agents_env = AgentsExecutionEnvironment.get_execution_environment(env)
    stream = agents_env.from_datastream(env.from_collection(inputs), key_selector=key_selector)
    out = stream.apply(counter_agent()).to_datastream()
    return {o["id"]: o for o in out.execute_and_collect("keys-test")}


def test_memory_follows_flink_keys_and_keys_without_memory_can_start_writing() -> None:
    ops = [
        (1, "read"),  # no memory: remembered as empty
        (True, "add"),  # equal to 1 in Python, another key for Flink: its own memory
        (1, "read"),
        (True, "add"),
        ("a", "read"),  # remembered as empty, then writes
        ("a", "add"),
        ("a", "add"),
        (1, "read"),
    ]
    inputs = [{"k": k, "op": op, "id": i} for i, (k, op) in enumerate(ops)]
    out = run_job(inputs, lambda r: r["k"])
    assert [out[i]["n"] for i in range(len(ops))] == [0, 1, 0, 2, 0, 1, 2, 0]
    assert [out[i]["key"] for i in range(len(ops))] == [k for k, _ in ops]
    assert [type(out[i]["key"]) for i in range(len(ops))] == [type(k) for k, _ in ops]


def test_a_key_selector_answering_differently_in_the_agent_is_not_used() -> None:
    # The key names the thread that computed it: Flink keyed the element in the source's
    # task, the agent's function runs in another one.
    inputs = [{"k": "x", "op": "add", "id": i} for i in range(3)]
    out = run_job(inputs, lambda r: (r["k"], threading.current_thread().name))
    for o in out.values():
        key, keyed_in = o["key"]
        assert key == "x"
        assert keyed_in != o["thread"], o  # Flink's key, not the agent's recomputation
    # Flink's key is one key only if the source's thread keyed every element: memory shows.
    assert sorted(o["n"] for o in out.values()) == [1, 2, 3]
