"""Flink Agents' embedding-model base classes: pydantic models a user subclasses.

Flink Agents' documented way to add a provider is to subclass
``BaseEmbeddingModelConnection`` (implement ``embed(text, **kwargs)``) and
``BaseEmbeddingModelSetup`` (``connection`` and ``model`` fields, a ``model_kwargs``
property). Such classes plug into the kit unchanged: the kit builds them from their
descriptor's arguments, sets ``resource_context`` and calls ``open()``, and its vector
stores call ``embed_with_usage`` on them as on the kit's own embedding models.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from pydantic import Field

from flink_agents_runtime._errors import ResourceError
from flink_agents_runtime.api._agent import ResourceType
from flink_agents_runtime.compat._resource import Resource
from flink_agents_runtime.retrieval._embedding import (
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


class BaseEmbeddingModelConnection(Resource, ABC):
    """Where and how to embed text (Flink Agents' ``BaseEmbeddingModelConnection``).

    Implement :meth:`embed`: one vector (a list of floats) for a str, one vector per text
    for a sequence. Override :meth:`embed_with_usage` too to report the provider's tokens.
    Calls may run on the async pool, several at once: keep implementations thread-safe.
    """

    @classmethod
    def resource_type(cls) -> ResourceType:
        return ResourceType.EMBEDDING_MODEL_CONNECTION

    @abstractmethod
    def embed(self, text: str | Sequence[str], **kwargs: Any) -> list[float] | list[list[float]]:
        """The embedding of ``text`` (``kwargs``: the setup's ``model_kwargs`` and the
        caller's)."""

    def embed_with_usage(self, text: str | Sequence[str], **kwargs: Any) -> EmbeddingResult:
        """:meth:`embed`'s vectors, without token usage."""
        return EmbeddingResult(embeddings=self.embed(text, **kwargs))


class BaseEmbeddingModelSetup(Resource, ABC):
    """A model on an embedding connection (Flink Agents' ``BaseEmbeddingModelSetup``).

    ``connection`` names an embedding-model connection resource; ``open()`` replaces it with
    the connection itself, as Flink Agents does. Subclasses define the ``model_kwargs``
    property: what every call sends to the connection (the model name among it).
    """

    connection: Any = Field(description="The referenced connection (its name until open()).")
    model: str = Field(description="Name of the embedding model to use.")

    @classmethod
    def resource_type(cls) -> ResourceType:
        return ResourceType.EMBEDDING_MODEL

    @property
    @abstractmethod
    def model_kwargs(self) -> dict[str, Any]:
        """Settings sent with every call."""

    def open(self) -> None:
        if self.resource_context is None:
            raise ResourceError(f"{type(self).__name__}: open() needs resource_context")
        if isinstance(self.connection, str):
            self.connection = self.resource_context.get_resource(
                self.connection, ResourceType.EMBEDDING_MODEL_CONNECTION
            )

    def _connection(self) -> Any:
        connection = self.connection
        if isinstance(connection, str) or not callable(getattr(connection, "embed", None)):
            # a name as given; an object by its type (its repr may show an api_key)
            shown = repr(connection) if isinstance(connection, str) else type(connection).__name__
            raise ResourceError(
                f"{type(self).__name__}: connection {shown} is not an embedding "
                "model connection (was open() called?)"
            )
        return self.connection

    def embed(self, text: str | Sequence[str], **kwargs: Any) -> list[float] | list[list[float]]:
        """Embed with :attr:`model_kwargs`, overridden by ``kwargs``."""
        return self._connection().embed(text, **{**self.model_kwargs, **kwargs})

    def embed_with_usage(self, text: str | Sequence[str], **kwargs: Any) -> EmbeddingResult:
        """:meth:`embed` with the tokens the provider counted."""
        merged = {**self.model_kwargs, **kwargs}
        return self._connection().embed_with_usage(text, **merged)
