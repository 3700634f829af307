"""Agents over the loopback OpenAI-compatible servers (``async_openai_server``,
``openai_server``), shared by the scheduler, interleaving and rescale tests.

Each answers ``echo: <last user message>``, so an agent can read back what it asked.
"""

from __future__ import annotations

from typing import Any


def add_echo_model(agent: Any, url: str, model: str = "echo") -> Any:
    """Give ``agent`` the connection resource ``"llm"`` (OpenAI-compatible, at ``url``) and
    the chat model ``"model"`` (``model`` over it); returns ``agent``."""
    from flink_agents_runtime import (
        ChatModelSetup,
        OpenAIChatModelConnection,
        ResourceDescriptor,
        ResourceType,
    )

    agent.add_resource(
        "llm",
        ResourceType.CHAT_MODEL_CONNECTION,
        ResourceDescriptor(OpenAIChatModelConnection, base_url=url, api_key="test"),
    )
    agent.add_resource(
        "model",
        ResourceType.CHAT_MODEL,
        ResourceDescriptor(ChatModelSetup, connection="llm", model=model),
    )
    return agent


def memory_agent(url: str, model: str = "echo") -> Any:
    """Input ``"<key>:<n>"`` -> one model call -> output ``{"key", "n", "seen"}``, ``seen``
    being the key's inputs so far, read from its short-term memory (so per-key order is read
    from memory, not from the order outputs arrive in)."""
    from flink_agents_runtime import (
        Agent,
        ChatMessage,
        ChatRequestEvent,
        ChatResponseEvent,
        InputEvent,
        OutputEvent,
    )

    def out(event: Any, ctx: Any) -> None:
        key, n = event.response.content.removeprefix("echo: ").rsplit(":", 1)
        seen = [*(ctx.short_term_memory.get("seen") or []), int(n)]
        ctx.short_term_memory.set("seen", seen)
        ctx.send_event(OutputEvent({"key": key, "n": int(n), "seen": seen}))

    agent = add_echo_model(Agent(), url, model)
    agent.add_action(
        "ask",
        [InputEvent],
        lambda e, ctx: ctx.send_event(ChatRequestEvent("model", [ChatMessage(content=e.input)])),
    )
    agent.add_action("out", [ChatResponseEvent], out)
    return agent
