"""``flink_agents.api.decorators`` (embedding, vector-store, MCP and skills decorators: see
the README's status table)."""

from __future__ import annotations

from flink_agents_runtime.api._agent import (
    action,
    chat_model_connection,
    chat_model_setup,
    prompt,
    tool,
)

__all__ = ["action", "chat_model_connection", "chat_model_setup", "prompt", "tool"]
