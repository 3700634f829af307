"""``flink_agents.integrations.chat_models``."""

from __future__ import annotations
