"""Tongyi through DashScope's OpenAI-compatible mode."""

from __future__ import annotations

from flink_agents_runtime.chat.providers._compatible import (
    TongyiChatModelConnection,
    TongyiChatModelSetup,
)

__all__ = ["TongyiChatModelConnection", "TongyiChatModelSetup"]
