"""An agent that waits for chat responses but declares no chat model (nor does its
environment) is warned about before the run: Flink Agents' built-in actions would fail the
request naming the missing resource, here it would be dropped without a word."""

from __future__ import annotations

import logging

import pytest

import flink_agents_nb as fa
from flink_agents_nb.api.execution_environment import AgentsExecutionEnvironment
from flink_agents_nb.api.resource import ResourceDescriptor, ResourceType


class Asker(fa.Agent):
    @fa.action(fa.InputEvent)
    @staticmethod
    def ask(event: fa.Event, ctx: fa.RunnerContext) -> None:
        message = fa.ChatMessage(fa.MessageRole.USER, str(event.input))
        ctx.send_event(fa.ChatRequestEvent(model="helper", messages=[message]))

    @fa.action(fa.ChatResponseEvent)
    @staticmethod
    def reply(event: fa.Event, ctx: fa.RunnerContext) -> None:
        ctx.send_event(fa.OutputEvent(event.response.content))


def test_waiting_for_a_chat_model_nobody_declared_is_warned(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        run = fa.local().from_list([{"key": 1, "value": "hi"}]).apply(Asker()).execute()
    assert run.result.output_values() == []
    assert "action 'reply' listens to _chat_response_event" in caplog.text
    assert "a chat model setup (@chat_model_setup)" in caplog.text


def test_a_chat_model_on_the_environment_is_enough(caplog: pytest.LogCaptureFixture) -> None:
    env = AgentsExecutionEnvironment.get_execution_environment()
    rules = [fa.ScriptRule(None, reply="hello")]
    env.add_resource(
        "llm", ResourceType.CHAT_MODEL_CONNECTION, fa.ScriptedChatModelConnection(rules)
    )
    env.add_resource(
        "helper", ResourceType.CHAT_MODEL, ResourceDescriptor(fa.ChatModelSetup, connection="llm")
    )
    out = env.from_list([{"key": 1, "value": "hi"}]).apply(Asker()).to_list()
    with caplog.at_level(logging.WARNING):
        env.execute()
    assert out == [{1: "hello"}]
    assert "go unanswered" not in caplog.text
