"""``flink_agents.api.chat_models.chat_model``: pydantic base classes with Flink Agents'
contract."""

from __future__ import annotations

from flink_agents_runtime.compat._resource import (
    BaseChatModelConnection,
    BaseChatModelSetup,
    StructuredOutputStrategy,
)

__all__ = ["BaseChatModelConnection", "BaseChatModelSetup", "StructuredOutputStrategy"]
