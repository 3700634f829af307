"""``flink_agents.api.tools.tool_parameter_injection`` (Flink Agents 0.4)."""

from __future__ import annotations

from flink_agents_runtime.api._injection import (
    InjectedArg,
    ToolParameterSource,
    normalize_injected_args,
)

__all__ = ["InjectedArg", "ToolParameterSource", "normalize_injected_args"]
