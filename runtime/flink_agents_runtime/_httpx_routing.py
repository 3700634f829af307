"""An httpx transport that sends each request directly or through the proxy a routing
function names for its URL (``_http_env.proxy_for``); imported with httpx, when the first
blocking call is made."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable

import httpx


class ProxyRouting(httpx.BaseTransport):
    """Routes a request by its scheme, host and port (``route(url)``: the proxy URL or
    ``None`` for direct, decided once per origin), over one pooled ``httpx.HTTPTransport``
    per route, all trusting ``verify``."""

    def __init__(
        self, route: Callable[[str], str | None], verify: ssl.SSLContext, limits: httpx.Limits
    ) -> None:
        self._route = route
        self._verify = verify
        self._limits = limits
        self._routes: dict[tuple[str, str, int | None], str | None] = {}
        self._transports: dict[str | None, httpx.HTTPTransport] = {}
        self._lock = threading.Lock()

    def _transport(self, url: httpx.URL) -> httpx.HTTPTransport:
        origin = (url.scheme, url.host, url.port)
        try:
            proxy = self._routes[origin]
        except KeyError:
            proxy = self._routes[origin] = self._route(str(url))
        found = self._transports.get(proxy)
        if found is None:
            with self._lock:
                found = self._transports.get(proxy)
                if found is None:
                    found = httpx.HTTPTransport(
                        verify=self._verify, limits=self._limits, trust_env=False, proxy=proxy
                    )
                    self._transports[proxy] = found
        return found

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._transport(request.url).handle_request(request)

    def close(self) -> None:
        with self._lock:
            transports, self._transports = list(self._transports.values()), {}
        for transport in transports:
            transport.close()
