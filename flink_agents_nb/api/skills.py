"""``flink_agents.api.skills``."""

from __future__ import annotations

from flink_agents_runtime import Skills

__all__ = ["Skills"]
