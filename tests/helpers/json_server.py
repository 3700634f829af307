"""The part the tests' loopback JSON API servers share (OpenAI, Ollama, Anthropic, the
embedding APIs): a threaded HTTP server on 127.0.0.1 and a free port, every ``POST``
recorded and answered by the subclass, started and stopped as a context manager.
"""

from __future__ import annotations

import contextlib
import json
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

_S = TypeVar("_S", bound="JsonServer")


class JsonServer:
    """Subclasses answer requests in :meth:`answer`.

    A body that is not JSON gets 400 (not recorded); every other request is recorded in
    :attr:`requests` (``{"path", "headers", "body"}``) before it is answered.

    Attributes:
        port: the port bound.
        url: ``http://127.0.0.1:<port>`` (``https`` when ``tls``, a server context, is given).
        requests: every request received, in order.
    """

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms stall)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw)
                except ValueError:
                    self._send(400, {"error": {"message": "request body is not JSON"}})
                    return
                with server._lock:
                    server.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body}
                    )
                self._send(*server.answer(self.path, body, self.headers))

            def _send(self, status: int, reply: Any, headers: Any = None) -> None:
                data = reply.encode() if isinstance(reply, str) else json.dumps(reply).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                # the client may have given up (timeout)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # many clients connect at once (the default is 5)
            daemon_threads = True

            def get_request(self) -> tuple[Any, Any]:
                conn, addr = super().get_request()
                if tls is not None:  # the handshake happens in the connection's own thread
                    conn = tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
                return conn, addr

            def handle_error(self, request: Any, client_address: Any) -> None:
                if isinstance(sys.exc_info()[1], ssl.SSLError):
                    return  # a client that refused our certificate: what the TLS tests expect
                super().handle_error(request, client_address)

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self.port = int(self._httpd.server_address[1])
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None
        self._stopped = False

    def answer(self, path: str, body: Any, headers: Any) -> tuple[Any, ...]:
        """``(status, reply)`` or ``(status, reply, headers)`` for a request: ``reply`` is
        sent as JSON, or as it is when a ``str``."""
        raise NotImplementedError

    def start(self: _S) -> _S:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (a later request gets a connection error);
        idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread is not None:  # shutdown waits for serve_forever
            self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
