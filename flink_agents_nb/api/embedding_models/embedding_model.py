"""``flink_agents.api.embedding_models.embedding_model``."""

from __future__ import annotations

from flink_agents_runtime import BaseEmbeddingModelConnection, EmbeddingModelSetup

#: Flink Agents' name for the setup base class.
BaseEmbeddingModelSetup = EmbeddingModelSetup

__all__ = ["BaseEmbeddingModelConnection", "BaseEmbeddingModelSetup"]
