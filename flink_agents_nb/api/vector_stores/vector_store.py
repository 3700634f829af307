"""``flink_agents.api.vector_stores.vector_store``: pydantic base classes with Flink Agents'
contract for a user's own store (the kit's stores count as their instances), and the
query and document types."""

from __future__ import annotations

from flink_agents_runtime import Document, VectorStoreQuery, VectorStoreQueryResult
from flink_agents_runtime.compat._vector_store import (
    BaseVectorStore,
    CollectionManageableVectorStore,
)
from flink_agents_runtime.retrieval._documents import VectorStoreQueryMode

__all__ = [
    "BaseVectorStore",
    "CollectionManageableVectorStore",
    "Document",
    "VectorStoreQuery",
    "VectorStoreQueryMode",
    "VectorStoreQueryResult",
]
