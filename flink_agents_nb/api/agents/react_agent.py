"""``flink_agents.api.agents.react_agent``."""

from __future__ import annotations

from flink_agents_runtime import ReActAgent

__all__ = ["ReActAgent"]
