"""``flink_agents.runtime.local_execution_environment``."""

from __future__ import annotations

from flink_agents_runtime.compat._environment import (
    FALocalAgentBuilder,
    FALocalExecutionEnvironment,
)

__all__ = ["FALocalAgentBuilder", "FALocalExecutionEnvironment"]
