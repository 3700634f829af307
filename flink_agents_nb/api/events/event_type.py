"""``flink_agents.api.events.event_type`` (0.4): type strings of the built-in events."""

from __future__ import annotations

from flink_agents_runtime.api._events import InputEvent as _InputEvent
from flink_agents_runtime.api._events import OutputEvent as _OutputEvent
from flink_agents_runtime.chat._events import ChatRequestEvent as _ChatRequestEvent
from flink_agents_runtime.chat._events import ChatResponseEvent as _ChatResponseEvent
from flink_agents_runtime.chat._events import ToolRequestEvent as _ToolRequestEvent
from flink_agents_runtime.chat._events import ToolResponseEvent as _ToolResponseEvent
from flink_agents_runtime.retrieval._events import (
    ContextRetrievalRequestEvent as _ContextRetrievalRequestEvent,
)
from flink_agents_runtime.retrieval._events import (
    ContextRetrievalResponseEvent as _ContextRetrievalResponseEvent,
)


class EventType:
    """``@action(EventType.InputEvent)``: the built-in event types the kit has."""

    InputEvent = _InputEvent.EVENT_TYPE
    OutputEvent = _OutputEvent.EVENT_TYPE
    ChatRequestEvent = _ChatRequestEvent.EVENT_TYPE
    ChatResponseEvent = _ChatResponseEvent.EVENT_TYPE
    ToolRequestEvent = _ToolRequestEvent.EVENT_TYPE
    ToolResponseEvent = _ToolResponseEvent.EVENT_TYPE
    ContextRetrievalRequestEvent = _ContextRetrievalRequestEvent.EVENT_TYPE
    ContextRetrievalResponseEvent = _ContextRetrievalResponseEvent.EVENT_TYPE


__all__ = ["EventType"]
