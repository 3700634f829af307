"""Embeddings, vector stores and context retrieval (Flink Agents' shapes).

Importing this package adds the built-in retrieval action to plans that declare a vector
store (:data:`flink_agents_runtime.engine._plan.PLAN_EXTENSIONS`, like the chat actions).
"""

from __future__ import annotations

from flink_agents_runtime.engine._plan import PLAN_EXTENSIONS
from flink_agents_runtime.retrieval._action import RETRIEVAL_ACTION, extend_plan
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

if extend_plan not in PLAN_EXTENSIONS:
    PLAN_EXTENSIONS.append(extend_plan)

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
