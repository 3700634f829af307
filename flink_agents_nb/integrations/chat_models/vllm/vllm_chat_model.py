"""vLLM (OpenAI-compatible)."""

from __future__ import annotations

from flink_agents_runtime.chat.providers._compatible import (
    VLLMChatModelConnection,
    VLLMChatModelSetup,
)

__all__ = ["VLLMChatModelConnection", "VLLMChatModelSetup"]
