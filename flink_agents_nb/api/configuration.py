"""``flink_agents.api.configuration``."""

from __future__ import annotations

from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.config._options import ConfigOption

#: Flink Agents' configuration class names, all the kit's one configuration class.
Configuration = ReadableConfiguration = WritableConfiguration = AgentConfiguration

__all__ = [
    "AgentConfiguration",
    "ConfigOption",
    "Configuration",
    "ReadableConfiguration",
    "WritableConfiguration",
]
