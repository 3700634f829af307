"""``flink_agents.api.memory_object``."""

from __future__ import annotations

from flink_agents_runtime.api._memory import MemoryObject, MemoryType

__all__ = ["MemoryObject", "MemoryType"]
