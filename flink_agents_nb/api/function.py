"""``flink_agents.api.function``: Python functions load; Java functions are refused when called."""

from __future__ import annotations

from flink_agents_runtime.compat._names import Function, JavaFunction, PythonFunction

__all__ = ["Function", "JavaFunction", "PythonFunction"]
