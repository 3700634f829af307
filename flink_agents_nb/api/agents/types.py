"""``flink_agents.api.agents.types``."""

from __future__ import annotations

from flink_agents_runtime import OutputSchema

__all__ = ["OutputSchema"]
