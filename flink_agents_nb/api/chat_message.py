"""``flink_agents.api.chat_message``."""

from __future__ import annotations

from flink_agents_runtime.chat._message import ChatMessage, MessageRole

__all__ = ["ChatMessage", "MessageRole"]
