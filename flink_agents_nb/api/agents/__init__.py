"""``flink_agents.api.agents``."""

from __future__ import annotations
