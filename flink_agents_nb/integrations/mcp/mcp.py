"""``flink_agents.integrations.mcp.mcp``."""

from __future__ import annotations

from flink_agents_runtime import MCPServer, MCPTool
from flink_agents_runtime.chat.tools._mcp import MCPPrompt

__all__ = ["MCPPrompt", "MCPServer", "MCPTool"]
