"""Vector stores in Flink Agents' shape, and the in-memory one.

A store names its embedding model setup (``embedding_model="..."``, resolved when the
store is opened); :meth:`BaseVectorStore.add` embeds documents without an embedding,
:meth:`BaseVectorStore.query` embeds the query text and returns the nearest documents with
their cosine similarity as ``score``. Subclasses implement ``_add_embedding``,
``_query_embedding``, ``get``, ``delete`` and ``size``; a
:class:`CollectionManageableVectorStore` (Flink Agents' name) also makes and drops
collections by name, as both stores here do.

:class:`InMemoryVectorStore` keeps normalised vectors per collection and searches them
exactly in plain Python (float32 arrays, 4 bytes a dimension; about 1 s a query at 100k
documents of 256 dimensions: a store for tutorials and small corpora; LanceDB for more);
it lives as long as its resource, so fill it in the resource's constructor or before the run
(``documents=``).
"""

from __future__ import annotations

import heapq
import math
import threading
import uuid
from abc import ABCMeta, abstractmethod
from array import array
from collections.abc import Iterable, Sequence
from operator import mul
from typing import Any

from flink_agents_runtime._errors import ArgumentValueError
from flink_agents_runtime.api._agent import ResourceType
from flink_agents_runtime.chat._model import Resource, ResourceContext
from flink_agents_runtime.retrieval._documents import (
    Document,
    RetrievalError,
    VectorStoreQuery,
    VectorStoreQueryResult,
    matches,
)


class BaseVectorStore(Resource):
    """Base of vector stores (see the module docstring).

    Args:
        embedding_model: name of an embedding model setup resource, or a setup object;
            ``None`` when every document and query brings its own vector.
        collection: the default collection.
    """

    resource_type = ResourceType.VECTOR_STORE

    def __init__(self, embedding_model: Any = None, collection: str | None = None) -> None:
        self.embedding_model = embedding_model
        self.collection = collection or "default"
        self._embedder: Any = embedding_model if not isinstance(embedding_model, str) else None

    def open(self, context: ResourceContext) -> None:
        if isinstance(self.embedding_model, str):
            self._embedder = context.get(self.embedding_model, ResourceType.EMBEDDING_MODEL)

    def _embed(self, texts: list[str]) -> tuple[list[list[float]], dict[str, Any]]:
        embedder = self._embedder
        if embedder is None:
            raise RetrievalError(
                f"{self!r} has no embedding model: pass embedding_model= or give documents "
                "their embedding"
            )
        result = embedder.embed_with_usage(texts)
        model = result.model or getattr(embedder, "model", None) or "embedding"
        return list(result.embeddings), {"model": model, "promptTokens": result.prompt_tokens}

    def add(
        self,
        documents: Document | dict[str, Any] | str | Sequence[Any],
        collection_name: str | None = None,
    ) -> list[str]:
        """Add documents (embedding those without a vector); returns their ids (new ids are
        UUID4 hex for documents without one)."""
        items = [documents] if isinstance(documents, (Document, dict, str)) else documents
        docs = [Document.coerce(d) for d in items]
        todo = [d for d in docs if d.embedding is None]
        if todo:
            vectors, _ = self._embed([d.content for d in todo])
            for d, v in zip(todo, vectors, strict=True):
                d.embedding = v
        for d in docs:
            if d.id is None:
                d.id = uuid.uuid4().hex
        self._add_embedding(docs, collection_name or self.collection)
        return [str(d.id) for d in docs]

    def update(
        self,
        documents: Document | dict[str, Any] | Sequence[Any],
        collection_name: str | None = None,
    ) -> None:
        """Replace documents by id (Flink Agents' ``update``): each must have its ``id``;
        content, metadata and embedding are replaced (re-embedded without a vector).
        Raises :class:`ArgumentValueError` naming a document without an id."""
        items = [documents] if isinstance(documents, (Document, dict, str)) else documents
        docs = [Document.coerce(d) for d in items]
        if not docs:
            raise ArgumentValueError(f"{self!r}.update: no documents given")
        for d in docs:
            if d.id is None:
                raise ArgumentValueError(
                    f"{self!r}.update: document {d.content[:40]!r} has no id; update replaces "
                    "documents by id (use add for new ones)"
                )
        self.delete([str(d.id) for d in docs], collection_name)
        self.add(docs, collection_name)

    def query(self, query: VectorStoreQuery | str, limit: int = 10) -> VectorStoreQueryResult:
        """The documents nearest to the query text, best first, with the embedding usage."""
        if isinstance(query, str):
            query = VectorStoreQuery(query, limit=limit)
        vectors, usage = self._embed([query.query_text])
        docs = self._query_embedding(
            vectors[0], query.limit, query.collection_name or self.collection, query.filters
        )
        return VectorStoreQueryResult(docs, usage)

    # -- implemented by stores ---------------------------------------------------------
    def _add_embedding(self, documents: list[Document], collection: str) -> None:
        raise NotImplementedError

    def _query_embedding(
        self,
        embedding: list[float],
        limit: int,
        collection: str,
        filters: dict[str, Any] | None,
    ) -> list[Document]:
        raise NotImplementedError

    def get(self, ids: Iterable[str], collection_name: str | None = None) -> list[Document]:
        """The documents with these ids (missing ids are skipped)."""
        raise NotImplementedError

    def delete(self, ids: Iterable[str], collection_name: str | None = None) -> None:
        """Remove documents by id."""
        raise NotImplementedError

    def size(self, collection_name: str | None = None) -> int:
        """The number of documents in the collection."""
        raise NotImplementedError


