"""Flink Agents 0.4's properties of the built-in response events, read by an agent in FA's
shape: ``ToolResponseEvent.success`` / ``error`` / ``external_ids`` and
``ChatResponseEvent.retry_count`` / ``total_retry_wait_sec``."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

import flink_agents_nb as fa
from flink_agents_nb.api.agents.agent import Agent
from flink_agents_nb.api.chat_message import ChatMessage, MessageRole
from flink_agents_nb.api.decorators import action, chat_model_connection, chat_model_setup, tool
from flink_agents_nb.api.events.chat_event import ChatRequestEvent, ChatResponseEvent
from flink_agents_nb.api.events.event import Event, OutputEvent
from flink_agents_nb.api.events.event_type import EventType
from flink_agents_nb.api.events.tool_event import ToolResponseEvent
from flink_agents_nb.api.resource import ResourceDescriptor
from flink_agents_nb.api.runner_context import RunnerContext
from flink_agents_runtime.chat._events import failed_tool_calls


class Inventory(Agent):
    @chat_model_connection
    @staticmethod
    def llm() -> ResourceDescriptor:
        calls = [
            {"name": "stock", "arguments": {"sku": "a1"}},
            {"name": "stock", "arguments": {"sku": "zz"}},
        ]
        rules = [
            fa.ScriptRule(r"check", tool_calls=calls),
            fa.ScriptRule(None, role="tool", reply="done"),
        ]
        return ResourceDescriptor(fa.ScriptedChatModelConnection, rules=rules)

    @chat_model_setup
    @staticmethod
    def model() -> ResourceDescriptor:
        return ResourceDescriptor(fa.ChatModelSetup, connection="llm", tools=["stock"])

    @tool
    @staticmethod
    def stock(sku: str) -> int:
        """Units in stock.

        Args:
            sku: the item.
        """
        if sku == "zz":
            raise KeyError(sku)
        return 7

    @action(EventType.InputEvent)
    @staticmethod
    def ask(event: Event, ctx: RunnerContext) -> None:
        message = ChatMessage(role=MessageRole.USER, content="check the stock")
        ctx.send_event(ChatRequestEvent(model="model", messages=[message]))

    @action(EventType.ToolResponseEvent)
    @staticmethod
    def tools_done(event: Event, ctx: RunnerContext) -> None:
        response = ToolResponseEvent.from_event(event)
        outcome: dict[str, Any] = {
            "ok": sorted(response.success.values()),
            "errors": [e.split(":")[0] for e in response.error.values()],
            "ids": sorted(response.external_ids) == sorted(response.responses),
        }
        ctx.short_term_memory.set("outcome", outcome)

    @action(EventType.ChatResponseEvent)
    @staticmethod
    def answer(event: Event, ctx: RunnerContext) -> None:
        response = ChatResponseEvent.from_event(event)
        outcome = ctx.short_term_memory.get("outcome")
        retries = (response.retry_count, response.total_retry_wait_sec)
        ctx.send_event(OutputEvent(output={**outcome, "retries": list(retries)}))


def test_tool_and_chat_response_properties() -> None:
    run = fa.local().from_list([{"key": "k", "value": "go"}]).apply(Inventory()).execute()
    (out,) = run.result.output_values()
    assert out == {"ok": [False, True], "errors": ["Error"], "ids": True, "retries": [0, 0.0]}


class Relay(Agent):
    """Sends an event built with Flink Agents' ``id`` field and a ToolResponseEvent built
    with 0.4's ``success``/``error``; reads both back where an action receives them."""

    @action(EventType.InputEvent)
    @staticmethod
    def send(event: Event, ctx: RunnerContext) -> None:
        ctx.send_event(Event(type="marked", id=uuid.UUID(int=7), note="n"))
        ctx.send_event(
            ToolResponseEvent(
                request_id="r1",
                responses={"c1": 4, "c2": "Error: no stock"},
                success={"c1": True, "c2": False},
                error={"c2": "KeyError: 'zz'"},
            )
        )

    @action("marked")
    @staticmethod
    def marked(event: Event, ctx: RunnerContext) -> None:
        ctx.send_event(OutputEvent(output={"id": event.id, "attributes": event.attributes}))

    @action(EventType.ToolResponseEvent)
    @staticmethod
    def tools(event: Event, ctx: RunnerContext) -> None:
        response = ToolResponseEvent.from_event(event)
        ctx.send_event(OutputEvent(output={"success": response.success, "error": response.error}))


