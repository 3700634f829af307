"""A support-ticket triage agent written as for Apache Flink Agents.

The only change from its Flink Agents version is the import prefix
(``flink_agents.`` -> ``flink_agents_nb.``). Tickets and verdicts are pydantic models; the
chat model is an OpenAI-compatible setup named through ``ResourceName``; its connection
(``llm``) is provided by the environment, so the same agent runs against a scripted model
in a notebook and a real endpoint in production.
"""

from __future__ import annotations

import json

from pydantic import BaseModel

from flink_agents_nb.api.agents.agent import Agent
from flink_agents_nb.api.chat_message import ChatMessage, MessageRole
from flink_agents_nb.api.decorators import action, chat_model_setup, prompt, tool
from flink_agents_nb.api.events.chat_event import ChatRequestEvent, ChatResponseEvent
from flink_agents_nb.api.events.event import Event, InputEvent, OutputEvent
from flink_agents_nb.api.prompts.prompt import Prompt
from flink_agents_nb.api.resource import ResourceDescriptor, ResourceName
from flink_agents_nb.api.runner_context import RunnerContext

PLANS = {"ada": "enterprise", "bob": "free", "cy": "pro"}


class Ticket(BaseModel):
    """An incoming support ticket."""

    customer: str
    text: str


class Triage(BaseModel):
    """Where a ticket goes."""

    customer: str
    queue: str
    urgent: bool


class TriageAgent(Agent):
    """Asks the model for a queue; the model may look up the customer's plan first."""

    @prompt
    @staticmethod
    def triage_prompt() -> Prompt:
        """The instructions, with the ticket as ``{ticket}``."""
        return Prompt.from_messages(
            messages=[
                ChatMessage(
                    role=MessageRole.SYSTEM,
                    content="Route the ticket. Answer as JSON: "
                    '{"queue": "billing|tech|sales", "urgent": true|false}',
                ),
                ChatMessage(role=MessageRole.USER, content="{ticket}"),
            ]
        )

    @tool
    @staticmethod
    def customer_plan(customer: str) -> str:
        """Look up a customer's plan.

        Parameters
        ----------
        customer : str
            The customer's name.
        """
        return PLANS.get(customer, "unknown")

    @chat_model_setup
    @staticmethod
    def triage_model() -> ResourceDescriptor:
        """gpt-4o-mini on the environment's ``llm`` connection."""
        return ResourceDescriptor(
            clazz=ResourceName.ChatModel.OPENAI_COMPLETIONS_SETUP,
            connection="llm",
            model="gpt-4o-mini",
            prompt="triage_prompt",
            tools=["customer_plan"],
            temperature=0.0,
        )

    @action(InputEvent.EVENT_TYPE)
    @staticmethod
    def ask(event: Event, ctx: RunnerContext) -> None:
        """Keep the ticket and ask the model."""
        ticket = Ticket.model_validate(InputEvent.from_event(event).input)
        ctx.short_term_memory.set("customer", ticket.customer)
        ctx.send_event(
            ChatRequestEvent(
                model="triage_model",
                messages=[ChatMessage(role=MessageRole.USER)],
                prompt_args={"ticket": f"{ticket.customer}: {ticket.text}"},
            )
        )

    @action(ChatResponseEvent.EVENT_TYPE)
    @staticmethod
    def decide(event: Event, ctx: RunnerContext) -> None:
        """Parse the model's JSON into a Triage output."""
        answer = json.loads(ChatResponseEvent.from_event(event).response.content)
        customer = ctx.short_term_memory.get("customer")
        ctx.send_event(OutputEvent(output=Triage(customer=customer, **answer)))
