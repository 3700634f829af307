"""An OpenAI-compatible chat-completions server on asyncio, for many calls in flight.

The thread-per-connection server (:mod:`tests.helpers.openai_server`) cannot hold the
thousands of open connections a scheduler that waits on an event loop opens. This one runs
the standard library's asyncio streams on one thread: each connection is a coroutine, so
holding 1,000+ connections costs memory, not threads, and needs no extra dependency (an
HTTP framework would add parsing we do not need: the client is httpx, speaking plain
HTTP/1.1 with ``Content-Length`` bodies and keep-alive).

``POST /v1/chat/completions`` answers ``echo: <last user message>`` after ``delay_s``
seconds (a model ``wait-<ms>`` waits that long instead). Every request is logged in
:attr:`AsyncOpenAIServer.calls` as ``(start_s, end_s, last user message)`` on the
``time.monotonic`` clock, so tests read the peak of calls in flight from the log
(:meth:`peak_in_flight`), not from wall time.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from typing import Any

from tests.helpers.loop_server import LoopServer


class AsyncOpenAIServer(LoopServer):
    """Start with a ``with`` block (or :meth:`start` / :meth:`stop`); :attr:`url` is the base.

    Args:
        delay_s: the model's latency (seconds), before every answer.
        tls: serve HTTPS with this server context.
    """

    url_path = "/v1"
    thread_name = "async-openai-server"

    def __init__(self, delay_s: float = 0.0, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(tls)
        self.delay_s = delay_s
        self.calls: list[tuple[float, float, str]] = []

    # -- the log -------------------------------------------------------------------------
    def peak_in_flight(self) -> int:
        """The most calls the server held at once (from :attr:`calls`)."""
        edges = sorted(
            [(start, 1) for start, _, _ in self.calls] + [(end, -1) for _, end, _ in self.calls],
            key=lambda e: (e[0], e[1]),  # an end before a start at the same instant
        )
        peak = now = 0
        for _, step in edges:
            now += step
            peak = max(peak, now)
        return peak

    # -- serving -------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                raw = await reader.readexactly(length) if length else b""
                status, body = await self._answer(raw)
                data = json.dumps(body).encode()
                writer.write(
                    b"HTTP/1.1 %d OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n" % (status, len(data)) + data
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except asyncio.CancelledError:  # stop(): ends quietly (3.11's stream callback logs a
            pass  # cancelled handler as an error, e.g. when the client's goodbye is in flight)
        finally:
            writer.close()

    async def _answer(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        start = time.monotonic()
        try:
            request = json.loads(raw)
        except ValueError:
            return 400, {"error": {"message": "request body is not JSON"}}
        model = str(request.get("model") or "echo")
        users = [m for m in request.get("messages") or [] if m.get("role") == "user"]
        text = str(users[-1].get("content") or "") if users else ""
        delay = self.delay_s
        if model.startswith("wait-"):
            delay = int(model[5:]) / 1000
        if delay > 0:
            await asyncio.sleep(delay)
        self.calls.append((start, time.monotonic(), text))
        answer = f"echo: {text}"
        return 200, {
            "id": f"chatcmpl-{len(self.calls)}",
            "object": "chat.completion",
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": len(text.split()),
                "completion_tokens": len(answer.split()),
                "total_tokens": len(text.split()) + len(answer.split()),
            },
        }


def _serve_child(delay_s: float, conn: Any) -> None:
    """The body of :func:`server_process`: serve until told to stop, then send the log."""
    with AsyncOpenAIServer(delay_s) as server:
        conn.send(server.url)
        cpu = time.process_time()
        conn.recv()  # stop
        conn.send((list(server.calls), time.process_time() - cpu))


class ServerProcess:
    """:class:`AsyncOpenAIServer` in a process of its own (benchmarks: the server's CPU
    must not compete with the client for the client's interpreter). ``calls`` and
    ``cpu_s`` are filled when it stops."""

    def __init__(self, delay_s: float = 0.0) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve_child, args=(delay_s, child), daemon=True)
        self.url = ""
        self.calls: list[tuple[float, float, str]] = []
        #: CPU seconds the server process used while serving (filled when it stops).
        self.cpu_s = 0.0

    def __enter__(self) -> ServerProcess:
        self._proc.start()
        self.url = self._conn.recv()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._conn.send("stop")
        self.calls, self.cpu_s = self._conn.recv()
        self._proc.join(10)

    def peak_in_flight(self) -> int:
        """As :meth:`AsyncOpenAIServer.peak_in_flight` (after the block)."""
        log = AsyncOpenAIServer()
        log.calls = self.calls
        return log.peak_in_flight()
