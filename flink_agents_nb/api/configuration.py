"""``flink_agents.api.configuration``."""

from __future__ import annotations

from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.config._options import ConfigOption

__all__ = ["AgentConfiguration", "ConfigOption"]
