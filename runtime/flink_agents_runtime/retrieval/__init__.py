"""Embeddings, vector stores and context retrieval (Flink Agents' shapes).

The plan compiler adds the built-in retrieval action to plans that declare a vector store
by calling :func:`~flink_agents_runtime.retrieval._action.builtin_actions`, as it does for
the chat actions.
"""

from __future__ import annotations

from flink_agents_runtime.retrieval._action import RETRIEVAL_ACTION
from flink_agents_runtime.retrieval._documents import (
    Document,
    RetrievalError,
    VectorStoreQuery,
    VectorStoreQueryResult,
)
from flink_agents_runtime.retrieval._embedding import (
    BaseEmbeddingModelConnection,
    EmbeddingModelSetup,
    EmbeddingResult,
    HashEmbeddingModelConnection,
)
from flink_agents_runtime.retrieval._events import (
    ContextRetrievalRequestEvent,
    ContextRetrievalResponseEvent,
)
from flink_agents_runtime.retrieval._http_embedding import (
    OllamaEmbeddingModelConnection,
    OllamaEmbeddingModelSetup,
    OpenAIEmbeddingModelConnection,
    OpenAIEmbeddingModelSetup,
)
from flink_agents_runtime.retrieval._lancedb import LanceDBVectorStore
from flink_agents_runtime.retrieval._store import BaseVectorStore, InMemoryVectorStore

__all__ = [
    "RETRIEVAL_ACTION",
    "BaseEmbeddingModelConnection",
    "BaseVectorStore",
    "ContextRetrievalRequestEvent",
    "ContextRetrievalResponseEvent",
    "Document",
    "EmbeddingModelSetup",
    "EmbeddingResult",
    "HashEmbeddingModelConnection",
    "InMemoryVectorStore",
    "LanceDBVectorStore",
    "OllamaEmbeddingModelConnection",
    "OllamaEmbeddingModelSetup",
    "OpenAIEmbeddingModelConnection",
    "OpenAIEmbeddingModelSetup",
    "RetrievalError",
    "VectorStoreQuery",
    "VectorStoreQueryResult",
]
