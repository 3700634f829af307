"""Azure OpenAI over its v1 OpenAI-compatible path."""

from __future__ import annotations

from flink_agents_runtime.chat.providers._compatible import (
    AzureOpenAIChatModelConnection,
    AzureOpenAIChatModelSetup,
)
from flink_agents_runtime.chat.providers._compatible import (
    FAOpenAIChatModelConnection as OpenAIChatModelConnection,
)

__all__ = [
    "AzureOpenAIChatModelConnection",
    "AzureOpenAIChatModelSetup",
    "OpenAIChatModelConnection",
]
