"""``flink_agents.api.events.chat_event``."""

from __future__ import annotations

from flink_agents_runtime.chat._events import ChatRequestEvent, ChatResponseEvent

__all__ = ["ChatRequestEvent", "ChatResponseEvent"]
