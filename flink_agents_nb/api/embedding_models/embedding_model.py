"""``flink_agents.api.embedding_models.embedding_model``: pydantic base classes with Flink
Agents' contract (a user's connection implements ``embed``; a setup defines
``model_kwargs``), and 0.4's result types."""

from __future__ import annotations

from flink_agents_runtime.compat._embedding import (
    BaseEmbeddingModelConnection,
    BaseEmbeddingModelSetup,
    EmbeddingResult,
    EmbeddingTokenUsage,
    EmbeddingValue,
)

__all__ = [
    "BaseEmbeddingModelConnection",
    "BaseEmbeddingModelSetup",
    "EmbeddingResult",
    "EmbeddingTokenUsage",
    "EmbeddingValue",
]
