"""Flink Agents 0.4's tool parameter injection (``@tool(injected_args=...)``), as its e2e
test and tool-use docs write it: the injected parameters are hidden from the model (the
loopback Ollama server sees the schema), filled from the agent configuration (a user key set
with ``set_str``) and the memories over what the model wrote, and a missing value fails
the call naming the parameter. Also ``tool.metadata`` as a user-written connection reads it."""

from __future__ import annotations

from typing import Any

import pytest

from flink_agents_nb.api.agents.agent import Agent
from flink_agents_nb.api.chat_message import ChatMessage, MessageRole
from flink_agents_nb.api.decorators import action, chat_model_setup, tool
from flink_agents_nb.api.events.chat_event import ChatRequestEvent, ChatResponseEvent
from flink_agents_nb.api.events.event import Event, InputEvent, OutputEvent
from flink_agents_nb.api.events.tool_event import ToolResponseEvent
from flink_agents_nb.api.execution_environment import AgentsExecutionEnvironment
from flink_agents_nb.api.resource import ResourceDescriptor, ResourceName, ResourceType
from flink_agents_nb.api.runner_context import RunnerContext
from flink_agents_nb.api.tools import InjectedArg
from flink_agents_runtime import ArgumentTypeError, ArgumentValueError, ConfigError, Tool
from tests.helpers.api_servers import OllamaServer


class OrderAgent(Agent):
    @tool(
        injected_args={
            "tenant_id": InjectedArg.from_config("tenant_id"),
            "trace": InjectedArg.from_sensory_memory("request.trace"),
            "region": {"source": "SHORT_TERM_MEMORY"},  # FA's dict form, keyed by the name
        }
    )
    @staticmethod
    def lookup_order(order_id: int, tenant_id: str, trace: str, region: str) -> str:
        """Look an order up in the caller's tenant.

        Parameters
        ----------
        order_id : int
            The order.
        """
        return f"{tenant_id}/{region}/{order_id}@{trace}"

    @chat_model_setup
    @staticmethod
    def model() -> ResourceDescriptor:
        return ResourceDescriptor(
            clazz=ResourceName.ChatModel.OLLAMA_SETUP,
            connection="ollama",
            model="tool-caller",
            tools=["lookup_order"],
        )

    @action(InputEvent.EVENT_TYPE)
    @staticmethod
    def ask(event: Event, ctx: RunnerContext) -> None:
        ctx.sensory_memory.set("request.trace", f"t-{ctx.key}")
        if ctx.key != "no-region":
            ctx.short_term_memory.set("region", "eu")
        text = str(InputEvent.from_event(event).input)
        message = ChatMessage(role=MessageRole.USER, content=text)
        ctx.send_event(ChatRequestEvent(model="model", messages=[message]))

    @action(ToolResponseEvent.EVENT_TYPE)
    @staticmethod
    def note(event: Event, ctx: RunnerContext) -> None:
        ctx.sensory_memory.set("failed", bool(ToolResponseEvent.from_event(event).error))

    @action(ChatResponseEvent.EVENT_TYPE)
    @staticmethod
    def answer(event: Event, ctx: RunnerContext) -> None:
        content = ChatResponseEvent.from_event(event).response.content
        ctx.send_event(OutputEvent(output=[content, ctx.sensory_memory.get("failed")]))


def test_injected_parameters_are_hidden_and_filled_by_the_framework() -> None:
    with OllamaServer() as server:
        env = AgentsExecutionEnvironment.get_execution_environment()
        env.get_config().set_str("tenant_id", "tenant-python")  # FA's custom key
        env.add_resource(
            "ollama",
            ResourceType.CHAT_MODEL_CONNECTION,
            ResourceDescriptor(clazz=ResourceName.ChatModel.OLLAMA_CONNECTION, base_url=server.url),
        )
        inputs = [{"key": "k1", "value": "order 12"}, {"key": "no-region", "value": "order 7"}]
        out = env.from_list(inputs).apply(OrderAgent()).to_list()
        env.execute()
        sent = server.requests[0]["body"]["tools"][0]["function"]
    assert sent["name"] == "lookup_order"
    assert list(sent["parameters"]["properties"]) == ["order_id"]  # injected ones hidden
    assert out[0] == {"k1": ["result: tenant-python/eu/12@t-k1", False]}
    ((key, (answer, failed)),) = out[1].items()
    assert key == "no-region" and failed is True
    assert answer == "result: Tool `lookup_order` execute failed."  # the detail: the event's


def test_metadata_and_bad_injection_declarations() -> None:
    def ship(order_id: int, tenant: str) -> str:
        """Ship an order.

        Parameters
        ----------
        order_id : int
            The order.
        """
        return f"{tenant}:{order_id}"

    shipped = Tool.from_callable(ship, injected_args={"tenant": InjectedArg.from_config("t")})
    metadata: Any = shipped.metadata
    assert (metadata.name, metadata.description) == ("ship", "Ship an order.")
    assert metadata.get_parameters_dict() == shipped.parameters
    assert list(shipped.parameters["properties"]) == ["order_id"]
    assert metadata.args_schema.model_json_schema()["required"] == ["order_id"]
    assert shipped.call(order_id=3, tenant="t1") == "t1:3"
    with pytest.raises(ArgumentValueError, match=r"\['tenant_ids'\] are not parameters"):
        Tool.from_callable(ship, injected_args={"tenant_ids": InjectedArg.from_config("t")})
    with pytest.raises(ArgumentValueError, match=r"\['tenants'\] are not parameters"):
        tool(injected_args={"tenants": InjectedArg.from_config("t")})(ship)  # when marked
    with pytest.raises(ArgumentTypeError, match="must map parameter names"):
        tool(injected_args=["tenant"])(ship)  # type: ignore[arg-type]
    env = AgentsExecutionEnvironment.get_execution_environment()
    with pytest.raises(ConfigError, match=r"did you mean 'event-log\.level'"):
        env.get_config().set_str("event-log.levl", "VERBOSE")  # a typo stays an error
