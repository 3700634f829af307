"""The asynchronous HTTP transport of the chat connections: aiohttp on the call loop.

A call that awaits the model (``achat``) runs on the process's event loop
(``engine/_loop.py``); what it costs there is CPU taken from the driver's thread, which
steps every input's cascade under the same interpreter lock. httpx's ``AsyncClient`` (over
anyio and httpcore, pure Python) costs about 0.5-3 ms of CPU per request; aiohttp (a C
HTTP parser, no anyio layer) costs about 0.2 ms, which is what lets a subtask keep up with a
50 ms model on 50 keys (``benchmarks/bench_in_flight.py``). The blocking calls (``chat``)
keep httpx's sync client.

:class:`AsyncTransport` holds one ``aiohttp.ClientSession`` per connection object, created
on the loop on first use (sessions are bound to the loop that made them), with no bound on
connections (the scheduler's ``max-in-flight-inputs`` bounds the calls), keep-alive, no
cookie jar, and the proxy and certificates the environment names (``_http_env``: the
same rules, and the same functions, as the blocking httpx path; the proxy is looked up once
per URL, not per request, where aiohttp's ``trust_env`` would look it up and ``.netrc`` on a
thread for every request). Redirects are never followed (requests carry API keys).

Both paths hand the connection a :class:`Reply` (status, headers, body), so the answer is
checked and parsed by one function.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import msgspec

from flink_agents_runtime._http_env import proxy_for, proxy_refusal, tls_context, tls_failure

__all__ = [
    "AsyncTransport",
    "Reply",
    "ResponseTooLarge",
    "TransportFailed",
    "TransportTimeout",
    "proxy_for",
]

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


class AsyncTransport:
    """POSTs of one connection on the call loop (see the module docstring).

    Args:
        total_s: seconds one request may take in all (connect, send, the whole answer).
        ca_file: the CA bundle to trust instead of the environment's (``_http_env``).
        ca_setting: what named ``ca_file`` (for the message when it cannot be read).
    """

    def __init__(
        self,
        total_s: float,
        ca_file: str | None = None,
        ca_setting: str = "the connection's ca_file",
    ) -> None:
        self.total_s = total_s
        self.ca_file = ca_file
        self.ca_setting = ca_setting
        self._session: Any = None
        self._ssl: Any = None
        self._proxies: dict[str, str | None] = {}
        #: the loop the session was made on (``aclose`` must run there), once made.
        self.loop: asyncio.AbstractEventLoop | None = None

    def _open(self) -> Any:
        import aiohttp

        self.loop = asyncio.get_running_loop()
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.total_s),
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self._session

    def _tls(self) -> Any:
        if self._ssl is None:
            self._ssl = tls_context(self.ca_file, self.ca_setting)
        return self._ssl

    async def post(self, url: str, data: bytes, headers: dict[str, str], max_bytes: int) -> Reply:
        """POST ``data`` to ``url``; the complete answer, whatever its status.

        Raises :class:`TransportTimeout` past ``total_s``, :class:`TransportFailed` when no
        answer came (refused, reset, malformed HTTP), :class:`ResponseTooLarge` past
        ``max_bytes`` of body.
        """
        import aiohttp

        session = self._session
        if session is None or self.loop is not asyncio.get_running_loop():
            session = self._open()  # first use, or another loop's (a local run's own) call
        tls = self._tls() if url.startswith("https:") else True
        try:
            proxy = self._proxies[url]
        except KeyError:
            proxy = self._proxies[url] = proxy_for(url)
        try:
            async with session.post(
                url, data=data, headers=headers, allow_redirects=False, ssl=tls, proxy=proxy
            ) as resp:
                length = resp.content_length
                if length is not None and resp.headers.get("Content-Encoding") is None:
                    if length > max_bytes:
                        raise ResponseTooLarge(resp.status)
                    return Reply(resp.status, resp.headers, await resp.read())
                chunks: list[bytes] = []  # chunked or compressed: counted as it comes
                size = 0
                async for chunk in resp.content.iter_any():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > max_bytes:
                        raise ResponseTooLarge(resp.status)
                return Reply(resp.status, resp.headers, b"".join(chunks))
        except asyncio.TimeoutError as exc:
            raise TransportTimeout(type(exc).__name__) from None
        except aiohttp.ClientConnectorError as exc:  # named as on the sync (httpx) path
            raise TransportFailed("ConnectError", str(exc), tls_failure(exc)) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise TransportFailed(
                type(exc).__name__, str(exc), tls_failure(exc), proxy_refusal(exc)
            ) from None

    async def aclose(self) -> None:
        """Close the session (on the loop that made it)."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()
