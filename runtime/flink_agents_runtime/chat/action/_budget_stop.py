"""Applying a chat request's budget in the chat action (see ``chat.action._budget``): the check
before each model call, the soft final turn, the hard failed response, and the ``budget``
attribute of responses."""

from __future__ import annotations

import logging
import time
from typing import Any

from flink_agents_runtime.chat._events import ChatResponseEvent
from flink_agents_runtime.chat._message import ChatMessage, MessageRole
from flink_agents_runtime.chat.action._budget import FINAL_ANSWER_PROMPT, Budget, exceeded, spent

logger = logging.getLogger(__name__)


INPUT_SPEND = "_chat_budget_input"  # sensory memory: what the input's chat requests spent


def budget_report(
    state: dict[str, Any], stopped_by: str | None = None, sensory: Any = None
) -> dict[str, Any]:
    """The ``budget`` attribute of a response (empty without a budget)."""
    if not state.get("budget") and not state.get("input_budget"):
        return {}
    report: dict[str, Any] = {
        "limits": state.get("budget") or {},
        "spent": spent(state),
        "stopped_by": stopped_by or state.get("final_turn"),
    }
    if state.get("input_budget") and sensory is not None:
        report["input_limits"] = state["input_budget"]
        report["input_spent"] = spent(sensory.get(INPUT_SPEND) or _fresh())
    return {"budget": report}


def _fresh() -> dict[str, Any]:
    return {"turns": 0, "prompt_tokens": 0, "completion_tokens": 0, "started_ns": time.time_ns()}


def start_input_spend(sensory: Any) -> None:
    """Start counting what the input's chat requests spend (once per input)."""
    if sensory.get(INPUT_SPEND) is None:
        sensory.set(INPUT_SPEND, _fresh())


def add_input_spend(sensory: Any, prompt_tokens: int, completion_tokens: int) -> None:
    """Count one model call of the input."""
    spend = dict(sensory.get(INPUT_SPEND) or _fresh())
    spend["turns"] = int(spend["turns"]) + 1
    spend["prompt_tokens"] = int(spend["prompt_tokens"]) + prompt_tokens
    spend["completion_tokens"] = int(spend["completion_tokens"]) + completion_tokens
    sensory.set(INPUT_SPEND, spend)


def _stop(ctx: Any, state: dict[str, Any]) -> tuple[str, Budget, dict[str, int]] | None:
    """The limit that stops a normal call: the request's budget first, then the input's."""
    if state.get("budget"):
        limits = Budget.coerce(state["budget"])
        assert limits is not None
        used = spent(state)
        limit = exceeded(limits, used)
        if limit is not None:
            return limit, limits, used
    if state.get("input_budget"):
        limits = Budget.coerce(state["input_budget"])
        assert limits is not None
        used = spent(ctx.sensory_memory.get(INPUT_SPEND) or _fresh())
        limit = exceeded(limits, used)
        if limit is not None:
            return f"input_{limit}", limits, used
    return None


def apply_budget(ctx: Any, request_id: str, state: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Check the request's and the input's budgets before a model call (see ``_budget``).

    Returns ``(state, no_tools)`` for the call to make, or ``({}, False)`` when a failed
    response was sent instead.
    """
    stop = _stop(ctx, state)
    if stop is None:
        return state, False
    limit, limits, used = stop
    mode = limits.mode or "soft"
    group = ctx.action_metric_group.get_sub_group("budget", limit)
    if mode == "hard" or state.get("final_turn"):
        group.get_counter("hardStops").inc()
        error = (
            f"chat request {request_id} to {state['model']!r} (key {ctx.key!r}) spent its "
            f"budget ({limit}): spent {used}, limits {limits.to_json()}"
        )
        logger.warning("%s; the response fails", error)
        ctx.send_event(
            ChatResponseEvent(
                request_id,
                ChatMessage(MessageRole.ASSISTANT, ""),
                retry_count=state["retries"],
                total_retry_wait_sec=state["waited"],
                chat_model=state["model"],
                promptTokens=state["prompt_tokens"],
                completionTokens=state["completion_tokens"],
                turns=state["turns"],
                requested_by=state["requested_by"],
                status="failed",
                error=error,
                **budget_report(state, limit, ctx.sensory_memory),
            )
        )
        return {}, False
    group.get_counter("softStops").inc()
    note = ChatMessage(MessageRole.USER, FINAL_ANSWER_PROMPT.format(limit=limit))
    return {
        **state,
        "messages": [*state["messages"], note.to_dict()],
        "final_turn": limit,
    }, True
