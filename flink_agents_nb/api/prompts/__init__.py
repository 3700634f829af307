"""``flink_agents.api.prompts``."""

from __future__ import annotations
