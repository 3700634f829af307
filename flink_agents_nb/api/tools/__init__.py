"""``flink_agents.api.tools``."""

from __future__ import annotations
