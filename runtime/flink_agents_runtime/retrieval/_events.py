"""Context retrieval events (Flink Agents' type strings and attributes)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar
from uuid import UUID

from flink_agents_runtime.api._events import Event
from flink_agents_runtime.retrieval._documents import Document


class ContextRetrievalRequestEvent(Event):
    """Ask the vector store resource ``vector_store`` for the ``max_results`` documents
    nearest to ``query``; answered by the built-in ``context_retrieval_action``."""

    EVENT_TYPE: ClassVar[str] = "_context_retrieval_request_event"
    __slots__ = ()

    def __init__(self, query: str, vector_store: str, max_results: int = 3) -> None:
        super().__init__(
            type=self.EVENT_TYPE,
            attributes={"query": query, "vector_store": vector_store, "max_results": max_results},
        )

    @property
    def query(self) -> str:
        """The search text."""
        return str(self.attributes["query"])

    @property
    def vector_store(self) -> str:
        """The vector store resource's name."""
        return str(self.attributes["vector_store"])

    @property
    def max_results(self) -> int:
        """At most this many documents."""
        return int(self.attributes.get("max_results") or 3)


class ContextRetrievalResponseEvent(Event):
    """The documents found for a :class:`ContextRetrievalRequestEvent`, best first
    (``documents`` attribute: dicts with ``id``, ``content``, ``metadata``, ``score``)."""

    EVENT_TYPE: ClassVar[str] = "_context_retrieval_response_event"
    __slots__ = ()

    def __init__(
        self,
        request_id: str | UUID,
        query: str,
        documents: Iterable[Document | dict[str, Any] | str],
    ) -> None:
        super().__init__(
            type=self.EVENT_TYPE,
            attributes={
                "request_id": str(request_id),  # Flink Agents passes a uuid.UUID
                "query": query,
                "documents": [Document.coerce(d).to_dict() for d in documents],
            },
        )

    @property
    def request_id(self) -> str:
        """The id of the request answered."""
        return str(self.attributes["request_id"])

    @property
    def query(self) -> str:
        """The request's search text."""
        return str(self.attributes["query"])

    @property
    def documents(self) -> list[Document]:
        """The documents found, best first."""
        return [Document.coerce(d) for d in self.attributes.get("documents") or []]
