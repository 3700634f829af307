"""A support agent for the time-travel and evaluation tests: memory, a prompt, a tool.

Per input: ``ask`` (short-term ``count`` += 1; the prompt's ``tone`` from short-term
``tone``, default ``friendly``) -> the built-in chat loop (the scripted model calls
``lookup_order`` for "order N") -> ``answer`` (output ``{"reply", "count"}``). The scripted
model's reply quotes the system prompt, so a prompt edit changes the outputs. Every model and
tool call is counted in :data:`CALLS`, so tests can check that a replay calls nothing.
"""

from __future__ import annotations

from typing import Any

import flink_agents_nb as fa

CALLS: list[str] = []


class CountingModel(fa.ScriptedChatModelConnection):
    """The scripted model, counting its calls in :data:`CALLS`."""

    def chat(self, messages: Any, tools: Any = None, **kwargs: Any) -> fa.ChatMessage:
        CALLS.append("model")
        return super().chat(messages, tools, **kwargs)


def _reply(messages: list[fa.ChatMessage], match: Any) -> str:
    system = messages[0].content if messages[0].role is fa.MessageRole.SYSTEM else ""
    return f"[{system}] re: {messages[-1].content}"


RULES = [
    fa.ScriptRule(
        r"order (\d+)", tool_calls=[{"name": "lookup_order", "arguments": {"order_id": "{1}"}}]
    ),
    fa.ScriptRule(None, role="tool", reply="order status {content}"),
    fa.ScriptRule(None, reply=_reply),
]
PROMPT = "You answer for {team}. Tone: {tone}."


class Support(fa.Agent):
    @fa.chat_model_connection
    @staticmethod
    def model() -> fa.ResourceDescriptor:
        return fa.ResourceDescriptor(CountingModel, rules=RULES)

    @fa.chat_model_setup
    @staticmethod
    def support_model() -> fa.ResourceDescriptor:
        return fa.ResourceDescriptor(
            fa.ChatModelSetup,
            connection="model",
            model="support-v1",
            prompt="support_prompt",
            tools=["lookup_order"],
        )

    @fa.prompt
    @staticmethod
    def support_prompt() -> fa.Prompt:
        return fa.Prompt.from_text(PROMPT)

    @fa.tool
    @staticmethod
    def lookup_order(order_id: str) -> dict:
        """Look an order up.

        Args:
            order_id: the order number.
        """
        CALLS.append("tool")
        return {"order": order_id, "status": "shipped"}

    @fa.action(fa.InputEvent)
    @staticmethod
    def ask(event: Any, ctx: Any) -> None:
        stm = ctx.short_term_memory
        stm.set("count", (stm.get("count") or 0) + 1)
        tone = stm.get("tone") or "friendly"
        message = fa.ChatMessage(fa.MessageRole.USER, str(event.input))
        ctx.send_event(
            fa.ChatRequestEvent("support_model", [message], {"team": "support", "tone": tone})
        )

    @fa.action(fa.ChatResponseEvent)
    @staticmethod
    def answer(event: Any, ctx: Any) -> None:
        count = ctx.short_term_memory.get("count")
        ctx.send_event(fa.OutputEvent({"reply": event.response.content, "count": count}))


class TerseSupport(Support):
    """The same agent with an edited prompt (a new prompt version)."""

    @fa.prompt
    @staticmethod
    def support_prompt() -> fa.Prompt:
        return fa.Prompt.from_text("Be terse. Team {team}, tone {tone}.")


INPUTS = [
    {"key": "ada", "value": "where is order 7"},
    {"key": "bob", "value": "hello"},
    {"key": "ada", "value": "thanks"},
    {"key": "ada", "value": "bye"},
]


def record() -> fa.Run:
    """A recorded run of :class:`Support` over :data:`INPUTS`."""
    return fa.local().from_list(INPUTS).apply(Support()).execute()
