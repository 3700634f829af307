"""``flink_agents.api.tools.utils``."""

from __future__ import annotations

from flink_agents_runtime.compat._names import create_model_from_schema, create_schema_from_function

__all__ = ["create_model_from_schema", "create_schema_from_function"]
