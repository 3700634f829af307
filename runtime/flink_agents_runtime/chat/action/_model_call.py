"""One model call of the chat action, with in-place retries, on either call path.

:func:`acall_model` awaits the connection's ``achat`` on the event loop (``native``);
:func:`call_model` runs the same loop with the blocking ``chat`` on the calling thread (a
pool thread). Under the ``retry`` error-handling strategy a failing call is retried in place
(``max-retries`` times, waiting ``retry-wait-interval`` doubled per retry); errors that are not
retryable (HTTP 4xx, malformed answers) are raised at once. The outcome is JSON-ready (durable
stores keep it): the answer, and the retries and seconds waited, the connection's own
included. A call retried here also says when each attempt ran: ``attempts``, a list of
``[start_ns, end_ns, error]`` (wall clock; ``error`` ``"ExcType: message"``, ``None`` for the
one that answered), in the outcome or, when the last attempt failed too, as the raised
error's ``attempts`` attribute (the Trace Log writes an ``llm`` record pair per attempt).
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any, cast

from flink_agents_runtime.chat._errors import ChatModelError
from flink_agents_runtime.chat._message import ChatMessage
from flink_agents_runtime.chat._model import CALL_KEY

__all__ = ["acall_model", "call_model"]

logger = logging.getLogger(__name__)


async def acall_model(
    setup: Any,
    messages: list[dict[str, Any]],
    prompt_args: dict[str, Any],
    key: Any,
    retries: int,
    wait_s: float,
    no_tools: bool = False,
    *,
    native: bool = True,
) -> dict[str, Any]:
    """One model call with in-place retries; JSON-ready so durable stores can keep it.
    ``no_tools``: the call offers the model no tools (a budget's final answer). ``native``:
    through the connection's ``achat`` on the event loop; else the blocking ``chat`` (and
    blocking waits between retries: :func:`call_model`, the same loop on a pool thread)."""
    import asyncio

    token = CALL_KEY.set(key)
    try:
        msgs, extra = _call_args(messages, no_tools)
        attempt = 0
        waited = 0.0
        attempts: list[list[Any]] = []
        while True:
            began = time.time_ns()
            try:
                if native:
                    response = await setup.achat(msgs, prompt_args=prompt_args, **extra)
                else:
                    response = setup.chat(msgs, prompt_args=prompt_args, **extra)
            except Exception as exc:
                attempts.append([began, time.time_ns(), f"{type(exc).__name__}: {exc}"])
                try:
                    pause = _pause_before_retry(exc, key, attempt, retries, wait_s)
                except Exception:
                    if attempt:  # retried: when each attempt ran
                        with contextlib.suppress(AttributeError):
                            exc.attempts = attempts  # type: ignore[attr-defined]
                    raise
                attempt += 1
                if pause > 0:
                    if native:
                        await asyncio.sleep(pause)
                    else:
                        time.sleep(pause)
                    waited += pause
                continue
            outcome = _outcome(response, attempt, waited)
            if attempts:
                outcome["attempts"] = [*attempts, [began, time.time_ns(), None]]
            return outcome
    finally:
        CALL_KEY.reset(token)


def call_model(*args: Any) -> dict[str, Any]:
    """:func:`acall_model` (same arguments) with ``native`` false, blocking: the loop never
    awaits anything then, so it runs to its end in one step, on the calling thread."""
    steps = acall_model(*args, native=False)
    try:
        steps.send(None)
    except StopIteration as done:
        return cast("dict[str, Any]", done.value)
    steps.close()  # not reached: nothing on the blocking path suspends
    raise ChatModelError("a blocking model call awaited something (its chat() is not blocking)")


def _call_args(
    messages: list[dict[str, Any]], no_tools: bool
) -> tuple[list[ChatMessage], dict[str, Any]]:
    """The messages and extra arguments of a model call (both call paths)."""
    return [ChatMessage.from_dict(m) for m in messages], ({"tools": []} if no_tools else {})


def _pause_before_retry(
    exc: BaseException, key: Any, attempt: int, retries: int, wait_s: float
) -> float:
    """Seconds to wait before retrying a call that failed with ``exc`` after ``attempt``
    retries (logged); raises ``exc`` when it is not retried: retries used up, or not
    retryable (a :class:`ChatModelError` unless it says so; other errors unless they say
    not). An error retried here already is marked not retryable: the core need not retry
    it again."""
    retryable = getattr(exc, "retryable", not isinstance(exc, ChatModelError))
    if attempt >= retries or not retryable:
        if attempt:
            with contextlib.suppress(AttributeError):
                exc.retryable = False  # type: ignore[attr-defined]
        raise exc
    pause = wait_s * (2**attempt)
    logger.warning(
        "chat call for key %r failed (%s: %s); retry %d/%d in %.3fs",
        key,
        type(exc).__name__,
        exc,
        attempt + 1,
        retries,
        pause,
    )
    return pause


def _outcome(response: ChatMessage, attempt: int, waited: float) -> dict[str, Any]:
    """A call's JSON-ready outcome; retries the connection made itself
    (``openai.max-retries``, noted in the answer) count as retries."""
    extra = response.extra_args
    return {
        "response": response.to_dict(),
        "retries": attempt + int(extra.pop("connection_retries", 0)),
        "waited": waited + float(extra.pop("connection_retry_wait_sec", 0.0)),
    }
