"""OpenAI with Flink Agents' argument names."""

from __future__ import annotations

from flink_agents_runtime.chat.providers._compatible import (
    FAOpenAIChatModelConnection as OpenAIChatModelConnection,
)
from flink_agents_runtime.chat.providers._compatible import OpenAIChatModelSetup

__all__ = ["OpenAIChatModelConnection", "OpenAIChatModelSetup"]
