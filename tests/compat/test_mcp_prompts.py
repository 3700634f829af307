"""MCP prompts (Flink Agents' MCP test names one as a setup's ``prompt``): the server fills
the prompt with the request's ``prompt_args``; and an HTTP MCP server survives pickling (a
Flink job's payload)."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import flink_agents_nb as fa
from flink_agents_nb.api.agents.agent import Agent
from flink_agents_nb.api.chat_message import ChatMessage, MessageRole
from flink_agents_nb.api.decorators import (
    action,
    chat_model_connection,
    chat_model_setup,
    mcp_server,
)
from flink_agents_nb.api.events.chat_event import ChatRequestEvent, ChatResponseEvent
from flink_agents_nb.api.events.event import Event, InputEvent, OutputEvent
from flink_agents_nb.api.resource import ResourceDescriptor, ResourceName
from flink_agents_nb.api.runner_context import RunnerContext

SERVER = str(Path(__file__).resolve().parents[1] / "helpers" / "mcp_server.py")


class Totals(Agent):
    @mcp_server
    @staticmethod
    def calc() -> ResourceDescriptor:
        return ResourceDescriptor(
            clazz=ResourceName.MCP_SERVER, command=sys.executable, args=[SERVER], timeout=30
        )

    @chat_model_connection
    @staticmethod
    def llm() -> ResourceDescriptor:
        rules = [fa.ScriptRule(r"What is (\d+) plus (\d+)\?", reply="asked: {0}")]
        return ResourceDescriptor(fa.ScriptedChatModelConnection, rules=rules)

    @chat_model_setup
    @staticmethod
    def model() -> ResourceDescriptor:
        return ResourceDescriptor(
            fa.ChatModelSetup, connection="llm", prompt="ask_total", tools=["add"]
        )

    @action(InputEvent.EVENT_TYPE)
    @staticmethod
    def ask(event: Event, ctx: RunnerContext) -> None:
        numbers = InputEvent.from_event(event).input
        ctx.send_event(
            ChatRequestEvent(
                model="model",
                messages=[ChatMessage(role=MessageRole.USER)],
                prompt_args={"a": numbers["a"], "b": numbers["b"]},
            )
        )

    @action(ChatResponseEvent.EVENT_TYPE)
    @staticmethod
    def answer(event: Event, ctx: RunnerContext) -> None:
        ctx.send_event(OutputEvent(output=ChatResponseEvent.from_event(event).response.content))


def test_a_setup_prompt_served_by_an_mcp_server() -> None:
    run = fa.local().from_list([{"key": 1, "value": {"a": 2, "b": 40}}]).apply(Totals()).execute()
    assert run.result.output_values() == ["asked: What is 2 plus 40?"]


def test_mcp_prompt_resource_fills_from_the_server() -> None:
    server = fa.MCPServer(sys.executable, [SERVER], timeout=30)
    try:
        prompt = server.get_prompt_resource("ask_total")
        assert prompt is not None and prompt.arguments == ["a", "b"]
        (message,) = prompt.format_messages(a=1, b=2)
        assert message.role is MessageRole.USER
        assert message.content == "What is 1 plus 2? Use the add tool."
        assert server.get_prompt_resource("nope") is None
    finally:
        server.close()


def test_an_http_mcp_server_survives_pickling() -> None:
    server = fa.MCPServer(endpoint="http://127.0.0.1:9/mcp", timeout=3)
    back = pickle.loads(pickle.dumps(server))
    assert back.endpoint == "http://127.0.0.1:9/mcp" and back.timeout == 3
