"""The functions a YAML-declared review agent names (``yaml_agents/*.yaml``), written as for
Apache Flink Agents with the import prefix rewritten (``flink_agents.`` ->
``flink_agents_nb.``): actions as static methods of a class (``module:Class.method``
references) and a module-level tool (``module:function``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flink_agents_nb.api.chat_message import ChatMessage, MessageRole
from flink_agents_nb.api.events.chat_event import ChatRequestEvent, ChatResponseEvent
from flink_agents_nb.api.events.event import Event, InputEvent, OutputEvent
from flink_agents_nb.api.runner_context import RunnerContext

#: The folder of the YAML files.
YAML_DIR = Path(__file__).parent / "yaml_agents"

#: Calls of :func:`notify_shipping_manager` in this process, as ``(id, review)``.
NOTIFIED: list[tuple[str, str]] = []


def notify_shipping_manager(id: str, review: str) -> str:
    """Tell the shipping manager about a review that complains about shipping.

    Parameters
    ----------
    id : str
        The id of the product.
    review : str
        The review text.
    """
    NOTIFIED.append((id, review))
    return f"shipping manager notified about {id}"


class ReviewActions:
    """The agent's actions (no Agent subclass: the YAML file wires them)."""

    @staticmethod
    def process_input(event: Event, ctx: RunnerContext) -> None:
        """Remember the product id and ask the review model."""
        review: dict[str, Any] = dict(InputEvent.from_event(event).input)
        ctx.short_term_memory.set("id", review["id"])
        content = json.dumps({"id": review["id"], "review": review["review"]})
        ctx.send_event(
            ChatRequestEvent(
                model="review_analysis_model",
                messages=[ChatMessage(role=MessageRole.USER)],
                prompt_args={"input": content},
            )
        )

    @staticmethod
    def process_chat_response(event: Event, ctx: RunnerContext) -> None:
        """Turn the model's JSON answer into the output, tagged with the action's config."""
        answer = json.loads(ChatResponseEvent.from_event(event).response.content)
        ctx.send_event(
            OutputEvent(
                output={
                    "id": ctx.short_term_memory.get("id"),
                    "score": answer["score"],
                    "reasons": answer["reasons"],
                    "source": ctx.get_action_config_value("source"),
                }
            )
        )
