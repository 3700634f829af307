"""Responses an agent waits for that nothing will send: an action listening to chat, tool
or retrieval responses while neither the agent nor its environment declares a chat model,
tool or vector store, so the built-in action that would answer is not installed.

Flink Agents always installs its built-in actions, so a request there fails naming the
missing resource; here the request would be dropped without a word. :func:`warn_unanswered`
logs a warning naming the agent, the waiting action and what to declare, once per compile
of a plan with its environment's resources (before a run).
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

#: Response event type -> (the built-in action that sends it, what to declare).
RESPONSES: dict[str, tuple[str, str]] = {
    "_chat_response_event": ("chat_model_action", "a chat model setup (@chat_model_setup)"),
    "_tool_response_event": ("tool_call_action", "a tool (@tool) or a chat model setup"),
    "_context_retrieval_response_event": (
        "context_retrieval_action",
        "a vector store (@vector_store)",
    ),
}


def unanswered(plan: Any) -> list[tuple[str, str, str]]:
    """``(action, response type, what to declare)`` for each action of ``plan`` waiting for
    a response whose built-in action the plan lacks."""
    found = []
    for spec in plan.actions.values():
        for etype in spec.event_types:
            if etype in RESPONSES:
                builtin, what = RESPONSES[etype]
                if builtin not in plan.actions:
                    found.append((spec.name, etype, what))
    return found


def warn_unanswered(plan: Any) -> None:
    """Log one warning per action of :func:`unanswered`."""
    for action, etype, what in unanswered(plan):
        logger.warning(
            "agent %s: action %r listens to %s, but neither the agent nor its environment "
            "declares %s, so its requests go unanswered; declare one or add_resource it",
            plan.name,
            action,
            etype,
            what,
        )
