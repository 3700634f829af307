"""``flink_agents.api.events.context_retrieval_event``."""

from __future__ import annotations

from flink_agents_runtime import ContextRetrievalRequestEvent, ContextRetrievalResponseEvent

__all__ = ["ContextRetrievalRequestEvent", "ContextRetrievalResponseEvent"]
