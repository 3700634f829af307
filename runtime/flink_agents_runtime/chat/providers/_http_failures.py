"""How the HTTP chat connections' requests fail and are retried: the error for a proxy's
refusal (the OpenAI-compatible connection, ``_openai.py``, on both chat paths, and the
native ones, ``_http.py``); the OpenAI-compatible connection's wait before a retry and the
retries noted on its answer."""

from __future__ import annotations

import logging

from flink_agents_runtime._http_env import proxy_refused
from flink_agents_runtime.chat._errors import ChatModelError
from flink_agents_runtime.chat._message import ChatMessage

__all__ = ["note_retries", "pause_before_retry", "proxy_error"]

#: the OpenAI-compatible connection's logger (its retries are logged as its own)
logger = logging.getLogger("flink_agents_runtime.chat.providers._openai")


def proxy_error(where: str, proxy: str, status: int) -> ChatModelError:
    """The proxy ``proxy`` refused the request with ``status`` (retried only for a 5xx)."""
    return ChatModelError(
        proxy_refused(where, proxy, status), retryable=status >= 500, status=status
    )


def pause_before_retry(exc: ChatModelError, attempt: int, retries: int, base_wait: float) -> float:
    """Seconds to wait before retrying a request that failed with ``exc`` after ``attempt``
    retries (logged); raises ``exc`` when it may not be retried (marked not retryable once
    retried here, so the chat action does not retry again)."""
    if not exc.retryable or attempt >= retries:
        if attempt:
            exc.retryable = False  # retried here already
        raise exc
    pause = exc.retry_after if exc.retry_after is not None else base_wait * 2**attempt
    logger.warning("%s; retry %d/%d in %.3fs", exc, attempt + 1, retries, pause)
    return pause


def note_retries(message: ChatMessage, attempt: int, waited: float) -> ChatMessage:
    """``message`` with the connection's retries noted (read by the chat action)."""
    if attempt:
        message.extra_args["connection_retries"] = attempt
        message.extra_args["connection_retry_wait_sec"] = waited
    return message
