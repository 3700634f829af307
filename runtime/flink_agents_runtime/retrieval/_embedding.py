"""Embedding models in Flink Agents' shape: a connection (where) and a setup (which model).

``BaseEmbeddingModelConnection.embed(text | texts, **kwargs)`` gives one vector or a list;
``embed_with_usage`` adds the tokens the provider counted. :class:`EmbeddingModelSetup`
names its connection and model. :class:`HashEmbeddingModelConnection` is the offline
default: deterministic feature hashing, no network, same vectors in every process.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any, Generic, TypeVar

from flink_agents_runtime._errors import ArgumentValueError, ResourceError
from flink_agents_runtime.api._agent import ResourceType
from flink_agents_runtime.chat._model import Resource, ResourceContext

_WORD = re.compile(r"\w+")
#: Function words the offline embedding skips (they would make every text look alike).
STOP_WORDS = frozenset(
    (
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "there",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    )
)


@dataclass(frozen=True)
class EmbeddingTokenUsage:
    """Tokens an embedding provider counted (Flink Agents 0.4's name and fields)."""

    prompt_tokens: int = 0
    total_tokens: int = 0


#: The vectors of an :class:`EmbeddingResult`: one vector, or one per text.
EmbeddingValue = TypeVar("EmbeddingValue", list[float], list[list[float]])


@dataclass(frozen=True)
class EmbeddingResult(Generic[EmbeddingValue]):
    """Vectors (one list per text, or one vector for one text) and provider usage.

    Built as Flink Agents 0.4 builds it, ``EmbeddingResult(embeddings, token_usage)``
    (positionally or by keyword; ``EmbeddingResult[list[float]]`` as a type); the kit's
    ``prompt_tokens`` and ``model`` (the provider's model name) are keyword-only.
    ``prompt_tokens`` then comes from ``token_usage``, and a result built with
    ``prompt_tokens`` gets the matching ``token_usage``.
    """

    embeddings: EmbeddingValue
    token_usage: EmbeddingTokenUsage | None = None
    _: KW_ONLY
    prompt_tokens: int = 0
    model: str = ""

    def __post_init__(self) -> None:
        usage = self.token_usage
        if usage is not None:
            if not self.prompt_tokens:
                object.__setattr__(self, "prompt_tokens", int(usage.prompt_tokens))
        elif self.prompt_tokens:
            tokens = int(self.prompt_tokens)
            object.__setattr__(self, "token_usage", EmbeddingTokenUsage(tokens, tokens))


class BaseEmbeddingModelConnection(Resource):
    """Where and how to embed text. Implement :meth:`embed_with_usage` (or :meth:`embed`).

    Calls may run on the async pool, several at once: keep implementations thread-safe.
    """

    resource_type = ResourceType.EMBEDDING_MODEL_CONNECTION

    def embed(self, text: str | Sequence[str], **kwargs: Any) -> list[float] | list[list[float]]:
        """One vector for a str, a list of vectors for a sequence of texts."""
        return self.embed_with_usage(text, **kwargs).embeddings

    def embed_with_usage(self, text: str | Sequence[str], **kwargs: Any) -> EmbeddingResult:
        """Like :meth:`embed`, with the tokens the provider counted."""
        raise NotImplementedError


class EmbeddingModelSetup(Resource):
    """A model on an embedding connection (Flink Agents' embedding model setup).

    Args:
        connection: the name of an embedding model connection resource.
        model: the model name sent to the connection.
        model_kwargs: passed to every call (``dimensions``, ``truncate``, ...).
    """

    resource_type = ResourceType.EMBEDDING_MODEL

    def __init__(self, connection: str, model: str | None = None, **model_kwargs: Any) -> None:
        self.connection = connection
        self.model = model
        self.model_kwargs = model_kwargs
        self._connection: BaseEmbeddingModelConnection | None = None

    def open(self, context: ResourceContext) -> None:
        conn = context.get(self.connection, ResourceType.EMBEDDING_MODEL_CONNECTION)
        if not callable(getattr(conn, "embed_with_usage", None)):
            raise ResourceError(
                f"embedding model connection {self.connection!r} has no embed_with_usage(): "
                f"{conn!r}"
            )
        self._connection = conn

    def _conn(self) -> BaseEmbeddingModelConnection:
        if self._connection is None:
            raise ResourceError(f"embedding model setup for {self.connection!r} was not opened")
        return self._connection

    def embed(self, text: str | Sequence[str], **kwargs: Any) -> list[float] | list[list[float]]:
        """Embed with this setup's model and kwargs."""
        return self.embed_with_usage(text, **kwargs).embeddings

    def embed_with_usage(self, text: str | Sequence[str], **kwargs: Any) -> EmbeddingResult:
        """Embed, with the provider's token count."""
        merged = {**self.model_kwargs, **kwargs}
        if self.model is not None:
            merged.setdefault("model", self.model)
        return self._conn().embed_with_usage(text, **merged)

    def __repr__(self) -> str:
        return f"EmbeddingModelSetup(connection={self.connection!r}, model={self.model!r})"


class HashEmbeddingModelConnection(BaseEmbeddingModelConnection):
    """Offline, deterministic embeddings by feature hashing (for tutorials and tests).

    Each lower-cased word not in :data:`STOP_WORDS` adds ``+1`` or ``-1`` (by a BLAKE2 hash)
    at a hashed position of a ``dimension``-long vector, each character trigram of the word
    ``0.5``; the vector is L2-normalised. Texts sharing words (or word stems) get a high
    cosine similarity; no semantics beyond that. Tokens counted: all words.
    """

    def __init__(self, dimension: int = 256, model_name: str = "hash-embedding") -> None:
        if dimension < 2:
            raise ArgumentValueError(f"dimension must be at least 2, got {dimension}")
        self.dimension = dimension
        self.model_name = model_name

    def _vector(self, text: str) -> tuple[list[float], int]:
        vec = [0.0] * self.dimension
        words = _WORD.findall(text.lower())
        for word in words:
            if word in STOP_WORDS:
                continue
            grams = [word] + [word[i : i + 3] for i in range(max(0, len(word) - 2))]
            for n, gram in enumerate(grams):
                digest = hashlib.blake2b(gram.encode(), digest_size=8).digest()
                index = int.from_bytes(digest[:4], "little") % self.dimension
                sign = 1.0 if digest[4] & 1 else -1.0
                vec[index] += sign * (1.0 if n == 0 else 0.5)
        norm = math.sqrt(sum(v * v for v in vec))
        return ([v / norm for v in vec] if norm else vec), len(words)

    def embed_with_usage(self, text: str | Sequence[str], **kwargs: Any) -> EmbeddingResult:
        model = str(kwargs.get("model") or self.model_name)
        if isinstance(text, str):
            vec, tokens = self._vector(text)
            return EmbeddingResult(vec, prompt_tokens=tokens, model=model)
        pairs = [self._vector(t) for t in text]
        return EmbeddingResult(
            [p[0] for p in pairs], prompt_tokens=sum(p[1] for p in pairs), model=model
        )

    def __repr__(self) -> str:
        return f"HashEmbeddingModelConnection(dimension={self.dimension})"
