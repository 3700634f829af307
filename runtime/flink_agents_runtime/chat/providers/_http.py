"""What the native HTTP connections share (Ollama, Anthropic): one httpx client per
connection (imported when the first call is made), JSON posts, and errors that say whether
retrying may help, with the API key never shown.

The OpenAI-compatible connection (``_openai.py``) keeps its own client; this base serves
connections whose APIs differ from OpenAI's wire format.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flink_agents_runtime._http_client import LazyHttpClient
from flink_agents_runtime._http_env import (
    new_httpx_client,
    not_trusted,
    proxy_for,
    proxy_refusal,
    tls_failure,
)
from flink_agents_runtime.chat._errors import ChatModelError
from flink_agents_runtime.chat._model import BaseChatModelConnection, ResourceContext
from flink_agents_runtime.chat.providers._http_failures import proxy_error

_RETRYABLE_STATUS = {408, 409, 425, 429}
_THINK = re.compile(r"<think>(.*?)</think>", re.DOTALL | re.IGNORECASE)


def split_reasoning(content: str) -> tuple[str, str | None]:
    """``content`` without its ``<think>...</think>`` parts, and those parts joined (or
    ``None``): how Flink Agents' ``extract_reasoning`` separates a model's reasoning."""
    found = [m.strip() for m in _THINK.findall(content) if m.strip()]
    if not found:
        return content, None
    return _THINK.sub("", content).strip(), "\n\n".join(found)


class HttpChatConnection(LazyHttpClient, BaseChatModelConnection):
    """Base of a connection that posts JSON to one HTTP API.

    Subclasses set :attr:`timeout` and implement ``chat`` with :meth:`post`. ``secret`` (an
    API key) is redacted from every error message.
    """

    timeout: float = 60.0

    def __init__(self) -> None:
        self._init_http_client()
        self._config: Any = None

    def open(self, context: ResourceContext) -> None:
        self._config = getattr(context, "config", None)

    def secret(self) -> str | None:
        """The API key to redact from messages (none by default)."""
        return None

    def redact(self, text: str) -> str:
        """``text`` with the API key replaced by ``****``."""
        key = self.secret()
        return text.replace(key, "****") if key else text

    def _new_http_client(self, timeout_s: float) -> Any:
        return new_httpx_client(timeout_s)  # certificates and proxy: ``_http_env``

    def _http(self) -> Any:
        return self.http_client(float(self.timeout))

    def post(self, url: str, body: dict[str, Any], headers: dict[str, str], where: str) -> Any:
        """POST ``body`` as JSON and return the decoded JSON answer.

        Raises :class:`ChatModelError` (``retryable`` for timeouts, connection errors, HTTP
        408/409/425/429 and 5xx; not for a server certificate that is not trusted) naming
        ``where``, with the server's error message.
        """
        import httpx

        try:
            resp = self._http().post(
                url,
                content=json.dumps(body),
                headers={"Content-Type": "application/json", **headers},
            )
        except httpx.TimeoutException as exc:
            raise ChatModelError(
                f"{where}: timed out after {self.timeout}s ({type(exc).__name__})", retryable=True
            ) from None
        except httpx.HTTPError as exc:
            refused = tls_failure(exc)
            if refused is not None:  # not retried: trying again cannot help
                raise ChatModelError(not_trusted(where, refused)) from None
            status = proxy_refusal(exc)
            if status is not None and (proxy := proxy_for(url)):
                raise proxy_error(where, proxy, status) from None
            raise ChatModelError(
                f"{where}: request failed: {type(exc).__name__}: {self.redact(str(exc))}",
                retryable=True,
            ) from None
        if resp.status_code == 407 and (proxy := proxy_for(url)):
            raise proxy_error(where, proxy, 407)  # a plain http:// URL's proxy
        if resp.status_code >= 400:
            raise ChatModelError(
                f"{where} answered HTTP {resp.status_code}: {self._server_says(resp.text)}",
                retryable=resp.status_code >= 500 or resp.status_code in _RETRYABLE_STATUS,
                status=resp.status_code,
            )
        try:
            return resp.json()
        except ValueError:
            raise ChatModelError(
                f"{where}: malformed response (not JSON): {self.redact(resp.text[:300])!r}",
                status=resp.status_code,
            ) from None

    def _server_says(self, text: str) -> str:
        try:
            data = json.loads(text)
        except ValueError:
            return self.redact(text[:500]) or "(empty body)"
        err = data.get("error") if isinstance(data, dict) else None
        if isinstance(err, dict):
            parts = [str(err.get("message") or "")]
            if err.get("type"):
                parts.append(f"type={err['type']}")
            return self.redact(" ".join(p for p in parts if p))
        if isinstance(err, str):
            return self.redact(err)
        return self.redact(text[:500])
