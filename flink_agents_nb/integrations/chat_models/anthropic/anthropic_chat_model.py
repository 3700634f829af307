"""Anthropic's Messages API."""

from __future__ import annotations

from flink_agents_runtime.chat.providers._anthropic import (
    AnthropicChatModelConnection,
    AnthropicChatModelSetup,
)

__all__ = ["AnthropicChatModelConnection", "AnthropicChatModelSetup"]
