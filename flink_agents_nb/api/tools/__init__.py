"""``flink_agents.api.tools``: 0.4's tool parameter injection names."""

from __future__ import annotations

from flink_agents_runtime.api._injection import InjectedArg, ToolParameterSource

__all__ = ["InjectedArg", "ToolParameterSource"]
