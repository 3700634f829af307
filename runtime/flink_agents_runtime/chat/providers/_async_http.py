"""The asynchronous HTTP transport of the chat connections, on the call loop.

A call that awaits the model (``achat``) runs on an event loop (``engine/awaiting/_loop.py``, or a
local run's own, ``drivers/_driver_loop.py``); what it costs there is CPU taken from the
driver's thread, which steps every input's cascade under the same interpreter lock.
httpx's ``AsyncClient`` (over anyio and httpcore, pure Python) costs about 0.5-3 ms of CPU
per request, aiohttp (a C HTTP parser, no anyio layer) about 0.13 ms, and the lean HTTP/1.1
client of ``_http1`` about 0.05 ms, which is what lets a subtask keep up with a 50 ms model
on 50 keys (``benchmarks/bench_in_flight.py``). The blocking calls (``chat``) keep httpx's
sync client.

:class:`AsyncTransport` sends a request the direct way when it can (``_http1``: an
``http``/``https`` URL with no proxy, headers it can send as they are, httptools installed)
and through one ``aiohttp.ClientSession`` otherwise (a proxy, a user name in the URL). Both
are created on the loop on first use (they are bound to the loop that made them), with no bound on
connections (the scheduler's ``max-in-flight-inputs`` bounds the calls), keep-alive, no
cookies, and the proxy and certificates the environment names (``_http_env``: the same
rules, and the same functions, as the blocking httpx path; the proxy is looked up once per
URL, not per request, where aiohttp's ``trust_env`` would look it up and ``.netrc`` on a
thread for every request). Redirects are never followed (requests carry API keys).

Every path hands the connection a :class:`Reply` (status, headers, body), so the answer is
checked and parsed by one function.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from flink_agents_runtime._http_env import proxy_for, proxy_refusal, tls_context, tls_failure
from flink_agents_runtime.chat.providers import _http1_conn
from flink_agents_runtime.chat.providers._http1 import Http1Pool, Route, head_lines, route_of
from flink_agents_runtime.chat.providers._reply import (
    Reply,
    ResponseTooLarge,
    TransportFailed,
    TransportTimeout,
)

__all__ = [
    "AsyncTransport",
    "Reply",
    "ResponseTooLarge",
    "TransportFailed",
    "TransportTimeout",
    "proxy_for",
]

#: Whether requests go the direct way (``_http1``) when they can (``False``: always through
#: aiohttp, as before; benchmarks compare both in one process). Without httptools (the
#: direct client's parser, ``_http1_conn.AVAILABLE``) they always go through aiohttp.
DIRECT = True


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
        self._pool: Http1Pool | None = None
        self._ssl: Any = None
        #: url -> its route on the lean client (``None``: aiohttp's, with its proxy).
        self._routes: dict[str, Route | None] = {}
        self._proxies: dict[str, str | None] = {}
        self._heads: dict[tuple[tuple[str, str], ...], bytes | None] = {}
        #: the loop the session or pool was made on (``aclose`` must run there), once made.
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
        try:
            route = self._routes[url]
        except KeyError:
            proxy = self._proxies[url] = proxy_for(url)
            direct = proxy is None and DIRECT and _http1_conn.AVAILABLE  # httptools installed
            route = self._routes[url] = route_of(url) if direct else None
        if route is not None:
            key = tuple(headers.items())
            try:
                head = self._heads[key]
            except KeyError:
                if len(self._heads) > 16:
                    self._heads.clear()
                head = self._heads[key] = head_lines(headers)
            if head is not None:
                pool = self._pool
                if pool is None or pool.loop is not asyncio.get_running_loop():
                    pool = self._open_pool()  # first use, or another loop's call
                return await pool.post(route, head, data, max_bytes)
        return await self._post_aiohttp(url, data, headers, max_bytes)

    def _open_pool(self) -> Http1Pool:
        old, self._pool = self._pool, None
        if old is not None:
            with contextlib.suppress(RuntimeError):  # its loop closed: nothing to close
                old.close()
        self._pool = Http1Pool(self.total_s, self._tls)
        self.loop = self._pool.loop
        return self._pool

    async def _post_aiohttp(
        self, url: str, data: bytes, headers: dict[str, str], max_bytes: int
    ) -> Reply:
        """:meth:`post` through aiohttp (a proxy, a URL or headers the lean client does
        not send)."""
        import aiohttp

        session = self._session
        if session is None or self.loop is not asyncio.get_running_loop():
            session = self._open()  # first use, or another loop's (a local run's own) call
        tls = self._tls() if url.startswith("https:") else True
        proxy = self._proxies[url]
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
        """Close the connections and the session (on the loop that made them)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
        session, self._session = self._session, None
        if session is not None:
            await session.close()
