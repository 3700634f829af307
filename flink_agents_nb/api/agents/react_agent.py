"""``flink_agents.api.agents.react_agent`` (with the names Flink Agents' module also
exposes, ``OutputSchema`` and ``STRUCTURED_OUTPUT``, which its code imports from here)."""

from __future__ import annotations

from flink_agents_runtime import STRUCTURED_OUTPUT, OutputSchema, ReActAgent

__all__ = ["STRUCTURED_OUTPUT", "OutputSchema", "ReActAgent"]
