"""Ollama over its native API."""

from __future__ import annotations

from flink_agents_runtime.chat.providers._ollama import (
    OllamaChatModelConnection,
    OllamaChatModelSetup,
)

__all__ = ["OllamaChatModelConnection", "OllamaChatModelSetup"]
