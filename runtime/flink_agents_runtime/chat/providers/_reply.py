"""What both asynchronous HTTP clients of the chat connections hand back: a complete
:class:`Reply`, or one of the transport's errors (``_async_http``, ``_http1``)."""

from __future__ import annotations

import json
from typing import Any

import msgspec

__all__ = ["Reply", "ResponseTooLarge", "TransportFailed", "TransportTimeout"]

_decode = msgspec.json.decode


class TransportTimeout(Exception):
    """The request did not complete within the total timeout (``name``: what expired)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class TransportFailed(Exception):
    """The request got no HTTP answer (``name``: the client's error class; the message;
    ``tls``: why the server's certificate was refused, when that is why; ``proxy_status``:
    the HTTP status with which the proxy refused the tunnel, when that is why)."""

    def __init__(
        self, name: str, message: str, tls: str | None = None, proxy_status: int | None = None
    ) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.tls = tls
        self.proxy_status = proxy_status


class ResponseTooLarge(Exception):
    """The response body passed the size limit (``status``: its HTTP status)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Reply:
    """A complete HTTP response: ``status_code``, case-insensitive ``headers`` (``get``),
    the body ``content`` (bytes, decompressed), ``text`` and ``json()``."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: Any, content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        """The body as text (UTF-8, undecodable bytes replaced)."""
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body's JSON value; ``ValueError`` when it is not JSON."""
        try:
            return _decode(self.content)
        except msgspec.DecodeError:  # what msgspec refuses (e.g. NaN) json may still read
            return json.loads(self.content)
