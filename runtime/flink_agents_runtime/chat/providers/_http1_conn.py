"""One keep-alive HTTP/1.1 connection of the direct client (``_http1``): it sends a
request and reads the whole answer (see ``_http1``'s docstring for what it reads).

The answer is parsed by ``httptools`` (MagicStack's bindings to llhttp, Node.js's HTTP
parser, also uvicorn's), not by code of ours: llhttp is maintained against response
smuggling and the edge cases of the grammar (status lines, header syntax, a duplicate or
conflicting ``Content-Length``, ``Transfer-Encoding`` with ``Content-Length``, chunk sizes,
extensions and trailers, ``1xx`` interim answers, keep-alive rules per version). This
module only gathers what llhttp reports: the status, the headers (names in lower case,
repeated ones joined by ", "), the body (decoded when gzip or deflate), and whether the
connection may be reused. One thing llhttp cannot see is the end of a body that ends when
the server closes (httptools has no "end of input" call): that is read here, from
``eof_received``/``connection_lost``.

Why httptools over h11 (python-hyper's pure-Python parser, already installed with httpx):
CPU (``benchmarks/http1_parsers.py``, variants alternated in one process, load 9-11 on 2
cores): an OpenAI answer with 16 headers is parsed in ~11 µs by httptools, ~100-125 µs by
h11 (~10 µs by the hand-written parser httptools replaced); a whole loopback request costs
the client ~54 µs with httptools, ~163 µs with h11 (~58 µs hand-written, ~230 µs through
aiohttp). h11 would give back most of what leaving aiohttp saved. httptools is a compiled
wheel, so the runtime does not require it: without it, ``AVAILABLE`` is false and every
request goes through aiohttp (``_async_http``).
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

from flink_agents_runtime._http_env import tls_failure
from flink_agents_runtime.chat.providers._reply import (
    Reply,
    ResponseTooLarge,
    TransportFailed,
    TransportTimeout,
)

try:
    from httptools import HttpParserError, HttpParserUpgrade, HttpResponseParser
except ImportError:  # a worker without the wheel: aiohttp sends every request
    AVAILABLE = False
else:
    AVAILABLE = True

__all__ = ["AVAILABLE", "Conn", "Headers", "failed"]

_MAX_HEAD = 64 * 1024  # bytes of status line and headers
_get = dict.get  # a header by its lower-case name, without Headers.get's lower()


class Headers(dict[str, str]):
    """Response headers, names in lower case; ``get`` ignores the case of the name."""

    def get(self, name: str, default: Any = None) -> Any:
        return dict.get(self, name.lower(), default)


class Conn(asyncio.Protocol):
    """One keep-alive connection; one request at a time (``begin``, then the answer arrives
    in ``waiter``). llhttp's callbacks (``on_*``) fill the answer in."""

    def __init__(self) -> None:
        self.transport: Any = None
        self.closed = False
        self.waiter: asyncio.Future[Any] | None = None
        self.max_bytes = 0
        self._parser = HttpResponseParser(self)
        self._status = 0
        self._headers = Headers()
        self._headed = False  # the final answer's headers are complete
        self._head_size = 0  # bytes received before that
        self._until_eof = False  # its body ends when the server closes
        self._body: list[bytes] = []
        self._size = 0
        self._reply: Reply | None = None  # the whole answer, once llhttp completed it

    # -- asyncio's callbacks -------------------------------------------------------------
    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():  # nothing asked: not ours to keep
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except HttpParserUpgrade:
            self._fail(failed("ClientResponseError", "malformed answer: a protocol upgrade"))
            return
        except HttpParserError as exc:
            cause = exc.__context__  # what one of our callbacks raised, if one did
            if self._reply is not None:  # bytes after the whole answer: the connection goes
                self.closed = True
            elif isinstance(cause, (ResponseTooLarge, TransportFailed)):
                self._fail(cause)
                return
            else:
                self._fail(failed("ClientResponseError", f"malformed answer: {exc}"))
                return
        if not self._headed:
            self._head_size += len(data)
            if self._head_size > _MAX_HEAD:
                self._fail(failed("ClientResponseError", "response headers too long"))
                return
        if self._reply is not None:
            self._deliver()

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
            waiter.set_exception(failed(name, str(exc or "Server disconnected"), exc))

    # -- llhttp's callbacks (inside feed_data) -------------------------------------------
    def on_message_begin(self) -> None:
        if self._reply is not None:  # more after the whole answer: stop llhttp there
            raise failed("ClientResponseError", "bytes after the answer")  # the answer stands
        self._headers = Headers()

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._headed:  # a trailer after the last chunk: not part of the answer's head
            return
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1").strip()
        headers = self._headers
        headers[key] = f"{headers[key]}, {text}" if key in headers else text

    def on_headers_complete(self) -> None:
        parser = self._parser
        version = parser.get_http_version()
        if version[:2] != "1.":  # llhttp reads any digit.digit; this client speaks 1.x only
            raise failed("ClientResponseError", f"malformed answer: HTTP version {version}")
        status = parser.get_status_code()
        if status < 200:  # an interim answer (llhttp ends it here): the real one follows
            return
        self._status, self._headed = status, True
        headers = self._headers
        chunked = "chunked" in (_get(headers, "transfer-encoding") or "").lower()
        length = _get(headers, "content-length")
        self._until_eof = not chunked and length is None and status not in (204, 304)
        if (
            length is not None
            and not chunked
            and int(length) > self.max_bytes  # llhttp checked it is a number
            and _get(headers, "content-encoding") in (None, "identity")
        ):
            raise ResponseTooLarge(status)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)
        self._size += len(body)
        if self._size > self.max_bytes:
            raise ResponseTooLarge(self._status)

    def on_message_complete(self) -> None:
        if not self._headed:  # the end of an interim answer
            return
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        self._reply = Reply(self._status, self._headers, self._decoded(body))
        if not self._parser.should_keep_alive():  # HTTP/1.0, ``Connection: close``
            self.closed = True  # the connection goes once the answer is handed over

    # -- a request -----------------------------------------------------------------------
    def begin(self, request: bytes, max_bytes: int, waiter: asyncio.Future[Any]) -> None:
        self.waiter, self.max_bytes = waiter, max_bytes
        self._headed = self._until_eof = False
        self._head_size = self._size = 0
        self._body = []
        self._reply = None
        if self.closed:  # the server closed it before it was used
            waiter.set_exception(failed("ServerDisconnectedError", "Server disconnected"))
            return
        self.transport.write(request)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def expire(self) -> None:
        """The request's deadline passed: it fails and the connection goes."""
        self._fail(TransportTimeout("TimeoutError"))

    def _deliver(self) -> None:
        waiter, reply = self.waiter, self._reply
        if waiter is None or waiter.done() or reply is None:
            return
        if self.closed:
            self.close()
        waiter.set_result(reply)

    def _end_of_body(self) -> None:
        """The server closed: the end of a body read until then."""
        if self._headed and self._until_eof and self._reply is None:
            body = b"".join(self._body)
            try:
                self._reply = Reply(self._status, self._headers, self._decoded(body))
            except Exception as exc:  # a decoding error
                self._fail(exc)
                return
            self._deliver()

    def _fail(self, exc: BaseException) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()
        self.closed = True

    def _decoded(self, body: bytes) -> bytes:
        raw = _get(self._headers, "content-encoding")  # names are stored in lower case
        encoding = raw.strip().lower() if raw else "identity"
        if encoding in ("gzip", "x-gzip", "deflate"):
            return _decompress(body, encoding, self.max_bytes, self._status)
        if encoding != "identity":
            raise failed("ContentEncodingError", f"cannot decode {encoding!r}")
        return body


def failed(name: str, message: str, cause: BaseException | None = None) -> Exception:
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
        raise failed("ContentEncodingError", str(exc)) from None
    if len(out) > max_bytes:
        raise ResponseTooLarge(status)
    return out
