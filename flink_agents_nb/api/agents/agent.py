"""``flink_agents.api.agents.agent``."""

from __future__ import annotations

from flink_agents_runtime.api._agent import Agent

__all__ = ["Agent"]
