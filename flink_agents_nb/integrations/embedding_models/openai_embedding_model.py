"""``flink_agents.integrations.embedding_models.openai_embedding_model``."""

from __future__ import annotations

from flink_agents_runtime import OpenAIEmbeddingModelConnection, OpenAIEmbeddingModelSetup

__all__ = ["OpenAIEmbeddingModelConnection", "OpenAIEmbeddingModelSetup"]
