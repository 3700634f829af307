"""Flink Agents' YAML-declared agents: ``env.load_yaml(path)`` registers a file's agents
and shared resources, ``.apply("agent_name")`` takes an agent by name (see ``_loader``)."""

from __future__ import annotations

from flink_agents_runtime.yamlagents._build import DeclaredAgent
from flink_agents_runtime.yamlagents._loader import agent_named, declared_agents, load_yaml

__all__ = ["DeclaredAgent", "agent_named", "declared_agents", "load_yaml"]
