"""Actions of a YAML-declared retrieval agent (the tests write its YAML with a loopback
embedding server's address): ask the vector store, emit the ids of what it found."""

from __future__ import annotations

from flink_agents_nb.api.events.context_retrieval_event import (
    ContextRetrievalRequestEvent,
    ContextRetrievalResponseEvent,
)
from flink_agents_nb.api.events.event import Event, InputEvent, OutputEvent
from flink_agents_nb.api.runner_context import RunnerContext


def ask(event: Event, ctx: RunnerContext) -> None:
    """Query the store named in the action's config with the input text."""
    query = str(InputEvent.from_event(event).input)
    store = ctx.get_action_config_value("store")
    ctx.send_event(ContextRetrievalRequestEvent(query=query, vector_store=store, max_results=1))


def found(event: Event, ctx: RunnerContext) -> None:
    """Emit the ids of the documents found."""
    docs = ContextRetrievalResponseEvent.from_event(event).documents
    ctx.send_event(OutputEvent(output=[doc.id for doc in docs]))
