"""A TCP server on an asyncio loop of its own thread, bound to 127.0.0.1 on a free port: the
lifecycle the asyncio test servers share (:mod:`tests.helpers.async_openai_server`,
:mod:`tests.helpers.forward_proxy`). Subclasses implement :meth:`LoopServer._handle`."""

from __future__ import annotations

import asyncio
import ssl
import threading
from typing import Any


class LoopServer:
    """Start with a ``with`` block (or :meth:`start` / :meth:`stop`); :attr:`url` is
    ``<scheme>://127.0.0.1:<port><url_path>``, and :attr:`port` the port.

    Args:
        tls: serve TLS with this server context (the scheme is then ``https``).
    """

    url_path = ""
    thread_name = "loop-server"

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.url = ""
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._handle(reader, writer)
        except asyncio.CancelledError:
            # Stopped with the connection open: end quietly (CPython 3.11's start_server
            # callback reports a cancelled handler as an unhandled exception).
            writer.close()

    def start(self) -> Any:
        ready = threading.Event()
        loop = self._loop = asyncio.new_event_loop()

        async def serve() -> None:
            self._server = await asyncio.start_server(
                self._serve, "127.0.0.1", 0, backlog=4096, limit=1 << 20, ssl=self.tls
            )
            self.port = self._server.sockets[0].getsockname()[1]
            scheme = "https" if self.tls is not None else "http"
            self.url = f"{scheme}://127.0.0.1:{self.port}{self.url_path}"
            ready.set()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(serve())
            loop.run_forever()

        self._thread = threading.Thread(target=run, name=self.thread_name, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            # Connections a client keeps alive still have a handler waiting for the next
            # request: end them here, or they are destroyed pending when the loop is collected
            # (a finalizer that logs from inside another thread's ast.parse trips CPython 3.11).
            handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in handlers:
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        if not loop.is_running():
            loop.close()
        self._loop = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
