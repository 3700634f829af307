"""A triage agent with one tool, one prompt and a scripted model (shared by chat tests)."""

from __future__ import annotations

from typing import Any

from flink_agents_runtime import (
    Agent,
    ChatMessage,
    ChatModelSetup,
    ChatRequestEvent,
    ChatResponseEvent,
    InputEvent,
    MessageRole,
    OutputEvent,
    Prompt,
    ResourceDescriptor,
    ScriptedChatModelConnection,
    ScriptRule,
    action,
    chat_model_connection,
    chat_model_setup,
    prompt,
    tool,
)

ORDER_RULES = [
    ScriptRule(
        r"order (\d+)",
        tool_calls=[{"name": "lookup_order", "arguments": {"order_id": "{1}"}}],
    ),
    ScriptRule(None, role="tool", reply="Status: {content}"),
    ScriptRule(r".+", reply="Thanks, we will look into it."),
]


class Triage(Agent):
    """One tool, one prompt, a scripted model; outputs the model's final answer."""

    @chat_model_connection
    @staticmethod
    def scripted() -> ResourceDescriptor:
        return ResourceDescriptor(ScriptedChatModelConnection, rules=ORDER_RULES)

    @chat_model_setup
    @staticmethod
    def triage_model() -> ResourceDescriptor:
        return ResourceDescriptor(
            ChatModelSetup,
            connection="scripted",
            model="triage-v1",
            prompt="system_prompt",
            tools=["lookup_order"],
        )

    @prompt
    @staticmethod
    def system_prompt() -> Prompt:
        return Prompt.from_text("You triage tickets for {team}.")

    @tool
    @staticmethod
    def lookup_order(order_id: str) -> dict:
        """Look an order up.

        Args:
            order_id: the order number.
        """
        if order_id == "13":
            raise LookupError(f"order {order_id} is archived")
        return {"order": order_id, "status": "shipped"}

    @action(InputEvent)
    @staticmethod
    def ask(event: InputEvent, ctx: Any) -> None:
        ctx.send_event(
            ChatRequestEvent(
                "triage_model", [ChatMessage(MessageRole.USER, event.input)], {"team": "support"}
            )
        )

    @action(ChatResponseEvent)
    @staticmethod
    def answer(event: ChatResponseEvent, ctx: Any) -> None:
        ctx.send_event(OutputEvent(event.response.content))


def triage_variant(rules: list[ScriptRule], **setup: Any) -> type[Triage]:
    """The triage agent with another script (``rules``) and another chat model setup:
    ``setup`` are its :class:`ChatModelSetup` fields besides the connection (``model``,
    ``tools``...)."""

    class Variant(Triage):
        @staticmethod
        def scripted() -> ResourceDescriptor:
            return ResourceDescriptor(ScriptedChatModelConnection, rules=rules)

        @staticmethod
        def triage_model() -> ResourceDescriptor:
            return ResourceDescriptor(ChatModelSetup, connection="scripted", **setup)

    return Variant


def delegating_triage(subagent: str, **setup: Any) -> type[Triage]:
    """The triage agent whose model hands ``order N`` to the sub-agent resource ``subagent``
    (its tool ``_subagent_<subagent>``) and answers ``Answer: <the sub-agent's reply>``;
    ``setup``: more chat model setup fields."""
    tool = f"_subagent_{subagent}"
    rules = [
        ScriptRule(
            r"order (\d+)", tool_calls=[{"name": tool, "arguments": {"prompt": "order {1}"}}]
        ),
        ScriptRule(None, role="tool", reply="Answer: {content}"),
    ]
    return triage_variant(rules, tools=[tool], **setup)
