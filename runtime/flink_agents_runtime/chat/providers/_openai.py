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
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import os
import threading
import time
from collections.abc import Sequence
from typing import Any

from flink_agents_runtime._redact import redact_text, redact_url
from flink_agents_runtime.chat._errors import ChatModelError
from flink_agents_runtime.chat._message import ChatMessage, MessageRole, normalize_tool_call
from flink_agents_runtime.chat._model import BaseChatModelConnection, ResourceContext
from flink_agents_runtime.chat._tool import Tool
from flink_agents_runtime.chat.providers._async_http import (
    AsyncTransport,
    Reply,
    ResponseTooLarge,
    TransportFailed,
    TransportTimeout,
)

logger = logging.getLogger(__name__)

_RETRYABLE_STATUS = {408, 409, 425, 429}
#: The longest ``Retry-After`` honoured (seconds); a server asking more fails the call.
MAX_RETRY_AFTER_S = 60.0
#: Largest response body read (bytes).
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


def to_openai_message(m: ChatMessage) -> dict[str, Any]:
    """A message in the chat-completions request format."""
    out: dict[str, Any] = {"role": m.role.value, "content": m.content}
    if m.role is MessageRole.ASSISTANT and m.tool_calls:
        out["content"] = m.content or None
        out["tool_calls"] = [
            {
                "id": c.get("original_id") or c["id"],
                "type": "function",
                "function": {
                    "name": c["function"]["name"],
                    "arguments": json.dumps(c["function"]["arguments"]),
                },
            }
            for c in (normalize_tool_call(c, i) for i, c in enumerate(m.tool_calls))
        ]
    if m.role is MessageRole.TOOL:
        out["tool_call_id"] = m.extra_args.get("external_id") or m.extra_args.get("tool_call_id")
    return out


