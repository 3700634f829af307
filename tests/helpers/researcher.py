"""A tiny agent used as a sub-agent by the sub-agent tests (local and on Flink)."""

from __future__ import annotations

from typing import Any

from flink_agents_runtime import Agent, InputEvent, OutputEvent, action


class Researcher(Agent):
    """Answers a question about an order; fails on 'explode'."""

    @action(InputEvent)
    @staticmethod
    def look(event: InputEvent, ctx: Any) -> None:
        question = event.input if isinstance(event.input, str) else event.input["order"]
        if "explode" in str(question):
            raise RuntimeError("the researcher exploded")
        ctx.send_event(OutputEvent(f"research on {question}: carrier says Tuesday"))
