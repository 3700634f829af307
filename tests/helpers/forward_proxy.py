"""A small forward HTTP proxy on loopback, for tests of the clients' proxy settings.

It speaks what clients send a proxy named in ``HTTP_PROXY`` / ``HTTPS_PROXY``:
``CONNECT host:port`` (a tunnel, for ``https://`` URLs: the TLS stays end to end) and
absolute-form requests (``POST http://host:port/path``, for ``http://`` URLs: forwarded with
``Connection: close``, the whole answer sent back, the client's connection kept). Every
request is logged in :attr:`ForwardProxy.log` as ``(method, target, Proxy-Authorization or
None)``, so tests can tell a request went through it.

With ``require_auth="user:password"`` it answers a request without those credentials (Basic
``Proxy-Authorization``) ``407 Proxy Authentication Required`` and closes the connection, as
a proxy that wants a login does.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any
from urllib.parse import urlsplit

from tests.helpers.loop_server import LoopServer

_PROXY_AUTH_REQUIRED = (
    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
    b'Proxy-Authenticate: Basic realm="test-proxy"\r\n'
    b"Content-Type: text/plain\r\nContent-Length: 23\r\nConnection: close\r\n\r\n"
    b"proxy login is required"
)
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authorization", "proxy-connection"}


class ForwardProxy(LoopServer):
    """Start with a ``with`` block; :attr:`url` is ``http://127.0.0.1:<port>``.

    Args:
        require_auth: ``"user:password"`` the proxy wants (else it asks no login).
    """

    thread_name = "forward-proxy"

    def __init__(self, require_auth: str | None = None) -> None:
        super().__init__()
        self.log: list[tuple[str, str, str | None]] = []
        wanted = None if require_auth is None else base64.b64encode(require_auth.encode())
        self._wanted = None if wanted is None else "Basic " + wanted.decode()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                request_line, *lines = head[:-4].split("\r\n")
                method, target, version = request_line.split(" ", 2)
                headers = [tuple(x.strip() for x in line.split(":", 1)) for line in lines]
                found = {name.lower(): value for name, value in headers}
                self.log.append((method, target, found.get("proxy-authorization")))
                if self._wanted is not None and found.get("proxy-authorization") != self._wanted:
                    writer.write(_PROXY_AUTH_REQUIRED)
                    await writer.drain()
                    return
                if method == "CONNECT":
                    await self._tunnel(target, reader, writer)
                    return
                length = int(found.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                url = urlsplit(target)
                path = url.path + (f"?{url.query}" if url.query else "")
                kept = [f"{n}: {v}" for n, v in headers if n.lower() not in _HOP_BY_HOP]
                upstream = f"{method} {path} {version}\r\n" + "".join(f"{h}\r\n" for h in kept)
                up_reader, up_writer = await asyncio.open_connection(url.hostname, url.port or 80)
                up_writer.write(upstream.encode("latin-1") + b"Connection: close\r\n\r\n" + body)
                await up_writer.drain()
                answer = await up_reader.read()  # until the server closes
                up_writer.close()
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _tunnel(
        self, target: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        host, _, port = target.rpartition(":")
        up_reader, up_writer = await asyncio.open_connection(host.strip("[]"), int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> Any:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except ConnectionError:
        pass
    finally:
        sink.close()
