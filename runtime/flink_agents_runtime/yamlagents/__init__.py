"""Flink Agents' YAML-declared agents: ``env.load_yaml(path)`` registers a file's agents
and shared resources, ``.apply("agent_name")`` takes an agent by name and
``env.get_agent("agent_name")`` gives it with the environment's resources (see ``_loader``);
references between entries are checked before a run (``_links``)."""

from __future__ import annotations

from flink_agents_runtime.yamlagents._build import DeclaredAgent
from flink_agents_runtime.yamlagents._loader import (
    agent_named,
    bound_agent,
    declared_agents,
    load_yaml,
)

__all__ = ["DeclaredAgent", "agent_named", "bound_agent", "declared_agents", "load_yaml"]
