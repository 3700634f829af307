"""Events, the @action decorator and Agent declarations."""

from __future__ import annotations

import pickle

import cloudpickle
import pytest

import flink_agents_nb as fa
from flink_agents_runtime.engine.plan._plan import AgentPlan


class Greeting(fa.Event):
    EVENT_TYPE = "greeting"


def test_event_holds_type_and_attributes_and_reads_them_as_attributes() -> None:
    event = fa.Event(type="order_placed", attributes={"order_id": 7}, total=9.5)
    assert event.type == "order_placed"
    assert event.attributes == {"order_id": 7, "total": 9.5}
    assert event.order_id == 7
    assert event.get_attr("missing") is None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = event.nope


def test_typed_event_uses_its_event_type_and_from_event_views_generic_events() -> None:
    generic = fa.Event(type="greeting", attributes={"name": "ada"})
    typed = Greeting.from_event(generic)
    assert isinstance(typed, Greeting)
    assert typed.name == "ada"
    assert typed.attributes is generic.attributes
    with pytest.raises(fa.AgentDefinitionError, match="cannot view an event of type 'other'"):
        Greeting.from_event(fa.Event(type="other"))
    assert fa.InputEvent.from_event(fa.Event(type="_input_event", input=3)).input == 3


def test_event_without_type_is_rejected() -> None:
    with pytest.raises(fa.AgentDefinitionError, match="non-empty str event type"):
        fa.Event()


def test_events_pickle_with_lineage() -> None:
    event = fa.OutputEvent(output={"a": 1})
    event.id, event.key, event.upstream_action_name = "e1", "k", "act"
    for dumps, loads in ((pickle.dumps, pickle.loads), (cloudpickle.dumps, cloudpickle.loads)):
        back = loads(dumps(event))
        assert (back.id, back.key, back.output, back.upstream_action_name) == (
            "e1",
            "k",
            {"a": 1},
            "act",
        )


def test_actions_are_inherited_and_can_be_overridden() -> None:
    class Base(fa.Agent):
        @fa.action(fa.InputEvent)
        @staticmethod
        def first(event, ctx):  # type: ignore[no-untyped-def]
            ctx.send_event(fa.OutputEvent(output="base"))

        @fa.action("other")
        @staticmethod
        def second(event, ctx):  # type: ignore[no-untyped-def]
            pass

    class Child(Base):
        @fa.action(fa.InputEvent)
        @staticmethod
        def first(event, ctx):  # type: ignore[no-untyped-def]
            ctx.send_event(fa.OutputEvent(output="child"))

        def second(self):  # type: ignore[no-untyped-def]  # no longer an action
            return None

    assert set(Base().actions) == {"first", "second"}
    assert set(Child().actions) == {"first"}
    run = fa.local().from_list([{"key": 1, "value": 0}]).apply(Child()).execute()
    assert run.result.output_values() == ["child"]


def test_action_may_be_a_plain_method_bound_to_the_agent() -> None:
    class Greeter(fa.Agent):
        def __init__(self, greeting: str) -> None:
            super().__init__()
            self.greeting = greeting

        @fa.action(fa.InputEvent)
        def greet(self, event, ctx):  # type: ignore[no-untyped-def]
            ctx.send_event(fa.OutputEvent(output=f"{self.greeting} {event.input}"))

    run = fa.local().from_list([{"key": 1, "value": "ada"}]).apply(Greeter("hi")).execute()
    assert run.result.output_values() == ["hi ada"]


def test_add_action_validates_name_events_and_signature() -> None:
    agent = fa.Agent()
    agent.add_action("echo", [fa.InputEvent], lambda e, ctx: None)
    with pytest.raises(fa.AgentDefinitionError, match="'echo' is already defined"):
        agent.add_action("echo", ["x"], lambda e, ctx: None)
    with pytest.raises(fa.AgentDefinitionError, match="listens to no event type"):
        agent.add_action("none", [], lambda e, ctx: None)
    with pytest.raises(fa.AgentDefinitionError, match=r"must take \(event, ctx\)"):
        agent.add_action("bad", ["x"], lambda e: None)
    with pytest.raises(fa.AgentDefinitionError, match="has no EVENT_TYPE"):
        agent.add_action("untyped", [fa.Event], lambda e, ctx: None)


def test_action_decorator_needs_an_event_type() -> None:
    with pytest.raises(fa.AgentDefinitionError, match="at least one event type"):
        fa.action()
    with pytest.raises(fa.AgentDefinitionError, match="event type strings or Event classes"):
        fa.action(42)  # type: ignore[arg-type]


def test_agent_without_actions_cannot_be_applied() -> None:
    with pytest.raises(fa.AgentDefinitionError, match="has no actions"):
        fa.local().from_list([]).apply(fa.Agent())


def test_the_plan_names_an_agent_by_its_plan_name_hook() -> None:
    """``Agent.plan_name`` / ``declared_at``: the class name and nothing by default; a
    subclass (as a YAML agent does) names its plan and where it is declared."""

    class Declared(fa.Agent):
        def plan_name(self) -> str:
            return "triage"

        def declared_at(self) -> str | None:
            return "agents.yaml:3"

    def echo(event: fa.Event, ctx: fa.RunnerContext) -> None:
        ctx.send_event(fa.OutputEvent(output=event.input))

    assert fa.Agent().plan_name() == "Agent" and fa.Agent().declared_at() is None
    plan = AgentPlan.from_agent(Declared().add_action("echo", [fa.InputEvent], echo))
    assert plan.name == "triage"
    with pytest.raises(fa.AgentDefinitionError) as err:
        fa.local().from_list([]).apply(Declared())
    assert str(err.value) == (
        "agent triage has no actions; declare one with @action(...) or add_action"
        " (a YAML agent: under its actions:, agents.yaml:3)"
    )


def test_add_action_config_reaches_ctx_action_config() -> None:
    seen = {}

    def record(event, ctx):  # type: ignore[no-untyped-def]
        seen.update(ctx.action_config)
        seen["limit"] = ctx.get_action_config_value("limit")
        seen["name"] = ctx.action_name

    agent = fa.Agent().add_action("rec", [fa.InputEvent], record, limit=3)
    fa.local().from_list([{"key": 1, "value": 1}]).apply(agent).execute()
    assert seen == {"limit": 3, "name": "rec"}
