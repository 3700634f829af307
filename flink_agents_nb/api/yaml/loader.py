"""``flink_agents.api.yaml.loader``: ``load_yaml(env, paths)``, what ``env.load_yaml(paths)``
calls (the kit's loader: ``flink_agents_runtime.yamlagents``)."""

from __future__ import annotations

from flink_agents_runtime.yamlagents import load_yaml

__all__ = ["load_yaml"]
