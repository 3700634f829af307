"""One keep-alive HTTP/1.1 connection of the direct client (``_http1``): it sends a
request and reads the whole answer (see ``_http1``'s docstring for what it reads)."""

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

__all__ = ["Conn", "Headers", "failed"]

_MAX_HEAD = 64 * 1024  # bytes of status line and headers
_get = dict.get  # a header by its lower-case name, without Headers.get's lower()


class Headers(dict[str, str]):
    """Response headers, names in lower case; ``get`` ignores the case of the name."""

    def get(self, name: str, default: Any = None) -> Any:
        return dict.get(self, name.lower(), default)


class Conn(asyncio.Protocol):
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
        except Exception as exc:  # malformed, too large, not decodable
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
            waiter.set_exception(failed(name, str(exc or "Server disconnected"), exc))

    # -- a request -----------------------------------------------------------------------
    def begin(self, request: bytes, max_bytes: int, waiter: asyncio.Future[Any]) -> None:
        self.waiter, self.max_bytes = waiter, max_bytes
        self.buf.clear()
        self._body = bytearray()
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
        raw = _get(headers, "content-encoding")  # names are stored in lower case
        encoding = raw.strip().lower() if raw else "identity"
        if encoding in ("gzip", "x-gzip", "deflate"):
            body = _decompress(body, encoding, self.max_bytes, status)
        elif encoding != "identity":
            raise failed("ContentEncodingError", f"cannot decode {encoding!r}")
        if len(body) > self.max_bytes:
            raise ResponseTooLarge(status)
        if not self._reusable or self.buf or "close" in (_get(headers, "connection") or "").lower():
            self.close()
        self.waiter.set_result(Reply(status, headers, body))

    # -- reading the answer --------------------------------------------------------------
    def _parse(self) -> None:
        buf = self.buf
        while self._reply is None:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > _MAX_HEAD:
                    raise _malformed("response headers too long")
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
            raise _malformed(f"bad status line {status_line[:80]!r}")
        status = int(code)
        headers = Headers()
        for line in rest.split("\r\n") if rest else ():
            name, sep, value = line.partition(":")
            if not sep:
                raise _malformed(f"bad header line {line[:80]!r}")
            name = name.strip().lower()
            value = value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        if 100 <= status < 200:  # an interim answer: the real one follows
            return
        self._reusable = version == "HTTP/1.1"
        encoded = _get(headers, "content-encoding") not in (None, "identity")
        if "chunked" in (_get(headers, "transfer-encoding") or "").lower():
            mode = "chunked"
            self._length = -1
        elif status in (204, 304):
            mode, self._length = "length", 0
        elif "content-length" in headers:
            try:
                self._length = int(headers["content-length"])
            except ValueError:
                raise _malformed("bad Content-Length") from None
            if self._length < 0:
                raise _malformed("bad Content-Length")
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
                    raise _malformed("bad chunk size") from None
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


def _malformed(why: str) -> Exception:
    """The error of an answer that is not HTTP/1.x as this client reads it."""
    return failed("ClientResponseError", why)


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
