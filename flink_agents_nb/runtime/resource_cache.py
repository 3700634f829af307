"""``flink_agents.runtime.resource_cache``."""

from __future__ import annotations

from flink_agents_runtime.compat._names import ResourceCache

__all__ = ["ResourceCache"]
