"""``flink_agents.integrations`` (chat models only)."""

from __future__ import annotations
