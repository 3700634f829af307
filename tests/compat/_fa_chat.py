"""What the compatibility tests' agents share, written with Flink Agents' own API: the chat
request their ``ask`` actions send, an agent answering with its chat model's reply, and one
input run through the local environment."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from flink_agents_nb.api.agents.agent import Agent
from flink_agents_nb.api.agents.types import OutputSchema
from flink_agents_nb.api.chat_message import ChatMessage, MessageRole
from flink_agents_nb.api.decorators import action
from flink_agents_nb.api.events.chat_event import ChatRequestEvent, ChatResponseEvent
from flink_agents_nb.api.events.event import Event, InputEvent, OutputEvent
from flink_agents_nb.api.execution_environment import AgentsExecutionEnvironment
from flink_agents_nb.api.runner_context import RunnerContext


def ask_model(
    event: Event, ctx: RunnerContext, model: str, schema: type[BaseModel] | None = None
) -> None:
    """Send the input of ``event`` (an input event), as a user message, to the chat model
    setup ``model``, asking for ``schema`` as structured output when given (as FA's
    quickstarts do)."""
    text = InputEvent.from_event(event).input
    ctx.send_event(
        ChatRequestEvent(
            model=model,
            messages=[ChatMessage(role=MessageRole.USER, content=text)],
            output_schema=OutputSchema(output_schema=schema) if schema is not None else None,
        )
    )


class RepliesWithModel(Agent):
    """FA's chat example: the input goes to the chat model setup ``model``, the reply's
    content is the output. Subclasses declare the connection and the ``model`` setup."""

    @action(InputEvent.EVENT_TYPE)
    @staticmethod
    def ask(event: Event, ctx: RunnerContext) -> None:
        ask_model(event, ctx, "model")

    @action(ChatResponseEvent.EVENT_TYPE)
    @staticmethod
    def reply(event: Event, ctx: RunnerContext) -> None:
        ctx.send_event(OutputEvent(output=ChatResponseEvent.from_event(event).response.content))


def run_one(agent: Agent, value: Any, key: Any = "k") -> list[Any]:
    """The outputs of ``agent`` for one input (``key``, ``value``), run by FA's execution
    environment locally (``to_list``: one ``{key: output}`` dict per output)."""
    env = AgentsExecutionEnvironment.get_execution_environment()
    out = env.from_list([{"key": key, "value": value}]).apply(agent).to_list()
    env.execute()
    return out
