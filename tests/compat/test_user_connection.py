"""A chat model connection written as Flink Agents' own mock connections are: it calls
``_reject_unsupported_output_schema`` first, answers tool calls with a ``uuid.UUID`` id and
``ToolType.FUNCTION``, and is declared by its dotted class path."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import BaseModel

import flink_agents_nb as fa
from flink_agents_nb.api.agents.agent import Agent
from flink_agents_nb.api.agents.types import OutputSchema
from flink_agents_nb.api.chat_message import ChatMessage, MessageRole
from flink_agents_nb.api.chat_models.chat_model import BaseChatModelConnection
from flink_agents_nb.api.decorators import action, chat_model_connection, chat_model_setup, tool
from flink_agents_nb.api.events.chat_event import ChatResponseEvent
from flink_agents_nb.api.events.event import Event, InputEvent, OutputEvent
from flink_agents_nb.api.resource import ResourceDescriptor
from flink_agents_nb.api.runner_context import RunnerContext
from flink_agents_nb.api.tools.tool import ToolType
from tests.compat._fa_chat import ask_model


class Total(BaseModel):
    total: int


class CountingConnection(BaseChatModelConnection):
    """Asks for ``double`` once, then answers the tool's result as JSON."""

    def chat(
        self,
        messages: Sequence[ChatMessage],
        tools: list[Any] | None = None,
        output_schema: OutputSchema | None = None,
        **kwargs: Any,
    ) -> ChatMessage:
        self._reject_unsupported_output_schema(output_schema)
        last = messages[-1]
        if last.role == MessageRole.TOOL:
            return ChatMessage(role=MessageRole.ASSISTANT, content=f'{{"total": {last.content}}}')
        call = {
            "id": uuid.uuid4(),
            "type": ToolType.FUNCTION,
            "function": {"name": "double", "arguments": {"n": len(str(last.content))}},
        }
        return ChatMessage(role=MessageRole.ASSISTANT, content="", tool_calls=[call])


class Doubler(Agent):
    @chat_model_connection
    @staticmethod
    def conn() -> ResourceDescriptor:
        cls = CountingConnection
        return ResourceDescriptor(clazz=f"{cls.__module__}.{cls.__name__}")

    @chat_model_setup
    @staticmethod
    def model() -> ResourceDescriptor:
        return ResourceDescriptor(fa.ChatModelSetup, connection="conn", tools=["double"])

    @tool
    @staticmethod
    def double(n: int) -> int:
        """Double a number.

        Parameters
        ----------
        n : int
            The number.
        """
        return 2 * n

    @action(InputEvent.EVENT_TYPE)
    @staticmethod
    def ask(event: Event, ctx: RunnerContext) -> None:
        ask_model(event, ctx, "model", Total)

    @action(ChatResponseEvent.EVENT_TYPE)
    @staticmethod
    def done(event: Event, ctx: RunnerContext) -> None:
        response = ChatResponseEvent.from_event(event).response
        ctx.send_event(OutputEvent(output=response.extra_args["structured_output"]))


def test_a_connection_in_fa_shape_runs_the_tool_loop_with_a_schema() -> None:
    run = fa.local().from_list([{"key": "a", "value": "abc"}]).apply(Doubler()).execute()
    (out,) = run.result.output_values()
    assert (out.total if isinstance(out, Total) else out["total"]) == 6


def test_reject_unsupported_output_schema_names_the_connection() -> None:
    conn = CountingConnection()
    conn._reject_unsupported_output_schema(None)  # no schema: nothing to refuse
    schema = OutputSchema(output_schema=Total)
    with pytest.raises(NotImplementedError, match=r"CountingConnection cannot apply") as err:
        conn.chat([ChatMessage(role=MessageRole.USER, content="x")], output_schema=schema)
    assert isinstance(err.value, fa.FlinkAgentsError)
