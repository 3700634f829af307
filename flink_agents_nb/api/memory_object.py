"""``flink_agents.api.memory_object``."""

from __future__ import annotations

from flink_agents_runtime.api._memory import MemoryObject, MemoryType
from flink_agents_runtime.compat._memory import validate_memory_value

__all__ = ["MemoryObject", "MemoryType", "validate_memory_value"]
