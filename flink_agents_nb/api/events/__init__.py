"""``flink_agents.api.events``."""

from __future__ import annotations
