"""An OpenAI-compatible chat-completions connection (OpenAI, Ollama's and vLLM's OpenAI
endpoints, ...) over httpx (imported when the first call is made).

The API key comes from the ``api_key`` argument, else the ``openai.api-key`` option
(``FLINK_AGENTS_NB_OPENAI_API_KEY``), else the ``OPENAI_API_KEY`` environment variable; it
is never logged, shown in reprs, or kept in error messages (the server's echo of it is
redacted). One call is one HTTP request: retries are the chat action's (under the
``retry`` strategy); errors say whether retrying may help (:class:`ChatModelError`
``retryable``: timeouts, connection errors, HTTP 408, 429, 5xx).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from typing import Any

from flink_agents_runtime.chat._errors import ChatModelError
from flink_agents_runtime.chat._message import ChatMessage, MessageRole, normalize_tool_call
from flink_agents_runtime.chat._model import BaseChatModelConnection, ResourceContext
from flink_agents_runtime.chat._tool import Tool

logger = logging.getLogger(__name__)

_RETRYABLE_STATUS = {408, 409, 425, 429}


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
        timeout: seconds per request (else ``openai.timeout``).
        headers: extra request headers (not logged).
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
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

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_client"] = None
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        key = "****" if self._resolve_key() else None
        return f"OpenAIChatModelConnection(base_url={self.url!r}, api_key={key!r})"

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

    def _resolve_key(self) -> str | None:
        return self._api_key or self._option("openai.api-key") or os.environ.get("OPENAI_API_KEY")

    def _http(self) -> Any:
        with self._lock:
            if self._client is None:
                import httpx

                timeout = float(self.timeout or self._option("openai.timeout"))
                self._client = httpx.Client(
                    timeout=httpx.Timeout(timeout),
                    limits=httpx.Limits(max_connections=200, max_keepalive_connections=100),
                )
            return self._client

    # -- the call ------------------------------------------------------------------------
    def chat(
        self, messages: Sequence[ChatMessage], tools: Sequence[Tool] | None = None, **kwargs: Any
    ) -> ChatMessage:
        import httpx

        model = kwargs.pop("model", None)
        if not model:
            raise ChatModelError(f"{self.url}: no model name; set model= on the chat model setup")
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
        where = f"{self.url} (model {model!r})"
        try:
            resp = self._http().post(self.url, content=json.dumps(body), headers=headers)
        except httpx.TimeoutException as exc:
            raise ChatModelError(
                f"{where}: timed out ({type(exc).__name__}); raise openai.timeout?",
                retryable=True,
            ) from None
        except httpx.HTTPError as exc:
            raise ChatModelError(
                f"{where}: request failed: {type(exc).__name__}: {self._redact(str(exc))}",
                retryable=True,
            ) from None
        if resp.status_code >= 400:
            raise ChatModelError(
                f"{where} answered HTTP {resp.status_code}: {self._server_says(resp)}",
                retryable=resp.status_code >= 500 or resp.status_code in _RETRYABLE_STATUS,
                status=resp.status_code,
            )
        return self._parse(resp, where, str(model))

    def _redact(self, text: str) -> str:
        key = self._resolve_key()
        return text.replace(key, "****") if key else text

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
        extra: dict[str, Any] = {
            "model_name": str(data.get("model") or model),
            "promptTokens": int(usage.get("prompt_tokens") or 0),
            "completionTokens": int(usage.get("completion_tokens") or 0),
        }
        finish = choices[0].get("finish_reason")
        if finish:
            extra["finish_reason"] = finish
        return ChatMessage(MessageRole.ASSISTANT, content, tool_calls=calls, extra_args=extra)
