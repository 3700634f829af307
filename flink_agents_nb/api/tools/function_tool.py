"""``flink_agents.api.tools.function_tool``."""

from __future__ import annotations

from flink_agents_runtime.chat.tools._tool import FunctionTool

__all__ = ["FunctionTool"]
