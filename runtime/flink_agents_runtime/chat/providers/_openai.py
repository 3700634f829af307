"""An OpenAI-compatible chat-completions connection (OpenAI, Ollama's and vLLM's OpenAI
endpoints, ...) over httpx (imported when the first call is made).

The API key comes from the ``api_key`` argument, else the ``openai.api-key`` option
(``FLINK_AGENTS_NB_OPENAI_API_KEY``), else the ``OPENAI_API_KEY`` environment variable; it
is never logged, shown in reprs, or kept in error messages (the server's echo of it is
redacted).

Bounded and retried (defaults in ``conf/config.yaml``): ``openai.timeout`` is the *total*
time of one HTTP request (connect, send, the whole response: a server dripping bytes is cut
at it); a connection error, timeout, HTTP 408/409/425/429 or 5xx is retried
``openai.max-retries`` times, waiting ``openai.retry-wait`` doubled per retry or what the
server's ``Retry-After`` asks (up to :data:`MAX_RETRY_AFTER_S`). Errors say whether retrying
may help (:class:`ChatModelError` ``retryable``); once the connection has retried, the error
is marked not retryable so the chat action does not square the attempts. A redirect is not
followed (the request carries the API key): it is an error naming the new location.

HTTPS and proxies (``_http_env``): both paths trust ``ca_file`` (else the ``openai.ca-file``
option, else ``SSL_CERT_FILE``, ``SSL_CERT_DIR``, else certifi's bundle) and go through the
proxy ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY`` name. A certificate that is not trusted
(or names another host) and a proxy's refusal (``407``) fail at once (not retried) with the
same message on both paths, naming the endpoint (and the proxy, its password hidden) and
what to set. The request format and the reply's checks are in ``_openai_wire``; failures and
retries in ``_http_failures``.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from collections.abc import Sequence
from typing import Any

from flink_agents_runtime._http_env import (
    new_httpx_client,
    not_trusted,
    proxy_for,
    proxy_refusal,
    tls_failure,
)
from flink_agents_runtime._redact import redact_text, redact_url
from flink_agents_runtime.chat._errors import ChatModelError
from flink_agents_runtime.chat._message import ChatMessage
from flink_agents_runtime.chat._model import BaseChatModelConnection, ResourceContext
from flink_agents_runtime.chat.providers._async_http import (
    AsyncTransport,
    Reply,
    ResponseTooLarge,
    TransportFailed,
    TransportTimeout,
)
from flink_agents_runtime.chat.providers._http_failures import (
    note_retries,
    pause_before_retry,
    proxy_error,
)
from flink_agents_runtime.chat.providers._openai_wire import (
    MAX_RETRY_AFTER_S,
    answer,
    retry_after_s,
    to_openai_message,
)
from flink_agents_runtime.chat.tools._tool import Tool

__all__ = [
    "MAX_RESPONSE_BYTES",
    "MAX_RETRY_AFTER_S",
    "OpenAIChatModelConnection",
    "retry_after_s",
    "to_openai_message",
]

logger = logging.getLogger(__name__)

#: Largest response body read (bytes).
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


class OpenAIChatModelConnection(BaseChatModelConnection):
    """Chat completions at ``{base_url}/chat/completions``.

    Args:
        base_url: e.g. ``https://api.openai.com/v1`` or ``http://localhost:11434/v1``
            (else the ``openai.base-url`` option).
        api_key: the bearer token (see the module docstring for the fallbacks).
        timeout: total seconds per request (else ``openai.timeout``); must be positive.
        headers: extra request headers (not logged).
        max_retries: retries of a failed request (else ``openai.max-retries``).
        ca_file: a PEM bundle (or a directory of hashed certificates) of the CAs to trust
            instead of ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` / certifi's (a private CA's, for an
            internal gateway); else the ``openai.ca-file`` option. The path must exist where
            the calls run (each Flink worker).
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float | None = None,
        headers: dict[str, str] | None = None,
        max_retries: int | None = None,
        ca_file: str | None = None,
    ) -> None:
        if timeout is not None and not (
            isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0
        ):
            raise ChatModelError(
                f"OpenAIChatModelConnection timeout={timeout!r}: must be a positive number of "
                "seconds"
            )
        if max_retries is not None and (not isinstance(max_retries, int) or max_retries < 0):
            raise ChatModelError(
                f"OpenAIChatModelConnection max_retries={max_retries!r}: must be an integer >= 0"
            )
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.ca_file = None if ca_file is None else os.fspath(ca_file)
        self._api_key = api_key
        self._headers = dict(headers or {})
        self._config: Any = None
        self._client: Any = None
        self._lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------
    def open(self, context: ResourceContext) -> None:
        self._config = getattr(context, "config", None)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        _close_async_client(self)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_client"] = None
        state.pop("_atransport", None)
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        key = "****" if self._resolve_key() else None
        return f"OpenAIChatModelConnection(base_url={self._shown_url!r}, api_key={key!r})"

    # -- settings ------------------------------------------------------------------------
    def _option(self, key: str) -> Any:
        if self._config is None:
            from flink_agents_runtime.config._options import find_option

            option = find_option(key)
            return option.default if option is not None else None
        return self._config.get(key)

    def _options(self) -> dict[str, Any]:
        """The ``openai.*`` options this connection reads per call, read once per
        configuration (``AgentConfiguration.derived``; each agent's own still applies)."""
        derived = getattr(self._config, "derived", None)
        if derived is None:
            return {key: self._option(key) for key in _OPTION_KEYS}
        return derived("openai.connection", _read_options)

    @property
    def url(self) -> str:
        """The chat-completions endpoint."""
        base = self.base_url or self._options()["openai.base-url"]
        return str(base).rstrip("/") + "/chat/completions"

    @property
    def _shown_url(self) -> str:
        """:attr:`url` for messages: a password in it (``https://user:pw@host``) hidden
        (kept per URL: every call names it)."""
        url = self.url
        shown = self.__dict__.get("_shown")
        if shown is None or shown[0] != url:
            shown = self._shown = (url, redact_url(url))
        return shown[1]

    def _resolve_key(self) -> str | None:
        return (
            self._api_key or self._options()["openai.api-key"] or os.environ.get("OPENAI_API_KEY")
        )

    def _http(self) -> Any:
        with self._lock:
            if self._client is None:
                ca_file, ca_setting = self._ca()
                self._client = new_httpx_client(
                    self._total_timeout(), ca_file=ca_file, ca_setting=ca_setting
                )
            return self._client

    def _ca(self) -> tuple[str | None, str]:
        """``(CA bundle to trust or None, the setting that named it)``: ``ca_file=``, else
        the ``openai.ca-file`` option (``None``: the environment's, ``_http_env``)."""
        own = self.__dict__.get("ca_file")  # absent in a connection pickled before it existed
        if own is not None:
            return own, "the connection's ca_file"
        return self._options()["openai.ca-file"] or None, "openai.ca-file"  # "": unset

    # -- the call ------------------------------------------------------------------------
    def _prepare(
        self, messages: Sequence[ChatMessage], tools: Sequence[Tool] | None, kwargs: dict[str, Any]
    ) -> tuple[bytes, dict[str, str], str, str]:
        """The request both chat paths send: ``(body, headers, where, model)``."""
        model = kwargs.pop("model", None)
        if not model:
            raise ChatModelError(
                f"{self._shown_url}: no model name; set model= on the chat model setup"
            )
        body: dict[str, Any] = {
            "model": model,
            "messages": [to_openai_message(m) for m in messages],
            **kwargs,
        }
        if tools:
            body["tools"] = [t.to_openai() for t in tools]
        headers = {"Content-Type": "application/json", **self._headers}
        key = self._resolve_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        where = f"{self._shown_url} (model {model!r})"
        return json.dumps(body).encode(), headers, where, str(model)

    def _retries(self) -> tuple[int, float]:
        """``(retries, first wait in seconds)`` of a failed request."""
        options = self._options()
        retries = self.max_retries
        if retries is None:
            retries = options["openai.max-retries"]
        return int(retries), float(options["openai.retry-wait"])

    def chat(
        self, messages: Sequence[ChatMessage], tools: Sequence[Tool] | None = None, **kwargs: Any
    ) -> ChatMessage:
        body, headers, where, model = self._prepare(messages, tools, kwargs)
        retries, base_wait = self._retries()
        attempt = 0
        waited = 0.0
        while True:
            try:
                message = self._request(body, headers, where, model)
            except ChatModelError as exc:
                pause = pause_before_retry(exc, attempt, retries, base_wait)
                attempt += 1
                if pause > 0:
                    time.sleep(pause)
                    waited += pause
                continue
            return note_retries(message, attempt, waited)

    def _total_timeout(self) -> float:
        return float(self.timeout or self._options()["openai.timeout"])

    def _request(self, body: bytes, headers: dict[str, str], where: str, model: str) -> ChatMessage:
        """One HTTP request within the total timeout; :class:`ChatModelError` otherwise."""
        import httpx

        total = self._total_timeout()
        deadline = time.monotonic() + total
        try:
            with self._http().stream("POST", self.url, content=body, headers=headers) as resp:
                chunks: list[bytes] = []
                size = 0
                for chunk in resp.iter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout(f"response not complete after {total:g} s")
                    if size > MAX_RESPONSE_BYTES:
                        raise ChatModelError(
                            f"{where}: response larger than {MAX_RESPONSE_BYTES} bytes",
                            status=resp.status_code,
                        )
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout(f"response not complete after {total:g} s")
                reply = Reply(resp.status_code, resp.headers, b"".join(chunks))
        except httpx.TimeoutException as exc:
            raise self._transport_error(exc, where, total, timed_out=True) from None
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, where, total) from None
        return self._answer(reply, where, model)

    async def achat(
        self, messages: Sequence[ChatMessage], tools: Sequence[Tool] | None = None, **kwargs: Any
    ) -> ChatMessage:
        """:meth:`chat` on the event loop (``engine.awaiting._loop``) over the async transport
        (``_async_http``): a call in flight holds a connection, not a thread. Same
        request, retries, total timeout, redirect and size rules as :meth:`chat`."""
        import asyncio

        body, headers, where, model = self._prepare(messages, tools, kwargs)
        retries, base_wait = self._retries()
        attempt = 0
        waited = 0.0
        while True:
            try:
                message = await self._arequest(body, headers, where, model)
            except ChatModelError as exc:
                pause = pause_before_retry(exc, attempt, retries, base_wait)
                attempt += 1
                if pause > 0:
                    await asyncio.sleep(pause)
                    waited += pause
                continue
            return note_retries(message, attempt, waited)

    async def _arequest(
        self, body: bytes, headers: dict[str, str], where: str, model: str
    ) -> ChatMessage:
        """:meth:`_request` on the event loop."""
        transport = self.__dict__.get("_atransport")
        if transport is None:
            transport = self._atransport = AsyncTransport(self._total_timeout(), *self._ca())
        try:
            reply = await transport.post(self.url, body, headers, MAX_RESPONSE_BYTES)
        except TransportTimeout as exc:
            raise self._transport_error(exc, where, transport.total_s, timed_out=True) from None
        except TransportFailed as exc:
            raise self._transport_error(exc, where, transport.total_s) from None
        except ResponseTooLarge as exc:
            raise ChatModelError(
                f"{where}: response larger than {MAX_RESPONSE_BYTES} bytes", status=exc.status
            ) from None
        return self._answer(reply, where, model)

    def _transport_error(
        self, exc: BaseException, where: str, total: float, *, timed_out: bool = False
    ) -> ChatModelError:
        """The error for a request that got no answer (both chat paths): retryable, except
        for a server certificate that is not trusted or a proxy's refusal (but a 5xx)."""
        name = getattr(exc, "name", None) or type(exc).__name__
        if timed_out:
            return ChatModelError(
                f"{where}: timed out after {total:g} s total ({name}); raise openai.timeout?",
                retryable=True,
            )
        refused = exc.tls if isinstance(exc, TransportFailed) else tls_failure(exc)
        if refused is not None:
            return ChatModelError(not_trusted(where, refused, ca_file_option=True))
        detail = str(exc) if isinstance(exc, TransportFailed) else f"{name}: {exc}"
        proxy = proxy_for(self.url)
        status = exc.proxy_status if isinstance(exc, TransportFailed) else proxy_refusal(exc)
        if status is not None and proxy:
            return proxy_error(where, proxy, status)
        via = f" (through the proxy {redact_url(proxy)})" if proxy else ""
        return ChatModelError(
            f"{where}: request failed{via}: {self._redact(detail)}",
            retryable=True,
        )

    def _answer(self, resp: Any, where: str, model: str) -> ChatMessage:
        """The parsed reply, or the error for a redirect or an HTTP error status (both chat
        paths; ``_openai_wire.answer``). A 407 for a plain ``http://`` URL is the proxy's."""
        if resp.status_code == 407 and (proxy := proxy_for(self.url)):
            raise proxy_error(where, proxy, 407)
        return answer(resp, where, model, self._redact)

    def _redact(self, text: str) -> str:
        secrets = [self._resolve_key(), *self._headers.values()]
        return redact_text(text, secrets)


_OPTION_KEYS = (
    "openai.base-url",
    "openai.api-key",
    "openai.ca-file",
    "openai.max-retries",
    "openai.retry-wait",
    "openai.timeout",
)


def _read_options(config: Any) -> dict[str, Any]:
    """The values of :data:`_OPTION_KEYS` in ``config``."""
    return {key: config.get(key) for key in _OPTION_KEYS}


def _close_async_client(conn: OpenAIChatModelConnection) -> None:
    """Close the connection's async transport on the loop its session was made on (the
    process's call loop, or a local run's own: ``engine.awaiting._loop.run_to_end``; up to 5 s)."""
    transport = conn.__dict__.pop("_atransport", None)
    if transport is None:
        return
    from flink_agents_runtime.engine.awaiting._loop import run_to_end

    try:
        run_to_end(transport.loop, transport.aclose(), 5)
    except Exception:  # closing must not hide the run's result
        logger.debug("closing the async HTTP transport failed", exc_info=True)
