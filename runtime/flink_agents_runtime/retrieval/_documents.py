"""Documents, queries and results of vector stores (Flink Agents' shapes, JSON-ready).

A :class:`Document` is ``content`` plus JSON ``metadata``, an ``id`` (given or assigned by
the store), an optional ``embedding`` and, in query results, a ``score`` (cosine
similarity: 1 is the same direction, 0 unrelated). Events carry documents as dicts
(:meth:`Document.to_dict`), without embeddings.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from flink_agents_runtime._errors import ArgumentTypeError, ArgumentValueError, FlinkAgentsError


class RetrievalError(FlinkAgentsError):
    """An embedding model or vector store failed; the message names the resource, the
    endpoint or path, and the cause.

    Attributes:
        retryable: whether trying again may help (a server down, a timeout).
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass
class Document:
    """A piece of text in a vector store (Flink Agents' ``Document``)."""

    content: str
    metadata: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    embedding: list[float] | None = None
    score: float | None = None

    def to_dict(self, with_embedding: bool = False) -> dict[str, Any]:
        """JSON-ready; the embedding only when asked (events leave it out)."""
        out: dict[str, Any] = {"id": self.id, "content": self.content, "metadata": self.metadata}
        if self.score is not None:
            out["score"] = self.score
        if with_embedding and self.embedding is not None:
            out["embedding"] = list(self.embedding)
        return out

    @classmethod
    def coerce(cls, value: Document | dict[str, Any] | str) -> Document:
        """A document from a document, a dict of its fields or a text."""
        if isinstance(value, Document):
            return value
        if isinstance(value, str):
            return cls(value)
        if isinstance(value, dict):
            return cls(
                content=str(value.get("content", "")),
                metadata=dict(value.get("metadata") or {}),
                id=value.get("id"),
                embedding=value.get("embedding"),
                score=value.get("score"),
            )
        raise ArgumentTypeError(
            f"a document is a Document, dict or str, got {type(value).__name__}"
        )


class VectorStoreQueryMode(str, enum.Enum):
    """How a query searches (Flink Agents' ``VectorStoreQueryMode``): semantic only, as
    upstream (its keyword and hybrid modes are not defined yet)."""

    SEMANTIC = "semantic"


@dataclass
class VectorStoreQuery:
    """A semantic search: ``query_text`` (embedded by the store's embedding model),
    at most ``limit`` results, in ``collection_name`` (the store's default when ``None``),
    keeping only documents whose metadata equals every ``filters`` item. ``mode`` is
    Flink Agents' field (keyword only here): ``SEMANTIC`` or ``"semantic"``."""

    query_text: str
    limit: int = 10
    collection_name: str | None = None
    filters: dict[str, Any] | None = None
    extra_args: dict[str, Any] = field(default_factory=dict)
    mode: VectorStoreQueryMode = VectorStoreQueryMode.SEMANTIC

    def __post_init__(self) -> None:
        try:
            self.mode = VectorStoreQueryMode(self.mode)
        except ValueError:
            raise ArgumentValueError(
                f"VectorStoreQuery mode {self.mode!r} is not supported; the modes are "
                f"{[m.value for m in VectorStoreQueryMode]}"
            ) from None


@dataclass
class VectorStoreQueryResult:
    """Documents best first, and the embedding call's usage (``model``, ``promptTokens``)."""

    documents: list[Document]
    usage: dict[str, Any] = field(default_factory=dict)


def matches(metadata: dict[str, Any], filters: dict[str, Any] | None) -> bool:
    """Whether ``metadata`` equals every item of ``filters`` (Flink Agents' filter DSL:
    equality only, keys AND-ed). Raises ``NotImplementedError`` for an operator dict."""
    if not filters:
        return True
    for key, want in filters.items():
        if isinstance(want, dict):
            raise NotImplementedError(
                f"filter {key!r}: only equality filters are supported, got {want!r}"
            )
        if metadata.get(key) != want:
            return False
    return True
