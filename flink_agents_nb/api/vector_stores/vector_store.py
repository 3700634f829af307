"""``flink_agents.api.vector_stores.vector_store``."""

from __future__ import annotations

from flink_agents_runtime import BaseVectorStore, Document, VectorStoreQuery, VectorStoreQueryResult

__all__ = ["BaseVectorStore", "Document", "VectorStoreQuery", "VectorStoreQueryResult"]
