"""``flink_agents.api.prompts.prompt``: ``Prompt`` formats as Flink Agents does (a missing
argument leaves its placeholder); the kit's own ``fa.Prompt`` names missing arguments."""

from __future__ import annotations

from flink_agents_runtime.compat._names import LocalPrompt

Prompt = LocalPrompt

__all__ = ["LocalPrompt", "Prompt"]
