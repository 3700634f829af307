"""``flink_agents.api.chat_models.java_chat_model``: Java chat models are refused (the kit
runs Python resources only)."""

from __future__ import annotations

from typing import Any

from flink_agents_runtime._errors import ResourceError


class JavaChatModelConnection:
    """Refused: a Java chat-model connection cannot run in flink-agents-nb."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ResourceError(
            f"{type(self).__name__}: flink-agents-nb runs Python resources only; use the "
            "Python connection of the same provider (ResourceName.ChatModel.*)"
        )


class JavaChatModelSetup(JavaChatModelConnection):
    """Refused: a Java chat-model setup cannot run in flink-agents-nb."""


__all__ = ["JavaChatModelConnection", "JavaChatModelSetup"]
