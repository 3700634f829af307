"""``flink_agents.api.events.tool_event``."""

from __future__ import annotations

from flink_agents_runtime.chat._events import ToolRequestEvent, ToolResponseEvent

__all__ = ["ToolRequestEvent", "ToolResponseEvent"]
