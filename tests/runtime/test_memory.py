"""Short-term and sensory memory: paths, objects, errors, lifetime per key and per input."""

from __future__ import annotations

import pytest

import flink_agents_nb as fa
from flink_agents_runtime.api._memory import MemoryStore


def memory() -> fa.MemoryObject:
    return MemoryStore("short_term").view()


def test_nested_paths_create_objects_and_read_back() -> None:
    mem = memory()
    mem.set("user.profile.name", "ada")
    mem.set("user.visits", 3)
    assert mem.get("user.profile.name") == "ada"
    assert mem.is_exist("user.profile") and not mem.is_exist("user.age")
    user = mem.get("user")
    assert isinstance(user, fa.MemoryObject)
    assert user.get_field_names() == ["profile", "visits"]
    assert user.get("profile.name") == "ada"
    assert mem.get_fields() == {"user": {"profile": {"name": "ada"}, "visits": 3}}
    assert mem.get("missing", "dflt") == "dflt"


def test_new_object_returns_existing_and_refuses_to_replace_a_value() -> None:
    mem = memory()
    cart = mem.new_object("cart")
    cart.set("items", ["a"])
    assert mem.new_object("cart").get("items") == ["a"]
    mem.set("note", "x")
    with pytest.raises(fa.MemoryAccessError, match="'note' holds a value"):
        mem.new_object("note")
    assert mem.new_object("note", overwrite=True).get_field_names() == []


def test_bad_writes_name_the_path() -> None:
    mem = memory()
    mem.set("a", 1)
    with pytest.raises(fa.MemoryAccessError, match="'a' holds a value, not an object"):
        mem.set("a.b", 2)
    mem.new_object("obj")
    with pytest.raises(fa.MemoryAccessError, match="'obj' is an object"):
        mem.set("obj", 5)
    with pytest.raises(fa.MemoryAccessError, match="empty segment"):
        mem.set("a..b", 1)
    with pytest.raises(fa.EventAttributeError, match=r"short_term_memory\.when holds a"):
        mem.set("when", object())


def test_short_term_memory_is_per_key_and_sensory_is_per_input() -> None:
    def count(event, ctx):  # type: ignore[no-untyped-def]
        stm, sensory = ctx.short_term_memory, ctx.sensory_memory
        assert not sensory.is_exist("seen")  # cleared after every input
        sensory.set("seen", True)
        stm.set("n", stm.get("n", 0) + 1)
        ctx.send_event(fa.OutputEvent(output=[ctx.key, stm.get("n")]))

    agent = fa.Agent().add_action("count", [fa.InputEvent], count)
    inputs = [{"key": k, "value": 0} for k in "abab a"]
    run = fa.local().from_list(inputs).apply(agent).execute()
    assert run.result.output_values() == [
        ["a", 1],
        ["b", 1],
        ["a", 2],
        ["b", 2],
        [" ", 1],
        ["a", 3],
    ]


def test_failed_action_memory_writes_are_rolled_back() -> None:
    def flaky(event, ctx):  # type: ignore[no-untyped-def]
        ctx.short_term_memory.set("written", event.input)
        if event.input == "boom":
            raise RuntimeError("bad input")
        ctx.send_event(fa.OutputEvent(output=ctx.short_term_memory.get("written")))

    agent = fa.Agent().add_action("flaky", [fa.InputEvent], flaky)
    env = fa.local(error_handling_strategy="ignore")
    run = (
        env.from_list(
            [{"key": 1, "value": "ok"}, {"key": 1, "value": "boom"}, {"key": 1, "value": "again"}]
        )
        .apply(agent)
        .execute()
    )
    assert run.result.output_values() == ["ok", "again"]
    writes = [a.memory_writes for a in run.result.actions or []]
    assert writes == [
        [("short_term", "written", "ok")],
        [("short_term", "written", "boom")],
        [("short_term", "written", "again")],
    ]


def test_container_values_read_back_as_copies_so_writes_go_through_set() -> None:
    def add_item(event, ctx):  # type: ignore[no-untyped-def]
        items = ctx.short_term_memory.get("items", [])
        items.append(event.input)  # changes the copy only
        if event.input == "bad":
            raise ValueError("rejected")
        ctx.short_term_memory.set("items", items)
        ctx.send_event(fa.OutputEvent(output=items))

    agent = fa.Agent().add_action("add", [fa.InputEvent], add_item)
    run = (
        fa.local(error_handling_strategy="ignore")
        .from_list([{"key": 1, "value": v} for v in ("a", "bad", "b")])
        .apply(agent)
        .execute()
    )
    # The failed action's append did not leak into memory.
    assert run.result.output_values() == [["a"], ["a", "b"]]
    mem = memory()
    mem.set("cfg", {"depth": {"n": 1}})
    mem.get("cfg")["depth"]["n"] = 99
    assert mem.get("cfg.depth.n") == 1
