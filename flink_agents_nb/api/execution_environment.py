"""``flink_agents.api.execution_environment``: local runs follow Flink Agents' one-shot rules."""

from __future__ import annotations

from flink_agents_runtime.compat._environment import (
    AgentBuilder,
    AgentsExecutionEnvironment,
    FALocalAgentBuilder,
)

__all__ = ["AgentBuilder", "AgentsExecutionEnvironment", "FALocalAgentBuilder"]
