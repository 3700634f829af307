"""A lean HTTP/1.1 client on asyncio for the chat connections' direct requests.

aiohttp costs about 130 µs of CPU per request on the in-flight benchmark's loopback model
(``benchmarks/cpu_in_flight.py``: its session, request and response objects, header
multidicts, a timer per request, several loop turns per answer); a bare asyncio protocol
costs about 50 µs. A chat connection sends one kind of request: a ``POST`` of a JSON body to
one URL, answered by one complete JSON reply. :class:`Http1Pool` does exactly that, over
keep-alive connections it holds per host (no bound: the scheduler's
``max-in-flight-inputs`` bounds the calls), for ``http://`` and ``https://`` URLs reached
directly. What it does not do, aiohttp still does (``_async_http.AsyncTransport`` chooses):
proxies, user names in URLs, non-ASCII URLs, header values it cannot send as they are, and
everything when httptools is not installed.

The answer is read whole, parsed by httptools (llhttp; ``_http1_conn``): a ``Content-Length``
body, a chunked one, or one that ends when the server closes; gzip and deflate are decoded
(the request asks for ``identity``); ``1xx`` interim answers are skipped; what llhttp refuses
(a bad status line or chunk size, conflicting lengths) fails as ``ClientResponseError``.
A connection is reused when the answer allowed it (HTTP/1.1 or a kept-alive 1.0, no
``Connection: close``, nothing after the body); one the server closed while idle is dropped.
Timeouts: the connection's ``total_s`` covers connect, send and the whole answer,
kept by one timer per pool (armed at the oldest request's deadline), not one per request.
Errors are the transport's own (``TransportFailed``, ``TransportTimeout``,
``ResponseTooLarge``), named as on the aiohttp path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flink_agents_runtime._version import __version__
from flink_agents_runtime.chat.providers._http1_conn import Conn, failed
from flink_agents_runtime.chat.providers._reply import TransportTimeout

__all__ = ["Http1Pool", "Route", "head_lines", "route_of"]


class Route:
    """Where requests to one URL go: ``key`` (scheme, host, port) of the connections, the
    request line and ``Host`` header, and the server name TLS checks (``None``: plain)."""

    __slots__ = ("host", "key", "port", "start", "tls_name")

    def __init__(self, scheme: str, host: str, port: int, target: str, host_header: str) -> None:
        self.key = (scheme, host, port)
        self.host, self.port = host, port
        self.tls_name = host if scheme == "https" else None
        self.start = f"POST {target} HTTP/1.1\r\nHost: {host_header}\r\n".encode("ascii")


def route_of(url: str) -> Route | None:
    """The route of ``url``, or ``None`` when this client does not send to it (not an
    ASCII ``http``/``https`` URL, a user name in it, no host, a bad port)."""
    if not url.isascii() or any(c in url for c in "\r\n\t "):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        return None
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    host_header = shown if port in (None, default) else f"{shown}:{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Route(parts.scheme, host, port or default, target, host_header)


def head_lines(headers: dict[str, str]) -> bytes | None:
    """The header lines of ``headers`` as sent, or ``None`` when one cannot be sent as it
    is (a line break, a character outside Latin-1): aiohttp's path decides then."""
    lines = []
    for name, value in headers.items():
        line = f"{name}: {value}\r\n"
        if "\r" in line[:-2] or "\n" in line[:-2] or ":" in name or not name:
            return None
        lines.append(line)
    lines.append(f"User-Agent: flink-agents-runtime/{__version__}\r\nAccept-Encoding: identity\r\n")
    try:
        return "".join(lines).encode("latin-1")
    except UnicodeEncodeError:
        return None


class Http1Pool:
    """Keep-alive connections of one chat connection, on the loop that made them.

    Args:
        total_s: seconds one request may take in all (connect, send, the whole answer).
        tls: returns the client TLS context (for ``https://`` routes; read when first needed).
    """

    def __init__(self, total_s: float, tls: Callable[[], Any]) -> None:
        self.total_s = total_s
        self._tls = tls
        self.loop = asyncio.get_running_loop()
        self._idle: dict[tuple[str, str, int], list[Conn]] = {}
        self._deadlines: dict[Conn, float] = {}  # requests in flight, oldest first
        self._timer: asyncio.TimerHandle | None = None
        #: whether :meth:`close` ran.
        self.closed = False

    async def post(self, route: Route, head: bytes, data: bytes, max_bytes: int) -> Any:
        """POST ``data`` along ``route`` with the header lines ``head``; the whole answer
        (a ``Reply``), whatever its status."""
        loop = self.loop
        deadline = loop.time() + self.total_s
        idle = self._idle.get(route.key)
        conn = None
        while idle:
            conn = idle.pop()
            if not conn.closed:
                break
            conn = None
        if conn is None:
            conn = await self._connect(route)
        waiter = loop.create_future()
        request = b"%s%sContent-Length: %d\r\n\r\n%s" % (route.start, head, len(data), data)
        self._deadlines[conn] = deadline
        if self._timer is None:
            self._timer = loop.call_at(deadline, self._sweep)
        try:
            conn.begin(request, max_bytes, waiter)
            reply = await waiter
        except asyncio.CancelledError:
            conn.close()
            raise
        except BaseException:
            conn.close()
            raise
        finally:
            self._deadlines.pop(conn, None)
            conn.waiter = None
        if not conn.closed:
            self._idle.setdefault(route.key, []).append(conn)
        return reply

    async def _connect(self, route: Route) -> Conn:
        ssl = self._tls() if route.tls_name is not None else None
        try:
            _, conn = await asyncio.wait_for(
                self.loop.create_connection(
                    Conn, route.host, route.port, ssl=ssl, server_hostname=route.tls_name
                ),
                self.total_s,
            )
        except asyncio.TimeoutError:
            raise TransportTimeout("ConnectTimeout") from None
        except OSError as exc:  # refused, unreachable, a name not found, a TLS failure
            raise failed("ConnectError", f"{route.host}:{route.port}: {exc}", exc) from None
        return conn

    def _sweep(self) -> None:
        """The timer: fail the requests past their deadline; re-arm at the next one."""
        self._timer = None
        now = self.loop.time()
        deadlines = self._deadlines
        while deadlines:
            conn, deadline = next(iter(deadlines.items()))
            if deadline > now:
                self._timer = self.loop.call_at(deadline, self._sweep)
                return
            del deadlines[conn]
            conn.expire()

    def close(self) -> None:
        """Close every connection (on the pool's loop)."""
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()
        for conn in list(self._deadlines):
            conn.close()
        self._deadlines.clear()
