"""``flink_agents.api.prompts.utils``."""

from __future__ import annotations

from flink_agents_runtime.compat._names import format_string

__all__ = ["format_string"]
