"""``flink_agents.api.runner_context``."""

from __future__ import annotations

from flink_agents_runtime.engine._context import RunnerContext

__all__ = ["RunnerContext"]
