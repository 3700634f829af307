"""``flink_agents.integrations.mcp.mcp``."""

from __future__ import annotations

from flink_agents_runtime import MCPServer, MCPTool

__all__ = ["MCPServer", "MCPTool"]
