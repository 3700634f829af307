"""``flink_agents.api.tools.tool``."""

from __future__ import annotations

from flink_agents_runtime.chat.tools._tool import Tool
from flink_agents_runtime.compat._names import ToolMetadata, ToolType

__all__ = ["Tool", "ToolMetadata", "ToolType"]
