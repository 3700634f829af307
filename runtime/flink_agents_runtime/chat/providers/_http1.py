"""A lean HTTP/1.1 client on asyncio for the chat connections' direct requests.

aiohttp costs about 130 µs of CPU per request on the in-flight benchmark's loopback model
(``benchmarks/cpu_in_flight.py``: its session, request and response objects, header
multidicts, a timer per request, several loop turns per answer); a bare asyncio protocol
costs about 50 µs. A chat connection sends one kind of request: a ``POST`` of a JSON body to
one URL, answered by one complete JSON reply. :class:`Http1Pool` does exactly that, over
keep-alive connections it holds per host (no bound: the scheduler's
``max-in-flight-inputs`` bounds the calls), for ``http://`` and ``https://`` URLs reached
directly. What it does not do, aiohttp still does (``_async_http.AsyncTransport`` chooses):
proxies, user names in URLs, non-ASCII URLs, header values it cannot send as they are.

The answer is read whole: a ``Content-Length`` body, a chunked one, or one that ends when the
server closes; gzip and deflate are decoded (the request asks for ``identity``); ``1xx``
interim answers are skipped. A connection is reused when the answer allowed it (HTTP/1.1,
no ``Connection: close``, nothing after the body); one the server closed while idle is
dropped. Timeouts: the connection's ``total_s`` covers connect, send and the whole answer,
kept by one timer per pool (armed at the oldest request's deadline), not one per request.
Errors are the transport's own (``TransportFailed``, ``TransportTimeout``,
``ResponseTooLarge``), named as on the aiohttp path.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flink_agents_runtime._http_env import tls_failure
from flink_agents_runtime._version import __version__
from flink_agents_runtime.chat.providers._reply import (
    Reply,
    ResponseTooLarge,
    TransportFailed,
    TransportTimeout,
)

__all__ = ["Headers", "Http1Pool", "Route", "head_lines", "route_of"]

_MAX_HEAD = 64 * 1024  # bytes of status line and headers


class Headers(dict[str, str]):
    """Response headers, names in lower case; ``get`` ignores the case of the name."""

    def get(self, name: str, default: Any = None) -> Any:
        return dict.get(self, name.lower(), default)


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


class _Conn(asyncio.Protocol):
    """One keep-alive connection; one request at a time (``begin``, then the answer arrives
    in ``waiter``)."""

    def __init__(self) -> None:
        self.transport: Any = None
        self.closed = False
        self.waiter: asyncio.Future[Any] | None = None
        self.buf = bytearray()
        self.max_bytes = 0
        self._reply: tuple[int, Headers, str] | None = None  # status, headers, body mode
        self._length = 0
        self._body = bytearray()
        self._reusable = True

    # -- asyncio's callbacks -------------------------------------------------------------
    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done():  # nothing asked: not ours to keep
            self.close()
            return
        self.buf += data
        try:
            self._parse()
        except _Malformed as exc:
            self._fail(_failed("ClientResponseError", str(exc)))
        except Exception as exc:  # a too large body, a decoding error
            self._fail(exc)

    def eof_received(self) -> bool:
        self.closed = True
        self._end_of_body()
        return False  # the transport closes

    def connection_lost(self, exc: BaseException | None) -> None:
        self.closed = True
        if exc is None:  # a TLS server may close without a close_notify
            self._end_of_body()
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            name = "ServerDisconnectedError" if exc is None else type(exc).__name__
            waiter.set_exception(_failed(name, str(exc or "Server disconnected"), exc))

    # -- a request -----------------------------------------------------------------------
    def begin(self, request: bytes, max_bytes: int, waiter: asyncio.Future[Any]) -> None:
        self.waiter, self.max_bytes = waiter, max_bytes
        self.buf.clear()
        self._body = bytearray()
        self._reply = None
        if self.closed:  # the server closed it before it was used
            waiter.set_exception(_failed("ServerDisconnectedError", "Server disconnected"))
            return
        self.transport.write(request)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def expire(self) -> None:
        """The request's deadline passed: it fails and the connection goes."""
        self._fail(TransportTimeout("TimeoutError"))

    def _end_of_body(self) -> None:
        """The server closed: the end of a body read until then."""
        if self._reply is not None and self._reply[2] == "eof" and not self._done():
            self._reusable = False
            try:
                self._finish(bytes(self._body))
            except Exception as exc:  # a decoding error
                self._fail(exc)

    def _done(self) -> bool:
        return self.waiter is None or self.waiter.done()

    def _fail(self, exc: BaseException) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()
        self.closed = True

    def _finish(self, body: bytes) -> None:
        assert self._reply is not None and self.waiter is not None
        status, headers, _ = self._reply
        encoding = (headers.get("content-encoding") or "identity").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate"):
            body = _decompress(body, encoding, self.max_bytes, status)
        elif encoding != "identity":
            raise _failed("ContentEncodingError", f"cannot decode {encoding!r}")
        if len(body) > self.max_bytes:
            raise ResponseTooLarge(status)
        if not self._reusable or self.buf or "close" in (headers.get("connection") or "").lower():
            self.close()
        self.waiter.set_result(Reply(status, headers, body))

    # -- reading the answer --------------------------------------------------------------
    def _parse(self) -> None:
        buf = self.buf
        while self._reply is None:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > _MAX_HEAD:
                    raise _Malformed("response headers too long")
                return
            head = bytes(buf[:end]).decode("latin-1")
            del buf[: end + 4]
            self._head(head)
        mode = self._reply[2]
        if mode == "length":
            if len(buf) >= self._length:
                body = bytes(buf[: self._length])
                del buf[: self._length]
                self._finish(body)
        elif mode == "chunked":
            self._chunks()
        else:
            self._body += buf
            buf.clear()
            self._check_size(len(self._body))

    def _head(self, head: str) -> None:
        status_line, _, rest = head.partition("\r\n")
        version, _, tail = status_line.partition(" ")
        code = tail[:3]
        if not version.startswith("HTTP/1.") or not code.isdigit():
            raise _Malformed(f"bad status line {status_line[:80]!r}")
        status = int(code)
        headers = Headers()
        for line in rest.split("\r\n") if rest else ():
            name, sep, value = line.partition(":")
            if not sep:
                raise _Malformed(f"bad header line {line[:80]!r}")
            name = name.strip().lower()
            value = value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        if 100 <= status < 200:  # an interim answer: the real one follows
            return
        self._reusable = version == "HTTP/1.1"
        encoded = headers.get("content-encoding") not in (None, "identity")
        if "chunked" in (headers.get("transfer-encoding") or "").lower():
            mode = "chunked"
            self._length = -1
        elif status in (204, 304):
            mode, self._length = "length", 0
        elif "content-length" in headers:
            try:
                self._length = int(headers["content-length"])
            except ValueError:
                raise _Malformed("bad Content-Length") from None
            if self._length < 0:
                raise _Malformed("bad Content-Length")
            mode = "length"
            if self._length > self.max_bytes and not encoded:
                raise ResponseTooLarge(status)
        else:
            mode = "eof"
            self._reusable = False
        self._reply = (status, headers, mode)

    def _chunks(self) -> None:
        buf = self.buf
        while True:
            if self._length < 0:  # a size line next
                end = buf.find(b"\r\n")
                if end < 0:
                    return
                size_text = bytes(buf[:end]).split(b";", 1)[0].strip()
                try:
                    self._length = int(size_text, 16)
                except ValueError:
                    raise _Malformed("bad chunk size") from None
                del buf[: end + 2]
                if self._length == 0:  # the last chunk: trailers, then an empty line
                    self._length = -2
            if self._length == -2:
                end = buf.find(b"\r\n\r\n") if not buf.startswith(b"\r\n") else -2
                if end == -1:
                    return
                del buf[: end + 4]
                self._finish(bytes(self._body))
                return
            if len(buf) < self._length + 2:
                return
            self._body += buf[: self._length]
            del buf[: self._length + 2]
            self._length = -1
            self._check_size(len(self._body))

    def _check_size(self, size: int) -> None:
        if size > self.max_bytes and self._reply is not None:
            raise ResponseTooLarge(self._reply[0])