def test_events_built_with_flink_agents_fields() -> None:
    run = fa.local().from_list([{"key": "k", "value": "go"}]).apply(Relay()).execute()
    assert run.result.output_values() == [
        {"id": str(uuid.UUID(int=7)), "attributes": {"note": "n"}},
        {"success": {"c1": True, "c2": False}, "error": {"c2": "KeyError: 'zz'"}},
    ]


def test_response_events_take_flink_agents_uuid_ids() -> None:
    from flink_agents_nb.api.agents.react_agent import OutputSchema, ReActAgent
    from flink_agents_nb.api.events.context_retrieval_event import (
        ContextRetrievalResponseEvent,
    )

    assert (OutputSchema, ReActAgent) == (fa.OutputSchema, fa.ReActAgent)  # FA's re-export
    request, call = uuid.UUID(int=2), uuid.UUID(int=3)
    chat = ChatResponseEvent(
        request_id=request, response=ChatMessage(role=MessageRole.ASSISTANT, content="hi")
    )
    tools = ToolResponseEvent(
        request_id=request,
        responses={call: 5},
        external_ids={call: "toolu_1"},
        success={call: True},
    )
    retrieval = ContextRetrievalResponseEvent(request_id=request, query="q", documents=[])
    assert chat.request_id == tools.request_id == retrieval.request_id == str(request)
    assert (tools.responses, tools.external_ids, tools.success) == (
        {str(call): 5},
        {str(call): "toolu_1"},
        {str(call): True},
    )
    assert chat.model_dump()["attributes"]["request_id"] == str(request)


def test_tool_response_attributes_are_flink_agents_04s() -> None:
    event = ToolResponseEvent(
        request_id=uuid.UUID(int=2),
        responses={"call_aaaa": "pong", "call_bbbb": "Error: boom"},
        external_ids={"call_aaaa": None, "call_bbbb": None},
        errors=["call_bbbb"],
    )
    attributes = event.model_dump()["attributes"]
    assert list(attributes) == [
        "request_id",
        "responses",
        "success",
        "error",
        "external_ids",
        "errors",  # the kit's readers' list of failed calls
    ]
    assert attributes["success"] == {"call_aaaa": True, "call_bbbb": False}
    assert attributes["error"] == {"call_bbbb": "Error: boom"}
    read_back = ToolResponseEvent.from_event(Event.from_json(event.model_dump_json()))
    assert (read_back.success, read_back.error) == (attributes["success"], attributes["error"])


def test_tool_response_positional_order_is_flink_agents() -> None:
    # FA 0.4: (request_id, responses, external_ids, success, error); the kit's errors is
    # keyword-only, so a positional FA call lands success and error where FA puts them
    event = ToolResponseEvent("r", {"a": 1, "b": "no"}, {"a": None}, {"a": True, "b": False})
    assert event.success == {"a": True, "b": False}
    assert event.error == {"b": "no"}
    event = ToolResponseEvent("r", {"a": 1, "b": "no"}, None, None, {"b": "ValueError: x"})
    assert (event.success, event.error) == ({"a": True, "b": False}, {"b": "ValueError: x"})
    with pytest.raises(TypeError):
        ToolResponseEvent("r", {}, None, None, None, ["a"])  # type: ignore[call-arg]


def test_tool_response_none_entries_tell_nothing() -> None:
    # as failed_tool_calls reads a written event: failed when success is False or the
    # error is not None; None in either map is no failure
    event = ToolResponseEvent(
        "r", {"a": 1, "b": 2, "c": "bad"}, success={"a": None}, error={"b": None, "c": "x"}
    )
    assert event.success == {"a": True, "b": True, "c": False}
    assert event.error == {"c": "x"}
    assert event.attributes["errors"] == ["c"]
    assert failed_tool_calls(event.attributes) == {"c"}


def test_event_id_takes_a_uuid_or_a_uuid_string() -> None:
    from flink_agents_nb import EventAttributeError

    assert Event(type="t", id=uuid.UUID(int=7)).id == str(uuid.UUID(int=7))
    assert Event(type="t", id=uuid.UUID(int=8).hex).id == str(uuid.UUID(int=8))  # canonical
    for bad in ("not-a-uuid", 5, {"id": 1}):
        with pytest.raises(EventAttributeError, match=r"(?s)\bid\b.*uuid\.UUID") as err:
            Event(type="t", id=bad)
        assert getattr(err.value, "path", None) == "id"
