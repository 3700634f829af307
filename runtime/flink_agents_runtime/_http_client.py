"""One lazily made httpx client per connection object, safe to pickle: what the HTTP chat and
embedding connections share.

httpx is imported when the first call is made (the runtime stays importable without paying
for it); the client is never pickled (a Flink job ships the connection, and each worker makes
its own client on first use). The client trusts the certificates and takes the proxy the
environment names, by the same rules as the chat connections' (``_http_env``).
"""

from __future__ import annotations

import threading
from typing import Any


class LazyHttpClient:
    """Mixin: :meth:`http_client` makes the connection's ``httpx.Client`` on first use (under a
    lock, so concurrent calls share one); :meth:`close` closes it; pickling drops it.

    Subclasses call :meth:`_init_http_client` from ``__init__`` and may override
    :meth:`_new_http_client` to set limits.
    """

    _client: Any
    _lock: threading.Lock

    def _init_http_client(self) -> None:
        self._client = None
        self._lock = threading.Lock()

    def _new_http_client(self, timeout_s: float) -> Any:
        from flink_agents_runtime._http_env import new_httpx_client

        return new_httpx_client(timeout_s, max_connections=100, max_keepalive=20)

    def http_client(self, timeout_s: float) -> Any:
        """The connection's client (``timeout_s``: total timeout, seconds, used when it is
        made)."""
        with self._lock:
            if self._client is None:
                self._client = self._new_http_client(timeout_s)
            return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_client"] = None
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
