"""``flink_agents.api.resource_context``."""

from __future__ import annotations

from flink_agents_runtime.compat._resource import ResourceContext

__all__ = ["ResourceContext"]
