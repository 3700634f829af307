"""A loopback server speaking Ollama's ``POST /api/embed`` and OpenAI's
``POST /v1/embeddings``, for tests of the embedding connections.

Vectors come from the offline hash embedding (so a query finds the same documents as the
offline model would); token usage counts whitespace-separated words. The model
``error-<status>`` answers that HTTP status; ``short`` answers one vector too few.
Requests are kept in :attr:`EmbeddingServer.requests`; :meth:`stop` takes the server down
(a later request gets a connection error).
"""

from __future__ import annotations

from typing import Any

from flink_agents_runtime import HashEmbeddingModelConnection
from tests.helpers.json_server import JsonServer


class EmbeddingServer(JsonServer):
    """Use as a context manager; :attr:`url` is ``http://127.0.0.1:<port>``."""

    def __init__(self, dimension: int = 256) -> None:
        super().__init__()
        self.model = HashEmbeddingModelConnection(dimension)

    def answer(self, path: str, body: Any, headers: Any) -> tuple[Any, ...]:
        model = str(body.get("model"))
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        if model.startswith("error-"):
            return int(model[6:]), {"error": f"model {model} failed"}
        vectors = [self.model._vector(t)[0] for t in texts]
        if model == "short":
            vectors = vectors[:-1]
        words = sum(len(t.split()) for t in texts)
        if path == "/api/embed":
            return 200, {"model": model, "embeddings": vectors, "prompt_eval_count": words}
        if path == "/v1/embeddings":
            data = [
                {"object": "embedding", "index": i, "embedding": v}
                for i, v in reversed(list(enumerate(vectors)))
            ]
            usage = {"prompt_tokens": words, "total_tokens": words}
            return 200, {"object": "list", "data": data, "model": model, "usage": usage}
        return 404, {"error": f"no route {path}"}