class CollectionManageableVectorStore(BaseVectorStore, metaclass=ABCMeta):
    """A vector store whose collections are made and dropped by name (Flink Agents'
    ``CollectionManageableVectorStore``): a subclass that lacks either method cannot be
    instantiated."""

    @abstractmethod
    def create_collection_if_not_exists(self, name: str, **kwargs: Any) -> None:
        """Make the collection ``name``; nothing when it exists. ``kwargs``: options the
        store documents, applied only when it makes the collection; others are ignored."""

    @abstractmethod
    def delete_collection(self, name: str) -> None:
        """Drop the collection ``name`` and its documents; nothing when there is none."""


def id_list(ids: str | Iterable[str]) -> list[str]:
    """Document ids as a list: one id may be given as a str (as Flink Agents allows)."""
    return [ids] if isinstance(ids, str) else [str(i) for i in ids]


def _normalise(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(float(x) * float(x) for x in vector))
    return [float(x) / norm for x in vector] if norm else [float(x) for x in vector]


class InMemoryVectorStore(CollectionManageableVectorStore):
    """Exact cosine search over vectors held in this process (see the module docstring).

    Args:
        embedding_model: as :class:`BaseVectorStore`.
        collection: the default collection.
        documents: added when the store is opened (texts, dicts or Documents).
    """

    def __init__(
        self,
        embedding_model: Any = None,
        collection: str | None = None,
        documents: Sequence[Any] = (),
    ) -> None:
        super().__init__(embedding_model, collection)
        self._initial = list(documents)
        self._docs: dict[str, dict[str, Document]] = {}
        self._lock = threading.Lock()

    def open(self, context: ResourceContext) -> None:
        super().open(context)
        if self._initial:
            self.add(self._initial)
            self._initial = []

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _add_embedding(self, documents: list[Document], collection: str) -> None:
        rows = [array("f", _normalise(d.embedding or [])) for d in documents]
        with self._lock:
            target = self._docs.setdefault(collection, {})
            for d, row in zip(documents, rows, strict=True):
                assert d.id is not None
                target[d.id] = Document(d.content, dict(d.metadata), d.id, row)  # type: ignore[arg-type]

    def _ranked(
        self, embedding: list[float], limit: int, collection: str, filters: dict[str, Any] | None
    ) -> list[tuple[float, str]]:
        """``(score, id)`` best first: exact cosine over every (matching) document."""
        query = array("f", _normalise(embedding))
        docs = self._docs.get(collection, {})
        for d in docs.values():
            if len(d.embedding or ()) != len(query):
                raise RetrievalError(
                    f"{self!r}: query vector has {len(query)} dimensions, collection "
                    f"{collection!r} holds {len(d.embedding or ())}"
                )
            break
        scored = (
            (sum(map(mul, query, d.embedding or ())), i)
            for i, d in docs.items()
            if matches(d.metadata, filters)
        )
        return heapq.nsmallest(limit, scored, key=lambda p: (-p[0], p[1]))

    def _query_embedding(
        self,
        embedding: list[float],
        limit: int,
        collection: str,
        filters: dict[str, Any] | None,
    ) -> list[Document]:
        with self._lock:
            docs = self._docs.get(collection, {})
            return [
                Document(docs[i].content, dict(docs[i].metadata), i, None, round(s, 6))
                for s, i in self._ranked(embedding, limit, collection, filters)
            ]

    def get(self, ids: Iterable[str], collection_name: str | None = None) -> list[Document]:
        ids = id_list(ids)
        docs = self._docs.get(collection_name or self.collection, {})
        return [
            Document(
                docs[i].content,
                dict(docs[i].metadata),
                i,
                [float(x) for x in docs[i].embedding or []],
            )
            for i in ids
            if i in docs
        ]

    def delete(self, ids: Iterable[str], collection_name: str | None = None) -> None:
        collection = collection_name or self.collection
        with self._lock:
            docs = self._docs.get(collection, {})
            for i in id_list(ids):
                docs.pop(i, None)

    def size(self, collection_name: str | None = None) -> int:
        return len(self._docs.get(collection_name or self.collection, {}))

    def create_collection_if_not_exists(self, name: str, **kwargs: Any) -> None:
        """Make the (empty) collection ``name`` unless it exists; no options."""
        with self._lock:
            self._docs.setdefault(name, {})

    def delete_collection(self, name: str) -> None:
        with self._lock:
            self._docs.pop(name, None)

    def __repr__(self) -> str:
        return f"InMemoryVectorStore(collection={self.collection!r})"
