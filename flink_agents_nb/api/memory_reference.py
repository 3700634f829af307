"""``flink_agents.api.memory_reference``."""

from __future__ import annotations

from flink_agents_runtime.api._memory import MemoryRef

__all__ = ["MemoryRef"]
