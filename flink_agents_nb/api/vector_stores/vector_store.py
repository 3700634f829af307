"""``flink_agents.api.vector_stores.vector_store``."""

from __future__ import annotations

from flink_agents_runtime import BaseVectorStore, Document, VectorStoreQuery, VectorStoreQueryResult
from flink_agents_runtime.retrieval._documents import VectorStoreQueryMode
from flink_agents_runtime.retrieval._store import CollectionManageableVectorStore

__all__ = [
    "BaseVectorStore",
    "CollectionManageableVectorStore",
    "Document",
    "VectorStoreQuery",
    "VectorStoreQueryMode",
    "VectorStoreQueryResult",
]
