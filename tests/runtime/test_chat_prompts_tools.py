"""Prompts, chat messages and tools from Python callables."""

from __future__ import annotations

from typing import Literal

import pytest

from flink_agents_runtime import (
    ChatMessage,
    MessageRole,
    Prompt,
    PromptError,
    ResourceDescriptor,
    ScriptedChatModelConnection,
    Tool,
    ToolArgumentError,
)
from flink_agents_runtime.chat._message import normalize_tool_call
from flink_agents_runtime.chat.tools._tool import run_tool


def test_prompt_from_text_fills_named_arguments_and_keeps_json_braces() -> None:
    p = Prompt.from_text('Triage for {team}; answer like {"priority": "..."}; {{literal}}')
    assert p.arguments == ["team"]
    assert p.format_string(team="billing", extra="ignored") == (
        'Triage for billing; answer like {"priority": "..."}; {literal}'
    )
    msgs = p.format_messages(team="ops")
    assert [(m.role, m.content[:14]) for m in msgs] == [(MessageRole.SYSTEM, "Triage for ops")]


def test_prompt_missing_arguments_are_an_error_naming_them() -> None:
    p = Prompt.from_messages(
        [
            ChatMessage(MessageRole.SYSTEM, "You work for {company} in {city}."),
            ChatMessage(MessageRole.USER, "Ticket: {ticket}"),
        ]
    )
    with pytest.raises(PromptError) as info:
        p.format_messages(ticket="t1")
    assert info.value.missing == ["city", "company"]
    assert "['city', 'company']" in str(info.value)
    msgs = p.format_messages(company="ACME", city="Oslo", ticket="t1")
    assert [m.role.value for m in msgs] == ["system", "user"]
    assert msgs[1].content == "Ticket: t1"
    assert (
        p.format_string(company="A", city="B", ticket="C")
        == "system: You work for A in B.\nuser: Ticket: C"
    )


def test_chat_message_round_trips_through_dicts() -> None:
    m = ChatMessage(
        "assistant",  # type: ignore[arg-type]  # a str role is coerced to MessageRole
        "hi",
        tool_calls=[{"id": "c1", "type": "function", "function": {"name": "f", "arguments": {}}}],
        extra_args={"model_name": "m"},
    )
    assert m.role is MessageRole.ASSISTANT
    again = ChatMessage.from_dict(m.to_dict())
    assert again == m
    assert str(ChatMessage.coerce("hello")) == "user: hello"


def test_tool_call_shapes_are_normalized_and_bad_arguments_rejected() -> None:
    openai_shape = {
        "id": "x",
        "type": "function",
        "function": {"name": "f", "arguments": '{"a": 1}'},
    }
    assert normalize_tool_call(openai_shape, 0)["function"]["arguments"] == {"a": 1}
    assert normalize_tool_call({"name": "g"}, 3) == {
        "id": "call_3",
        "type": "function",
        "function": {"name": "g", "arguments": {}},
    }
    with pytest.raises(ValueError, match="not valid JSON"):
        normalize_tool_call({"function": {"name": "f", "arguments": "{oops"}}, 0)


def lookup_order(order_id: str, include_items: bool = False, limit: int | None = None) -> dict:
    """Look an order up in the order system.

    More text that is not the summary.

    Args:
        order_id: the order number, as printed on the receipt.
        include_items (bool): also list the items.
    """
    return {"order": order_id, "items": include_items, "limit": limit}


def test_tool_schema_comes_from_signature_and_docstring() -> None:
    t = Tool.from_callable(lookup_order)
    assert t.name == "lookup_order"
    assert t.description == "Look an order up in the order system."
    assert t.parameters == {
        "type": "object",
        "properties": {
            "order_id": {
                "type": "string",
                "description": "the order number, as printed on the receipt.",
            },
            "include_items": {
                "type": "boolean",
                "description": "also list the items.",
                "default": False,
            },
            "limit": {"type": "integer", "default": None},
        },
        "required": ["order_id"],
    }
    assert t.to_openai()["function"]["name"] == "lookup_order"


def test_tool_schema_sphinx_params_literal_and_lists() -> None:
    def route(team: Literal["billing", "tech"], tags: list[str], score: float) -> str:
        """Route a ticket.

        :param team: where it goes.
        """
        return team

    t = Tool.from_callable(route, name="route_ticket")
    assert t.name == "route_ticket"
    props = t.parameters["properties"]
    assert props["team"] == {"enum": ["billing", "tech"], "description": "where it goes."}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert props["score"] == {"type": "number"}
    assert t.validate({"team": "tech", "tags": ["a"], "score": 1}) == {
        "team": "tech",
        "tags": ["a"],
        "score": 1,
    }
    with pytest.raises(ToolArgumentError, match=r"'team' must be one of \['billing', 'tech'\]"):
        t.validate({"team": "sales", "tags": [], "score": 1.0})
    with pytest.raises(ToolArgumentError, match=r"'tags\[1\]' must be a string"):
        t.validate({"team": "tech", "tags": ["a", 2], "score": 1.0})


def test_tool_arguments_are_validated_before_the_call() -> None:
    calls: list[dict] = []

    def count(n: int) -> int:
        calls.append({"n": n})
        return n

    t = Tool.from_callable(count)
    with pytest.raises(ToolArgumentError, match=r"missing required argument\(s\) \['n'\]"):
        t.validate({})
    with pytest.raises(ToolArgumentError, match=r"unknown argument\(s\) \['m'\]"):
        t.validate({"n": 1, "m": 2})
    with pytest.raises(ToolArgumentError, match="'n' must be an integer, got bool"):
        t.validate({"n": True})
    bad = run_tool(t, {"n": "3"})
    assert bad == {
        "ok": False,
        "content": "Error: ToolArgumentError: tool 'count': argument 'n' must be an integer, "
        "got str '3'",
    }
    assert calls == []  # never called with bad arguments
    assert run_tool(t, {"n": 3}) == {"ok": True, "content": 3}
    # JSON Schema's integer takes 2.0 (models write it); the function gets an int
    assert run_tool(t, {"n": 2.0}) == {"ok": True, "content": 2}
    assert type(calls[-1]["n"]) is int
    with pytest.raises(ToolArgumentError, match=r"'n' must be an integer, got float 2\.5"):
        t.validate({"n": 2.5})


def test_tool_errors_and_odd_results_become_answers() -> None:
    def boom() -> None:
        raise RuntimeError("database is down")

    def odd() -> object:
        return {1, 2}

    assert run_tool(Tool.from_callable(boom), {}) == {
        "ok": False,
        "content": "Error: RuntimeError: database is down",
    }
    assert run_tool(Tool.from_callable(odd), {}) == {"ok": True, "content": "{1, 2}"}


def test_resource_descriptor_builds_by_class_or_dotted_name_and_masks_secrets() -> None:
    d = ResourceDescriptor(
        "flink_agents_runtime.ScriptedChatModelConnection", default_reply="ok", api_key="sk-123"
    )
    assert "sk-123" not in repr(d)
    assert "api_key=****" in repr(d)
    d2 = ResourceDescriptor(ScriptedChatModelConnection, {"default_reply": "ok"})
    conn = d2.build()
    assert isinstance(conn, ScriptedChatModelConnection)
    assert conn.chat([ChatMessage(content="x")]).content == "ok"