class OpenAIChatModelConnection(BaseChatModelConnection):
    """Chat completions at ``{base_url}/chat/completions``.

    Args:
        base_url: e.g. ``https://api.openai.com/v1`` or ``http://localhost:11434/v1``
            (else the ``openai.base-url`` option).
        api_key: the bearer token (see the module docstring for the fallbacks).
        timeout: total seconds per request (else ``openai.timeout``); must be positive.
        headers: extra request headers (not logged).
        max_retries: retries of a failed request (else ``openai.max-retries``).
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float | None = None,
        headers: dict[str, str] | None = None,
        max_retries: int | None = None,
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

    @property
    def url(self) -> str:
        """The chat-completions endpoint."""
        base = self.base_url or self._option("openai.base-url")
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
        return self._api_key or self._option("openai.api-key") or os.environ.get("OPENAI_API_KEY")

    def _http(self) -> Any:
        with self._lock:
            if self._client is None:
                import httpx

                timeout = self._total_timeout()
                self._client = httpx.Client(
                    timeout=httpx.Timeout(timeout),
                    follow_redirects=False,
                    limits=httpx.Limits(max_connections=200, max_keepalive_connections=100),
                )
            return self._client

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
        retries = (
            self.max_retries if self.max_retries is not None else self._option("openai.max-retries")
        )
        return int(retries), float(self._option("openai.retry-wait"))

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
                if not exc.retryable or attempt >= retries:
                    if attempt:
                        exc.retryable = False  # retried here already
                    raise
                pause = exc.retry_after if exc.retry_after is not None else base_wait * 2**attempt
                attempt += 1
                logger.warning("%s; retry %d/%d in %.3fs", exc, attempt, retries, pause)
                if pause > 0:
                    time.sleep(pause)
                    waited += pause
                continue
            if attempt:
                message.extra_args["connection_retries"] = attempt
                message.extra_args["connection_retry_wait_sec"] = waited
            return message

    def _total_timeout(self) -> float:
        return float(self.timeout or self._option("openai.timeout"))

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
        """:meth:`chat` on the event loop (``engine._loop``) over the async transport
        (aiohttp, ``_async_http``): a call in flight holds a connection, not a thread. Same
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
                if not exc.retryable or attempt >= retries:
                    if attempt:
                        exc.retryable = False  # retried here already
                    raise
                pause = exc.retry_after if exc.retry_after is not None else base_wait * 2**attempt
                attempt += 1
                logger.warning("%s; retry %d/%d in %.3fs", exc, attempt, retries, pause)
                if pause > 0:
                    await asyncio.sleep(pause)
                    waited += pause
                continue
            if attempt:
                message.extra_args["connection_retries"] = attempt
                message.extra_args["connection_retry_wait_sec"] = waited
            return message

    async def _arequest(
        self, body: bytes, headers: dict[str, str], where: str, model: str
    ) -> ChatMessage:
        """:meth:`_request` on the event loop."""
        transport = self.__dict__.get("_atransport")
        if transport is None:
            transport = self._atransport = AsyncTransport(self._total_timeout())
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
        """The retryable error for a request that got no answer (both chat paths)."""
        name = getattr(exc, "name", None) or type(exc).__name__
        if timed_out:
            return ChatModelError(
                f"{where}: timed out after {total:g} s total ({name}); raise openai.timeout?",
                retryable=True,
            )
        detail = str(exc) if isinstance(exc, TransportFailed) else f"{name}: {exc}"
        return ChatModelError(
            f"{where}: request failed: {self._redact(detail)}",
            retryable=True,
        )

    def _answer(self, resp: Any, where: str, model: str) -> ChatMessage:
        """The parsed reply, or the error for a redirect (never followed: the request carries
        the API key) or an HTTP error status (both chat paths)."""
        if 300 <= resp.status_code < 400:
            location = self._redact(resp.headers.get("location") or "(no Location header)")
            raise ChatModelError(
                f"{where} answered HTTP {resp.status_code} (redirect to {location}); redirects "
                "are not followed (the request carries the API key): set openai.base-url (or "
                "base_url=) to the new address",
                status=resp.status_code,
            )
        if resp.status_code >= 400:
            raise ChatModelError(
                f"{where} answered HTTP {resp.status_code}: {self._server_says(resp)}",
                retryable=resp.status_code >= 500 or resp.status_code in _RETRYABLE_STATUS,
                status=resp.status_code,
                retry_after=retry_after_s(resp.headers.get("retry-after")),
            )
        return self._parse(resp, where, model)

    def _redact(self, text: str) -> str:
        secrets = [self._resolve_key(), *self._headers.values()]
        return redact_text(text, secrets)

    def _server_says(self, resp: Any) -> str:
        text = resp.text
        try:
            data = json.loads(text)
        except ValueError:
            return self._redact(text[:500]) or "(empty body)"
        err = data.get("error") if isinstance(data, dict) else None
        if isinstance(err, dict):
            parts = [str(err.get("message") or "")]
            for field in ("type", "code"):
                if err.get(field):
                    parts.append(f"{field}={err[field]}")
            return self._redact(" ".join(p for p in parts if p))
        if isinstance(err, str):
            return self._redact(err)
        return self._redact(text[:500])

    def _parse(self, resp: Any, where: str, model: str) -> ChatMessage:
        def malformed(why: str) -> ChatModelError:
            return ChatModelError(
                f"{where}: malformed response ({why}): {self._redact(resp.text[:300])!r}",
                status=resp.status_code,
            )

        try:
            data = resp.json()
        except ValueError:
            raise malformed("not JSON") from None
        if not isinstance(data, dict):
            raise malformed("not a JSON object")
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices:
            raise malformed("no choices")
        message = choices[0].get("message") if isinstance(choices[0], dict) else None
        if not isinstance(message, dict):
            raise malformed("choices[0] has no message")
        content = message.get("content") or ""
        if not isinstance(content, str):
            raise malformed("message content is not a string")
        try:
            calls = [
                normalize_tool_call(c, i) for i, c in enumerate(message.get("tool_calls") or [])
            ]
        except (ValueError, AttributeError) as exc:
            raise malformed(f"bad tool call: {exc}") from None
        raw_usage = data.get("usage")
        usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
        tokens = {}
        for name, field in (
            ("promptTokens", "prompt_tokens"),
            ("completionTokens", "completion_tokens"),
        ):
            raw = usage.get(field)
            if raw is None:
                tokens[name] = 0
            elif isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
                tokens[name] = raw
            elif isinstance(raw, float) and raw.is_integer() and raw >= 0:
                tokens[name] = int(raw)
            else:
                raise malformed(f"usage.{field} is {raw!r}, not a count of tokens")
        extra: dict[str, Any] = {"model_name": str(data.get("model") or model), **tokens}
        finish = choices[0].get("finish_reason")
        if finish:
            extra["finish_reason"] = finish
        return ChatMessage(MessageRole.ASSISTANT, content, tool_calls=calls, extra_args=extra)


def retry_after_s(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or an HTTP date), or
    ``None`` when absent or unreadable. Capped at :data:`MAX_RETRY_AFTER_S`."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - time.time()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def _close_async_client(conn: OpenAIChatModelConnection) -> None:
    """Close the connection's async transport on the loop its session was made on (the
    process's call loop, or a local run's own: ``engine._loop.run_to_end``; up to 5 s)."""
    transport = conn.__dict__.pop("_atransport", None)
    if transport is None:
        return
    from flink_agents_runtime.engine._loop import run_to_end

    try:
        run_to_end(transport.loop, transport.aclose(), 5)
    except Exception:  # closing must not hide the run's result
        logger.debug("closing the async HTTP transport failed", exc_info=True)
