"""The OpenAI chat-completions wire format: the request's messages, and the reply checked
and parsed (redirects, error statuses, ``Retry-After``, malformed answers). What both chat
paths of :class:`~flink_agents_runtime.chat.providers._openai.OpenAIChatModelConnection`
share, whichever transport brought the reply (anything with ``status_code``, ``headers``,
``text`` and ``json()``).

Every text taken from the server passes through the caller's ``redact`` (the API key and
header values replaced) before it reaches a message.
"""

from __future__ import annotations

import email.utils
import json
import math
import time
from collections.abc import Callable
from typing import Any

from flink_agents_runtime.chat._errors import ChatModelError
from flink_agents_runtime.chat._message import ChatMessage, MessageRole, normalize_tool_call

__all__ = ["MAX_RETRY_AFTER_S", "answer", "retry_after_s", "to_openai_message"]

_RETRYABLE_STATUS = {408, 409, 425, 429}
#: The longest ``Retry-After`` honoured (seconds); a server asking more fails the call.
MAX_RETRY_AFTER_S = 60.0

Redact = Callable[[str], str]


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


def answer(resp: Any, where: str, model: str, redact: Redact) -> ChatMessage:
    """The parsed reply, or the error for a redirect (never followed: the request carries
    the API key) or an HTTP error status. ``where`` names the endpoint in messages."""
    if 300 <= resp.status_code < 400:
        location = redact(resp.headers.get("location") or "(no Location header)")
        raise ChatModelError(
            f"{where} answered HTTP {resp.status_code} (redirect to {location}); redirects "
            "are not followed (the request carries the API key): set openai.base-url (or "
            "base_url=) to the new address",
            status=resp.status_code,
        )
    if resp.status_code >= 400:
        raise ChatModelError(
            f"{where} answered HTTP {resp.status_code}: {server_says(resp, redact)}",
            retryable=resp.status_code >= 500 or resp.status_code in _RETRYABLE_STATUS,
            status=resp.status_code,
            retry_after=retry_after_s(resp.headers.get("retry-after")),
        )
    return parse(resp, where, model, redact)


def server_says(resp: Any, redact: Redact) -> str:
    """The error an HTTP error reply carries (OpenAI's ``error`` object, else the body)."""
    text = resp.text
    try:
        data = json.loads(text)
    except ValueError:
        return redact(text[:500]) or "(empty body)"
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict):
        parts = [str(err.get("message") or "")]
        for field in ("type", "code"):
            if err.get(field):
                parts.append(f"{field}={err[field]}")
        return redact(" ".join(p for p in parts if p))
    if isinstance(err, str):
        return redact(err)
    return redact(text[:500])


def parse(resp: Any, where: str, model: str, redact: Redact) -> ChatMessage:
    """A 2xx reply as the assistant's message (content, tool calls, token counts,
    ``model_name``, ``finish_reason``); :class:`ChatModelError` naming ``where`` when it is
    malformed."""

    def malformed(why: str) -> ChatModelError:
        return ChatModelError(
            f"{where}: malformed response ({why}): {redact(resp.text[:300])!r}",
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
        calls = [normalize_tool_call(c, i) for i, c in enumerate(message.get("tool_calls") or [])]
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
