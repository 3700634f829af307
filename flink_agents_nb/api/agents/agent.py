"""``flink_agents.api.agents.agent``."""

from __future__ import annotations

from flink_agents_runtime import STRUCTURED_OUTPUT
from flink_agents_runtime.api._agent import Agent

__all__ = ["STRUCTURED_OUTPUT", "Agent"]
