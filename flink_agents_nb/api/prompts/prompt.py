"""``flink_agents.api.prompts.prompt``."""

from __future__ import annotations

from flink_agents_runtime.chat._prompt import Prompt
from flink_agents_runtime.compat._names import LocalPrompt

__all__ = ["LocalPrompt", "Prompt"]
