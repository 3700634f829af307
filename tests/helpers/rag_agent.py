"""A retrieval-augmented triage agent: retrieve knowledge-base articles, then a ReAct loop
(scripted model, one tool) that answers with a structured decision. Offline: hash
embeddings, an in-memory store. Shared by the retrieval tests and the Flink parity test."""

from __future__ import annotations

import re
from typing import Any

from flink_agents_runtime import (
    Agent,
    ChatModelSetup,
    ChatRequestEvent,
    ChatResponseEvent,
    ContextRetrievalRequestEvent,
    ContextRetrievalResponseEvent,
    EmbeddingModelSetup,
    HashEmbeddingModelConnection,
    InMemoryVectorStore,
    InputEvent,
    OutputEvent,
    ResourceDescriptor,
    ScriptedChatModelConnection,
    ScriptRule,
    action,
    chat_model_connection,
    chat_model_setup,
    embedding_model_connection,
    embedding_model_setup,
    tool,
    vector_store,
)

KB = [
    {
        "id": "kb-refund",
        "content": "Refunds are paid within 5 days of the return arriving.",
        "metadata": {"team": "billing"},
    },
    {
        "id": "kb-late",
        "content": "A late parcel is traced with the carrier after 3 days.",
        "metadata": {"team": "shipping"},
    },
    {
        "id": "kb-login",
        "content": "Password reset links expire after one hour.",
        "metadata": {"team": "accounts"},
    },
    {
        "id": "kb-broken",
        "content": "A broken item is replaced; ask the customer for a photo.",
        "metadata": {"team": "shipping"},
    },
]

DECISION = {
    "title": "Decision",
    "type": "object",
    "properties": {
        "team": {"enum": ["billing", "shipping", "accounts"]},
        "article": {"type": "string"},
        "priority": {"enum": ["low", "high"]},
    },
    "required": ["team", "article", "priority"],
    "additionalProperties": False,
}


def _decide(messages: list[Any], match: Any) -> str:
    """Route by the first retrieved article's id in the system message."""
    context = next(m.content for m in messages if "Articles:" in m.content)
    article = context.split("[", 1)[1].split("]", 1)[0]
    team = {"kb-refund": "billing", "kb-login": "accounts"}.get(article, "shipping")
    last = messages[-1].content
    priority = "high" if "late" in last or "overdue" in last else "low"
    return f'{{"team": "{team}", "article": "{article}", "priority": "{priority}"}}'


def _order_calls(messages: list[Any], match: Any) -> list[dict[str, Any]]:
    """One ``order_status`` call per order number in the ticket (run as one batch)."""
    numbers = re.findall(r"order (\d+)", messages[-1].content)
    return [{"name": "order_status", "arguments": {"order": n}} for n in numbers]


RULES = [
    ScriptRule(r"order (\d+)", tool_calls=_order_calls),
    ScriptRule(None, role="tool", reply=_decide),
    ScriptRule(r".+", reply=_decide),
]


class RagTriage(Agent):
    """Input: a ticket text. Output: ``{"team", "article", "priority"}``."""

    @embedding_model_connection
    @staticmethod
    def hashing() -> ResourceDescriptor:
        return ResourceDescriptor(HashEmbeddingModelConnection, dimension=256)

    @embedding_model_setup
    @staticmethod
    def embedder() -> ResourceDescriptor:
        return ResourceDescriptor(EmbeddingModelSetup, connection="hashing", model="hash-256")

    @vector_store
    @staticmethod
    def kb() -> ResourceDescriptor:
        return ResourceDescriptor(InMemoryVectorStore, embedding_model="embedder", documents=KB)

    @chat_model_connection
    @staticmethod
    def scripted() -> ResourceDescriptor:
        return ResourceDescriptor(ScriptedChatModelConnection, rules=RULES)

    @chat_model_setup
    @staticmethod
    def triage_model() -> ResourceDescriptor:
        return ResourceDescriptor(
            ChatModelSetup, connection="scripted", model="triage-v1", tools=["order_status"]
        )

    @tool
    @staticmethod
    def order_status(order: str) -> str:
        """The carrier's status of an order.

        Args:
            order: the order number.
        """
        return f"order {order}: overdue by 4 days"

    @action(InputEvent)
    @staticmethod
    def retrieve(event: InputEvent, ctx: Any) -> None:
        ctx.sensory_memory.set("ticket", event.input)
        ctx.send_event(ContextRetrievalRequestEvent(event.input, "kb", max_results=2))

    @action(ContextRetrievalResponseEvent)
    @staticmethod
    def ask(event: Any, ctx: Any) -> None:
        docs = ContextRetrievalResponseEvent.from_event(event).documents
        articles = " ".join(f"[{d.id}] {d.content}" for d in docs)
        messages = [
            {"role": "system", "content": f"You route support tickets. Articles: {articles}"},
            {"role": "user", "content": ctx.sensory_memory.get("ticket")},
        ]
        ctx.send_event(ChatRequestEvent("triage_model", messages, output_schema=DECISION))

    @action(ChatResponseEvent)
    @staticmethod
    def answer(event: Any, ctx: Any) -> None:
        response = ChatResponseEvent.from_event(event).response
        ctx.send_event(OutputEvent(response.extra_args["structured_output"]))
