"""Embedding connections over HTTP: Ollama's ``/api/embed`` and OpenAI-compatible
``/v1/embeddings`` (OpenAI, vLLM, LM Studio, Ollama's ``/v1``), over httpx (imported on the
first call).

Both send all texts of a call in one request and return vectors in input order. Failures
raise :class:`RetrievalError` naming the endpoint and model: ``retryable`` for connection
errors, timeouts, HTTP 408/429/5xx. API keys are never shown in reprs or messages.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from flink_agents_runtime._http_client import LazyHttpClient
from flink_agents_runtime.retrieval._documents import RetrievalError
from flink_agents_runtime.retrieval._embedding import (
    BaseEmbeddingModelConnection,
    EmbeddingModelSetup,
    EmbeddingResult,
)


class _HttpEmbedding(LazyHttpClient, BaseEmbeddingModelConnection):
    path = ""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        headers: dict[str, str] | None = None,
        request_timeout: float | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = request_timeout if request_timeout is not None else timeout
        self._api_key = api_key
        self._headers = dict(headers or {})
        self._init_http_client()

    @property
    def url(self) -> str:
        """The endpoint."""
        return self.base_url + self.path

    def __repr__(self) -> str:
        key = "****" if self._key() else None
        return f"{type(self).__name__}(url={self.url!r}, api_key={key!r})"

    def _key(self) -> str | None:
        return self._api_key

    def _post(self, body: dict[str, Any], model: str) -> dict[str, Any]:
        import httpx

        client = self.http_client(self.timeout)
        headers = {"Content-Type": "application/json", **self._headers}
        key = self._key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        where = f"embedding endpoint {self.url} (model {model!r})"
        try:
            resp = client.post(self.url, content=json.dumps(body), headers=headers)
        except httpx.TimeoutException:
            raise RetrievalError(
                f"{where}: timed out after {self.timeout}s", retryable=True
            ) from None
        except httpx.HTTPError as exc:
            raise RetrievalError(
                f"{where} is unreachable: {type(exc).__name__}: {exc}", retryable=True
            ) from None
        if resp.status_code >= 400:
            text = resp.text[:300]
            if key:
                text = text.replace(key, "****")
            raise RetrievalError(
                f"{where} answered HTTP {resp.status_code}: {text}",
                retryable=resp.status_code >= 500 or resp.status_code in (408, 429),
            )
        try:
            data = resp.json()
        except ValueError:
            raise RetrievalError(f"{where}: the answer is not JSON: {resp.text[:200]!r}") from None
        if not isinstance(data, dict):
            raise RetrievalError(f"{where}: the answer is not a JSON object")
        return data


def _check_vectors(vectors: Any, count: int, where: str) -> list[list[float]]:
    if not isinstance(vectors, list) or len(vectors) != count:
        raise RetrievalError(f"{where}: expected {count} embeddings, got {vectors!r:.200}")
    for v in vectors:
        if not isinstance(v, list) or not all(isinstance(x, (int, float)) for x in v):
            raise RetrievalError(f"{where}: an embedding is not a list of numbers")
    return [[float(x) for x in v] for v in vectors]


class OllamaEmbeddingModelConnection(_HttpEmbedding):
    """Ollama's native ``POST {base_url}/api/embed`` (``base_url`` like
    ``http://localhost:11434``). ``truncate``, ``keep_alive`` and ``options`` kwargs are
    passed through. Tokens: ``prompt_eval_count``."""

    path = "/api/embed"

    def __init__(self, base_url: str = "http://localhost:11434", **kwargs: Any) -> None:
        super().__init__(base_url, **kwargs)

    def embed_with_usage(self, text: str | Sequence[str], **kwargs: Any) -> EmbeddingResult:
        model = kwargs.pop("model", None)
        if not model:
            raise RetrievalError(f"{self.url}: no model name; set model= on the embedding setup")
        texts = [text] if isinstance(text, str) else list(text)
        body = {"model": model, "input": texts, **kwargs}
        data = self._post(body, str(model))
        vectors = _check_vectors(data.get("embeddings"), len(texts), self.url)
        tokens = int(data.get("prompt_eval_count") or 0)
        name = str(data.get("model") or model)
        return EmbeddingResult(
            vectors[0] if isinstance(text, str) else vectors, prompt_tokens=tokens, model=name
        )


class OpenAIEmbeddingModelConnection(_HttpEmbedding):
    """OpenAI-compatible ``POST {base_url}/embeddings`` (``base_url`` like
    ``https://api.openai.com/v1``). The key: ``api_key``, else ``OPENAI_API_KEY``.
    ``dimensions`` and ``user`` kwargs are passed through. Tokens: ``usage.prompt_tokens``."""

    path = "/embeddings"

    def __init__(
        self,
        base_url: str = "https://api.openai.com/v1",
        *,
        organization: str | None = None,
        project: str | None = None,
        max_retries: int | None = None,
        **kwargs: Any,
    ) -> None:
        # Flink Agents' arguments: organization and project go as OpenAI's headers;
        # max_retries is accepted (retries follow the agent's error-handling strategy).
        headers = dict(kwargs.pop("headers", None) or {})
        if organization:
            headers.setdefault("OpenAI-Organization", organization)
        if project:
            headers.setdefault("OpenAI-Project", project)
        super().__init__(base_url, headers=headers, **kwargs)
        self.max_retries = max_retries

    def _key(self) -> str | None:
        return self._api_key or os.environ.get("OPENAI_API_KEY")

    def embed_with_usage(self, text: str | Sequence[str], **kwargs: Any) -> EmbeddingResult:
        model = kwargs.pop("model", None)
        if not model:
            raise RetrievalError(f"{self.url}: no model name; set model= on the embedding setup")
        texts = [text] if isinstance(text, str) else list(text)
        data = self._post({"model": model, "input": texts, **kwargs}, str(model))
        items = data.get("data")
        if not isinstance(items, list):
            raise RetrievalError(f"{self.url}: the answer has no data list")
        ordered = sorted(
            (i for i in items if isinstance(i, dict)), key=lambda i: int(i.get("index") or 0)
        )
        vectors = _check_vectors([i.get("embedding") for i in ordered], len(texts), self.url)
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        tokens = int((usage or {}).get("prompt_tokens") or 0)
        name = str(data.get("model") or model)
        return EmbeddingResult(
            vectors[0] if isinstance(text, str) else vectors, prompt_tokens=tokens, model=name
        )


class OllamaEmbeddingModelSetup(EmbeddingModelSetup):
    """An Ollama embedding model (Flink Agents' name): ``truncate`` and ``keep_alive`` are
    sent with every call when given; ``additional_kwargs`` become the request's ``options``
    (model parameters), as Flink Agents sends them."""

    def __init__(
        self,
        connection: str,
        model: str | None = None,
        additional_kwargs: dict[str, Any] | None = None,
        **model_kwargs: Any,
    ) -> None:
        if additional_kwargs:
            model_kwargs["options"] = {**additional_kwargs, **model_kwargs.get("options", {})}
        super().__init__(connection, model, **model_kwargs)


class OpenAIEmbeddingModelSetup(EmbeddingModelSetup):
    """An OpenAI-compatible embedding model (Flink Agents' name): ``dimensions``,
    ``encoding_format`` and ``user`` are sent with every call when given, and the entries of
    ``additional_kwargs`` beside them."""

    def __init__(
        self,
        connection: str,
        model: str | None = None,
        additional_kwargs: dict[str, Any] | None = None,
        **model_kwargs: Any,
    ) -> None:
        super().__init__(connection, model, **{**(additional_kwargs or {}), **model_kwargs})
