"""A loopback server speaking Ollama's ``POST /api/embed`` and OpenAI's
``POST /v1/embeddings``, for tests of the embedding connections.

Vectors come from the offline hash embedding (so a query finds the same documents as the
offline model would); token usage counts whitespace-separated words. The model
``error-<status>`` answers that HTTP status; ``short`` answers one vector too few.
Requests are kept in :attr:`EmbeddingServer.requests`; :meth:`stop` takes the server down
(a later request gets a connection error).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from flink_agents_runtime import HashEmbeddingModelConnection


class EmbeddingServer:
    """Use as a context manager; :attr:`url` is ``http://127.0.0.1:<port>``."""

    def __init__(self, dimension: int = 256) -> None:
        self.model = HashEmbeddingModelConnection(dimension)
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw)
                server.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                model = str(body.get("model"))
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                if model.startswith("error-"):
                    self._send(int(model[6:]), {"error": f"model {model} failed"})
                    return
                vectors = [self_model_vector(t) for t in texts]
                if model == "short":
                    vectors = vectors[:-1]
                words = sum(len(t.split()) for t in texts)
                if self.path == "/api/embed":
                    self._send(
                        200, {"model": model, "embeddings": vectors, "prompt_eval_count": words}
                    )
                elif self.path == "/v1/embeddings":
                    data = [
                        {"object": "embedding", "index": i, "embedding": v}
                        for i, v in reversed(list(enumerate(vectors)))
                    ]
                    usage = {"prompt_tokens": words, "total_tokens": words}
                    self._send(
                        200, {"object": "list", "data": data, "model": model, "usage": usage}
                    )
                else:
                    self._send(404, {"error": f"no route {self.path}"})

            def _send(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        def self_model_vector(text: str) -> list[float]:
            return server.model._vector(text)[0]

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread: threading.Thread | None = None

    def start(self) -> EmbeddingServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> EmbeddingServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None and self._thread.is_alive():
            self.stop()
