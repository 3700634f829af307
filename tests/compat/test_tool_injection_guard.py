"""What a model writes for an injected tool parameter never reaches the tool: the built-in
tool action, a call re-routed to another tool (a replay's or fork's ``with_resource``) and
``Tool.validate`` all drop it and the framework's value wins; an injection failure tells
the model only "Tool `x` execute failed." (as Flink Agents) and keeps the detail in the
tool response event's ``error``; conflicting declarations and unknown sources are errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import flink_agents_nb as fa
from flink_agents_nb.api.agents.agent import Agent
from flink_agents_nb.api.chat_message import ChatMessage, MessageRole
from flink_agents_nb.api.decorators import action, chat_model_connection, chat_model_setup, tool
from flink_agents_nb.api.events.chat_event import ChatRequestEvent, ChatResponseEvent
from flink_agents_nb.api.events.event import Event, InputEvent, OutputEvent
from flink_agents_nb.api.events.tool_event import ToolResponseEvent
from flink_agents_nb.api.resource import ResourceDescriptor
from flink_agents_nb.api.runner_context import RunnerContext
from flink_agents_nb.api.tools import InjectedArg
from flink_agents_runtime import AgentConfiguration, ArgumentValueError, CallSite, Tool
from flink_agents_runtime.timetravel import Item, run_inputs

EVIL_CALL = {"name": "lookup", "arguments": {"order_id": 12, "tenant_id": "evil"}}


class Shop(Agent):
    """A scripted model asks for ``lookup`` writing ``tenant_id`` itself ("evil"); the
    tool's ``tenant_id`` is injected from the configuration (``good``), its ``region`` from
    the sensory memory (absent for the key ``no-region``)."""

    @chat_model_connection
    @staticmethod
    def llm() -> ResourceDescriptor:
        rules = [
            fa.ScriptRule(r"order", tool_calls=[EVIL_CALL]),
            fa.ScriptRule(None, role="tool", reply="done"),
        ]
        return ResourceDescriptor(fa.ScriptedChatModelConnection, rules=rules)

    @chat_model_setup
    @staticmethod
    def model() -> ResourceDescriptor:
        return ResourceDescriptor(fa.ChatModelSetup, connection="llm", tools=["lookup"])

    @tool(
        injected_args={
            "tenant_id": InjectedArg.from_config("tenant_id"),
            "region": InjectedArg.from_sensory_memory("region"),
        }
    )
    @staticmethod
    def lookup(order_id: int, tenant_id: str, region: str) -> str:
        """Look an order up.

        Args:
            order_id: the order.
        """
        return f"{tenant_id}/{region}/{order_id}"

    @action(InputEvent.EVENT_TYPE)
    @staticmethod
    def ask(event: Event, ctx: RunnerContext) -> None:
        if ctx.key != "no-region":
            ctx.sensory_memory.set("region", "eu")
        text = str(InputEvent.from_event(event).input)
        ctx.send_event(
            ChatRequestEvent(model="model", messages=[ChatMessage(MessageRole.USER, text)])
        )

    @action(ToolResponseEvent.EVENT_TYPE)
    @staticmethod
    def note(event: Event, ctx: RunnerContext) -> None:
        response = ToolResponseEvent.from_event(event)
        seen = {"answers": list(response.responses.values()), "error": response.error}
        ctx.short_term_memory.set("seen", seen)

    @action(ChatResponseEvent.EVENT_TYPE)
    @staticmethod
    def answer(event: Event, ctx: RunnerContext) -> None:
        ctx.send_event(OutputEvent(output=ctx.short_term_memory.get("seen")))


def test_the_model_cannot_choose_an_injected_value() -> None:
    env = fa.local()
    env.get_config().set_str("tenant_id", "good")
    run = env.from_list([{"key": "k", "value": "order 12"}]).apply(Shop()).execute()
    (seen,) = run.result.output_values()
    assert seen == {"answers": ["good/eu/12"], "error": {}}


def test_an_injection_failure_tells_the_model_little_and_the_event_all() -> None:
    env = fa.local()
    env.get_config().set_str("tenant_id", "good")
    run = env.from_list([{"key": "no-region", "value": "order 12"}]).apply(Shop()).execute()
    (seen,) = run.result.output_values()
    assert seen["answers"] == ["Tool `lookup` execute failed."]
    (detail,) = seen["error"].values()
    assert "injected parameter 'region'" in detail and "sensory_memory" in detail


class Rerouted:
    """A call source that makes every tool call with the tool again through the site's
    ``with_resource`` (as a fork that swaps a tool does)."""

    def resolve(self, site: CallSite, live: Callable[[], Any]) -> Callable[[], Any]:
        if site.kind == "tool" and site.with_resource is not None:
            return site.with_resource(site.resource)
        return live


def test_a_rerouted_tool_call_is_injected_too() -> None:
    conf = AgentConfiguration().set_str("tenant_id", "good")
    result = run_inputs(Shop(), [Item("k", "order 12", 0)], conf, call_source=Rerouted())
    (output,) = result.result.outputs
    assert output.value == {"answers": ["good/eu/12"], "error": {}}


def ship(order_id: int, tenant: str) -> str:
    """Ship an order."""
    return f"{tenant}:{order_id}"


def test_validate_drops_what_the_model_wrote_for_an_injected_name() -> None:
    shipped = Tool.from_callable(ship, injected_args={"tenant": InjectedArg.from_config("t")})
    assert shipped.validate({"order_id": 3, "tenant": "evil"}) == {"order_id": 3}
    assert shipped.call(order_id=3, tenant="t1") == "t1:3"  # a direct call passes it


def test_conflicting_injection_declarations_raise() -> None:
    marked = tool(injected_args={"tenant": InjectedArg.from_config("t")})(ship)
    same = Tool.from_callable(marked, injected_args={"tenant": InjectedArg.from_config("t")})
    assert same.injected_args == {"tenant": InjectedArg.from_config("t")}
    with pytest.raises(ArgumentValueError, match=r"'ship'.*'tenant'.*config 't'.*config 'u'"):
        Tool.from_callable(marked, injected_args={"tenant": InjectedArg.from_config("u")})


def test_an_unknown_injection_source_is_the_kits_error() -> None:
    with pytest.raises(ArgumentValueError, match=r"'bogus'.*config, sensory_memory"):
        InjectedArg(source="bogus")  # type: ignore[arg-type]
    with pytest.raises(ArgumentValueError, match=r"'bogus'"):
        InjectedArg.model_validate({"source": "bogus"})
