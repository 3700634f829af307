"""Common mistakes get errors that name the thing and say what would be right."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

import flink_agents_nb as fa


def _fail_with(agent: fa.Agent) -> BaseException:
    with pytest.raises(fa.ActionFailedError) as info:
        fa.local().from_list([{"key": "ada", "value": "hi"}]).apply(agent).execute()
    cause = info.value.__cause__
    assert cause is not None
    return cause


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (object(), "a value of type object,"),
        ({1, 2}, "a value of type set,"),
        (dt.date(2024, 1, 1), "a value of type datetime.date,"),
        (pd.Timestamp("2024-01-01"), "a value of type pandas.Timestamp,"),  # not pandas._libs...
    ],
)
def test_a_non_json_attribute_names_its_path_and_public_type(value: Any, shown: str) -> None:
    def send(event: Any, ctx: Any) -> None:
        ctx.send_event(fa.Event(type="note", when=value))

    cause = _fail_with(fa.Agent().add_action("send", [fa.InputEvent], send))
    assert isinstance(cause, fa.EventAttributeError)
    assert f"event attribute note.attributes.when holds {shown} which is not JSON" in str(cause)


def _chat_agent(request_model: str, connection: str) -> fa.Agent:
    agent = fa.Agent()
    agent.add_resource(
        "llm",
        fa.ResourceType.CHAT_MODEL_CONNECTION,
        fa.ResourceDescriptor(
            fa.ScriptedChatModelConnection, rules=[fa.ScriptRule(None, reply="ok")]
        ),
    )
    agent.add_resource(
        "triage",
        fa.ResourceType.CHAT_MODEL,
        fa.ResourceDescriptor(fa.ChatModelSetup, connection=connection, model="m"),
    )

    def ask(event: Any, ctx: Any) -> None:
        ctx.send_event(fa.ChatRequestEvent(request_model, [fa.ChatMessage(content=event.input)]))

    agent.add_action("ask", [fa.InputEvent], ask)
    agent.add_action(
        "out", [fa.ChatResponseEvent], lambda e, ctx: ctx.send_event(fa.OutputEvent("done"))
    )
    return agent


def test_a_misspelt_chat_model_name_suggests_the_declared_one() -> None:
    cause = _fail_with(_chat_agent("triag", "llm"))
    assert isinstance(cause, fa.ResourceError)
    assert str(cause).startswith("no chat_model named 'triag' (did you mean 'triage'?); declared:")


def test_a_setup_naming_a_missing_connection_is_named_as_the_asker() -> None:
    cause = _fail_with(_chat_agent("triage", "lm"))
    assert isinstance(cause, fa.ResourceError)
    assert str(cause).startswith(
        "no chat_model_connection named 'lm' (named by chat_model 'triage'; did you mean 'llm'?)"
    )


def test_a_resource_name_far_from_any_declared_one_lists_the_declared_names() -> None:
    def fetch(event: Any, ctx: Any) -> None:
        ctx.get_resource("weather_api")

    agent = _chat_agent("triage", "llm").add_action("fetch", [fa.InputEvent], fetch)
    cause = _fail_with(agent)
    assert str(cause) == (
        "no resource named 'weather_api'; declared: "
        "{'chat_model_connection': ['llm'], 'chat_model': ['triage']}"
    )


def test_a_forgotten_staticmethod_is_named_as_the_likely_cause() -> None:
    class Forgetful(fa.Agent):
        @fa.action(fa.InputEvent)
        def answer(event, ctx):  # type: ignore[no-untyped-def]
            ctx.send_event(fa.OutputEvent(event.input))

    with pytest.raises(fa.FlinkAgentsError) as info:
        fa.local().from_list([{"key": "k", "value": 1}]).apply(Forgetful()).execute()
    text = str(info.value)
    assert "must take (event, ctx), but its signature is (ctx)" in text
    assert "add @staticmethod under @action" in text and "def answer(self, event, ctx)" in text


def test_a_prompt_alone_is_matched_by_default_script_rules() -> None:
    class PromptOnly(fa.Agent):
        @fa.chat_model_connection
        @staticmethod
        def llm() -> fa.ResourceDescriptor:
            rules = [fa.ScriptRule(r"ticket: (\w+)", reply="priority for {1}: P2")]
            return fa.ResourceDescriptor(fa.ScriptedChatModelConnection, rules=rules)

        @fa.prompt
        @staticmethod
        def classify() -> fa.Prompt:
            return fa.Prompt.from_text("Classify ticket: {ticket}")

        @fa.chat_model_setup
        @staticmethod
        def model() -> fa.ResourceDescriptor:
            return fa.ResourceDescriptor(
                fa.ChatModelSetup, connection="llm", model="m", prompt="classify"
            )

        @fa.action(fa.InputEvent)
        @staticmethod
        def ask(event: Any, ctx: Any) -> None:
            ctx.send_event(fa.ChatRequestEvent("model", [], {"ticket": event.input}))

        @fa.action(fa.ChatResponseEvent)
        @staticmethod
        def answer(event: Any, ctx: Any) -> None:
            ctx.send_event(fa.OutputEvent(event.response.content))

    run = fa.local().from_list([{"key": "k", "value": "printer"}]).apply(PromptOnly()).execute()
    assert run.to_list() == [{"k": "priority for printer: P2"}]
