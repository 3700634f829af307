"""``flink_agents.integrations.embedding_models.local.ollama_embedding_model``."""

from __future__ import annotations

from flink_agents_runtime import OllamaEmbeddingModelConnection, OllamaEmbeddingModelSetup

__all__ = ["OllamaEmbeddingModelConnection", "OllamaEmbeddingModelSetup"]
