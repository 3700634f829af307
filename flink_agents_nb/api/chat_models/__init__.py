"""``flink_agents.api.chat_models``."""

from __future__ import annotations
