"""An agent written as for Apache Flink Agents, with only the import prefix rewritten
(``flink_agents.`` -> ``flink_agents_nb.``): pydantic input and output types, a prompt, a
tool, a chat-model setup naming a connection by ``ResourceName``, typed events, memory
references. Used by the FA-compatibility tests, locally and on the MiniCluster.

The connection (``ollama_server``) is added by the environment, as Flink Agents' quickstart
does; :func:`scripted_connection` gives an offline one.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import BaseModel

from flink_agents_nb.api.agents.agent import Agent
from flink_agents_nb.api.chat_message import ChatMessage, MessageRole
from flink_agents_nb.api.decorators import action, chat_model_setup, prompt, tool
from flink_agents_nb.api.events.chat_event import ChatRequestEvent, ChatResponseEvent
from flink_agents_nb.api.events.event import Event, InputEvent, OutputEvent
from flink_agents_nb.api.prompts.prompt import Prompt
from flink_agents_nb.api.resource import ResourceDescriptor, ResourceName
from flink_agents_nb.api.runner_context import RunnerContext


class Review(BaseModel):
    """A product review (the input)."""

    id: str
    text: str


class Verdict(BaseModel):
    """The agent's answer (the output)."""

    id: str
    score: int
    reasons: list[str]


class ScoredEvent(Event):
    """A typed event carrying a pydantic value (Flink Agents 0.3 style)."""

    EVENT_TYPE: ClassVar[str] = "scored"

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(type=self.EVENT_TYPE, attributes={"verdict": verdict})

    @property
    def verdict(self) -> Verdict:
        """The verdict (a Verdict, or its JSON data after a JSON round trip)."""
        value = self.get_attr("verdict")
        return value if isinstance(value, Verdict) else Verdict.model_validate(value)


def shipping_complaint(id: str, review: str) -> str:
    """Record a complaint about shipping.

    Parameters
    ----------
    id : str
        The id of the product.
    review : str
        The review text.
    """
    return f"noted shipping complaint for {id}"


class ReviewAgent(Agent):
    """Scores a review with a chat model; a shipping complaint calls a tool first."""

    @prompt
    @staticmethod
    def review_prompt() -> Prompt:
        """Asks for a JSON verdict."""
        return Prompt.from_messages(
            messages=[
                ChatMessage(
                    role=MessageRole.SYSTEM,
                    content='Score the review 1-5. Answer {"score": n, "reasons": [...]}',
                ),
                ChatMessage(role=MessageRole.USER, content="{input}"),
            ]
        )

    @tool
    @staticmethod
    def shipping_complaint(id: str, review: str) -> str:
        """Record a complaint about shipping.

        Parameters
        ----------
        id : str
            The id of the product.
        review : str
            The review text.
        """
        return shipping_complaint(id, review)

    @chat_model_setup
    @staticmethod
    def review_model() -> ResourceDescriptor:
        """The model on the environment's ``ollama_server`` connection."""
        return ResourceDescriptor(
            clazz=ResourceName.ChatModel.OLLAMA_SETUP,
            connection="ollama_server",
            model="qwen3:8b",
            prompt="review_prompt",
            tools=["shipping_complaint"],
            extract_reasoning=True,
        )

    @action(InputEvent.EVENT_TYPE)
    @staticmethod
    def ask(event: Event, ctx: RunnerContext) -> None:
        """Remember the review (by reference) and ask the model."""
        review = Review.model_validate(InputEvent.from_event(event).input)
        ref = ctx.short_term_memory.set("review", review)
        ctx.sensory_memory.set("ref", ref)
        content = json.dumps({"id": review.id, "review": review.text})
        ctx.send_event(
            ChatRequestEvent(
                model="review_model",
                messages=[ChatMessage(role=MessageRole.USER)],
                prompt_args={"input": content},
            )
        )

    @action(ChatResponseEvent.EVENT_TYPE)
    @staticmethod
    def parse(event: Event, ctx: RunnerContext) -> None:
        """Turn the answer into a Verdict."""
        response = ChatResponseEvent.from_event(event).response
        data: dict[str, Any] = json.loads(response.content)
        review = ctx.short_term_memory.get(ctx.sensory_memory.get("ref"))
        ctx.send_event(
            ScoredEvent(Verdict(id=review.id, score=data["score"], reasons=data["reasons"]))
        )

    @action(ScoredEvent)
    @staticmethod
    def emit(event: ScoredEvent, ctx: RunnerContext) -> None:
        """Emit the verdict (0.2 style: listens to the class)."""
        ctx.send_event(OutputEvent(output=event.verdict))


REVIEWS = [
    Review(id="p1", text="Great sound, fast delivery."),
    Review(id="p2", text="The box arrived crushed, shipping was awful."),
    Review(id="p1", text="Broke after a week."),
]


def scripted_connection() -> Any:
    """An offline connection answering as a model would: a shipping complaint calls the
    tool first and scores 2; ``"Broke"`` scores 1; anything else 5."""
    from flink_agents_runtime import ResourceDescriptor as KitDescriptor
    from flink_agents_runtime import ScriptedChatModelConnection, ScriptRule

    complaint = {"name": "shipping_complaint", "arguments": {"id": "p2", "review": "crushed"}}
    return KitDescriptor(
        ScriptedChatModelConnection,
        rules=[
            ScriptRule(r"shipping", tool_calls=[complaint]),
            ScriptRule(r"noted shipping", role="tool", reply='{"score": 2, "reasons": ["ship"]}'),
            ScriptRule(r"Broke", reply='{"score": 1, "reasons": ["quality"]}'),
            ScriptRule(None, reply='{"score": 5, "reasons": []}'),
        ],
    )


EXPECTED = [
    {"id": "p1", "score": 5, "reasons": []},
    {"id": "p2", "score": 2, "reasons": ["ship"]},
    {"id": "p1", "score": 1, "reasons": ["quality"]},
]
