"""Applying a chat request's budget in the chat action (see ``chat._budget``): the check
before each model call, the soft final turn, the hard failed response, and the ``budget``
attribute of responses."""

from __future__ import annotations

import logging
from typing import Any

from flink_agents_runtime.chat._budget import FINAL_ANSWER_PROMPT, Budget, exceeded, spent
from flink_agents_runtime.chat._events import ChatResponseEvent
from flink_agents_runtime.chat._message import ChatMessage, MessageRole

logger = logging.getLogger(__name__)


def budget_report(state: dict[str, Any], stopped_by: str | None = None) -> dict[str, Any]:
    """The ``budget`` attribute of a response (empty without a budget)."""
    if not state.get("budget"):
        return {}
    report = {
        "limits": state["budget"],
        "spent": spent(state),
        "stopped_by": stopped_by or state.get("final_turn"),
    }
    return {"budget": report}


def apply_budget(ctx: Any, request_id: str, state: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Check the request's budget before a model call (see ``_budget``).

    Returns ``(state, no_tools)`` for the call to make, or ``({}, False)`` when a failed
    response was sent instead.
    """
    limits = Budget.coerce(state["budget"])
    assert limits is not None
    used = spent(state)
    limit = exceeded(limits, used)
    if limit is None:
        return state, False
    mode = limits.mode or "soft"
    group = ctx.action_metric_group.get_sub_group("budget", limit)
    if mode == "hard" or state.get("final_turn"):
        group.get_counter("hardStops").inc()
        error = (
            f"chat request {request_id} to {state['model']!r} (key {ctx.key!r}) spent its "
            f"budget ({limit}): spent {used}, limits {state['budget']}"
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
                **budget_report(state, limit),
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
