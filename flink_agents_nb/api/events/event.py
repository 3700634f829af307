"""``flink_agents.api.events.event``."""

from __future__ import annotations

from flink_agents_runtime.api._events import Event, InputEvent, OutputEvent

__all__ = ["Event", "InputEvent", "OutputEvent"]
