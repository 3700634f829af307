"""``flink_agents.api.chat_message``."""

from __future__ import annotations

from collections.abc import Sequence

from flink_agents_runtime.chat._message import ChatMessage, MessageRole


def find_first_system_message(messages: Sequence[ChatMessage]) -> int:
    """The index of the first system message, or -1 (Flink Agents' helper)."""
    return next((i for i, m in enumerate(messages) if m.role is MessageRole.SYSTEM), -1)


__all__ = ["ChatMessage", "MessageRole", "find_first_system_message"]
