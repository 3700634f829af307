"""``flink_agents.runtime.local_memory_object``."""

from __future__ import annotations

from flink_agents_runtime.compat._memory import LocalMemoryObject

__all__ = ["LocalMemoryObject"]