class _Malformed(Exception):
    """The answer is not HTTP/1.x as this client reads it."""


def _failed(name: str, message: str, cause: BaseException | None = None) -> Exception:
    return TransportFailed(name, message, tls_failure(cause) if cause is not None else None)


def _decompress(body: bytes, encoding: str, max_bytes: int, status: int) -> bytes:
    wbits = 16 + zlib.MAX_WBITS if encoding != "deflate" else zlib.MAX_WBITS
    try:
        try:
            out = zlib.decompressobj(wbits).decompress(body, max_bytes + 1)
        except zlib.error:
            if encoding != "deflate":
                raise
            out = zlib.decompressobj(-zlib.MAX_WBITS).decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise _failed("ContentEncodingError", str(exc)) from None
    if len(out) > max_bytes:
        raise ResponseTooLarge(status)
    return out


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
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}
        self._deadlines: dict[_Conn, float] = {}  # requests in flight, oldest first
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

    async def _connect(self, route: Route) -> _Conn:
        ssl = self._tls() if route.tls_name is not None else None
        try:
            _, conn = await asyncio.wait_for(
                self.loop.create_connection(
                    _Conn, route.host, route.port, ssl=ssl, server_hostname=route.tls_name
                ),
                self.total_s,
            )
        except asyncio.TimeoutError:
            raise TransportTimeout("ConnectTimeout") from None
        except OSError as exc:  # refused, unreachable, a name not found, a TLS failure
            raise _failed("ConnectError", f"{route.host}:{route.port}: {exc}", exc) from None
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
