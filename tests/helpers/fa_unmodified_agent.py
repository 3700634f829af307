"""An agent module exactly as written for Apache Flink Agents (``flink_agents`` imports,
unmodified): importable only after ``flink_agents_nb.use_as_flink_agents()``."""

from __future__ import annotations

from typing import Any

from flink_agents.api.agents.agent import Agent
from flink_agents.api.decorators import action, tool
from flink_agents.api.events.event import Event, InputEvent, OutputEvent
from flink_agents.api.resource import ResourceType
from flink_agents.api.runner_context import RunnerContext
from flink_agents.api.tools.tool import Tool


class DoublerAgent(Agent):
    """Doubles each input with a tool, remembering the running total per key."""

    @tool
    @staticmethod
    def double(x: int) -> int:
        """Double a number.

        Parameters
        ----------
        x : int
            The number.
        """
        return 2 * x

    @action(InputEvent.EVENT_TYPE)
    @staticmethod
    def process(event: Event, ctx: RunnerContext) -> None:
        """Double the input through the tool and keep a total."""
        doubler: Tool = ctx.get_resource("double", type=ResourceType.TOOL)
        value: Any = doubler.call(event.input)
        total = (ctx.short_term_memory.get("total") or 0) + value
        ctx.short_term_memory.set("total", total)
        ctx.send_event(OutputEvent(output={"doubled": value, "total": total}))
