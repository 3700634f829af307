"""Flink Agents' vector-store base classes: pydantic models a user subclasses.

Flink Agents' documented way to add a store is to subclass ``BaseVectorStore`` (or
``CollectionManageableVectorStore``) and implement ``store_kwargs``, ``get``, ``delete`` and
the pre-computed-embedding hooks ``_query_embedding``, ``_add_embedding`` and
``_update_embedding``; the base class embeds documents and query texts with the store's
embedding model. Such a store plugs into the kit unchanged: the kit builds it from its
descriptor, sets ``resource_context`` and calls ``open()`` (which resolves a named
``embedding_model``), and the built-in retrieval action queries it; the query's embedding
tokens are counted as for the kit's stores. The kit's own stores (in-memory, LanceDB) count
as instances of both classes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from flink_agents_runtime._errors import ArgumentValueError, ResourceError
from flink_agents_runtime.api._agent import ResourceType
from flink_agents_runtime.compat._resource import Resource
from flink_agents_runtime.retrieval._documents import (
    Document,
    VectorStoreQuery,
    VectorStoreQueryResult,
)
from flink_agents_runtime.retrieval._store import BaseVectorStore as _KitStore
from flink_agents_runtime.retrieval._store import (
    CollectionManageableVectorStore as _KitCollectionStore,
)

__all__ = ["BaseVectorStore", "CollectionManageableVectorStore"]


def _as_list(documents: Document | Sequence[Document]) -> list[Document]:
    return [documents] if isinstance(documents, Document) else list(documents)


class _StoreMeta(type(BaseModel)):  # type: ignore[misc]  # pydantic's (private) metaclass
    """pydantic's model metaclass, where the two base classes also count the kit's own
    stores as instances and subclasses (pydantic's instance check only sees its models, so
    ``ABC.register`` would not do)."""

    def __instancecheck__(cls, instance: Any) -> bool:
        twin = _TWINS.get(cls)
        return (twin is not None and isinstance(instance, twin)) or super().__instancecheck__(
            instance
        )

    def __subclasscheck__(cls, subclass: type) -> bool:
        twin = _TWINS.get(cls)
        return (twin is not None and issubclass(subclass, twin)) or super().__subclasscheck__(
            subclass
        )


class BaseVectorStore(Resource, ABC):
    """A vector store (Flink Agents' ``BaseVectorStore``).

    ``embedding_model`` names an embedding model setup resource (``open()`` replaces the
    name with the setup), is a setup object, or is ``None`` when every document and query
    brings its own vector. ``collection`` is the store's default collection.
    """

    embedding_model: Any = Field(default=None, description="The embedding model setup.")
    collection: str | None = Field(default=None, description="The default collection.")

    @classmethod
    def resource_type(cls) -> ResourceType:
        return ResourceType.VECTOR_STORE

    @property
    @abstractmethod
    def store_kwargs(self) -> dict[str, Any]:
        """Store settings merged into every call's keyword arguments."""

    def open(self) -> None:
        if isinstance(self.embedding_model, str):
            if self.resource_context is None:
                raise ResourceError(f"{type(self).__name__}: open() needs resource_context")
            self.embedding_model = self.resource_context.get_resource(
                self.embedding_model, ResourceType.EMBEDDING_MODEL
            )

    def _embed(self, text: str) -> tuple[list[float], dict[str, Any]]:
        """``text``'s vector and the embedding call's usage (``model``, ``promptTokens``)."""
        model = self.embedding_model
        if model is None or isinstance(model, str):
            raise ResourceError(
                f"{type(self).__name__}: no embedding model (pass embedding_model= or give "
                "documents and queries their vectors; was open() called?)"
            )
        with_usage = getattr(model, "embed_with_usage", None)
        if not callable(with_usage):
            return list(model.embed(text)), {}
        result = with_usage(text)
        name = getattr(result, "model", "") or getattr(model, "model", None) or "embedding"
        usage = {"model": str(name), "promptTokens": int(getattr(result, "prompt_tokens", 0))}
        return list(result.embeddings), usage

    def _ensure_embeddings(self, documents: list[Document]) -> None:
        for doc in documents:
            if doc.embedding is None:
                doc.embedding = self._embed(doc.content)[0]

    def add(
        self,
        documents: Document | Sequence[Document],
        collection_name: str | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Embed the documents without a vector and store them; their ids."""
        docs = _as_list(documents)
        self._ensure_embeddings(docs)
        merged = {**self.store_kwargs, **kwargs}
        return list(self._add_embedding(documents=docs, collection_name=collection_name, **merged))

    def query(self, query: VectorStoreQuery | str) -> VectorStoreQueryResult:
        """The documents nearest ``query``'s text (embedded by the embedding model)."""
        if isinstance(query, str):
            query = VectorStoreQuery(query)
        embedding, usage = self._embed(query.query_text)
        documents = self._query_embedding(
            embedding=embedding,
            limit=query.limit,
            collection_name=query.collection_name,
            filters=query.filters,
            **{**self.store_kwargs, **query.extra_args},
        )
        return VectorStoreQueryResult(documents=list(documents), usage=usage)

    def update(
        self,
        documents: Document | Sequence[Document],
        collection_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Replace documents by their ``id`` (each must have one)."""
        docs = _as_list(documents)
        if not docs:
            raise ArgumentValueError(f"{type(self).__name__}.update: no documents")
        missing = [d.content[:40] for d in docs if d.id is None]
        if missing:
            raise ArgumentValueError(
                f"{type(self).__name__}.update: every document needs its id; none on {missing}"
            )
        self._ensure_embeddings(docs)
        merged = {**self.store_kwargs, **kwargs}
        self._update_embedding(documents=docs, collection_name=collection_name, **merged)

    @abstractmethod
    def get(
        self,
        ids: str | list[str] | None = None,
        collection_name: str | None = None,
        filters: dict[str, Any] | None = None,
        limit: int | None = 100,
        **kwargs: Any,
    ) -> list[Document]:
        """Documents by id, or up to ``limit`` matching ``filters``."""

    @abstractmethod
    def delete(
        self,
        ids: str | list[str] | None = None,
        collection_name: str | None = None,
        filters: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Delete documents by id or filter (all of the collection with neither)."""

    @abstractmethod
    def _query_embedding(
        self,
        embedding: list[float],
        limit: int = 10,
        collection_name: str | None = None,
        filters: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        """The documents nearest ``embedding``, best first."""

    @abstractmethod
    def _add_embedding(
        self, *, documents: list[Document], collection_name: str | None = None, **kwargs: Any
    ) -> list[str]:
        """Store documents that carry their embedding; their ids."""

    @abstractmethod
    def _update_embedding(
        self, *, documents: list[Document], collection_name: str | None = None, **kwargs: Any
    ) -> None:
        """Replace documents (by ``Document.id``) that carry their embedding."""


class CollectionManageableVectorStore(BaseVectorStore, ABC):
    """A vector store that makes and drops collections by name (Flink Agents' name)."""

    @abstractmethod
    def create_collection_if_not_exists(self, name: str, **kwargs: Any) -> None:
        """Make the collection ``name`` unless it exists."""

    @abstractmethod
    def delete_collection(self, name: str) -> None:
        """Drop the collection ``name``."""


#: The kit's class each base class also counts as its own (exactly these two bases).
_TWINS: dict[type, type] = {
    BaseVectorStore: _KitStore,
    CollectionManageableVectorStore: _KitCollectionStore,
}
# Both bases take _StoreMeta once built (a user's store inherits it): set here rather than
# by ``metaclass=``, as type checkers see pydantic's own metaclass on the models then.
for _base in _TWINS:
    _base.__class__ = _StoreMeta
