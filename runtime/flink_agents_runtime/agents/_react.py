"""``ReActAgent``: a built-in agent that reasons and acts through the model's tool calls.

Flink Agents' shape: ``ReActAgent(chat_model=ResourceDescriptor(...), prompt=...,
output_schema=...)``. Each input becomes a ``ChatRequestEvent`` to the chat model setup
``_default_chat_model``; the built-in chat and tool actions run the loop (model, tools,
model, ...) on the execution core, so every turn is an event in the log with its tokens in
the metrics; the final ``ChatResponseEvent`` becomes the ``OutputEvent``.

Input to messages (as upstream): a str/int/float/bool/None input is ``str()``-ed and either
sent as the user message, or fills the prompt's ``{input}``; a dict (or a pydantic model,
or an object with ``__dict__``) fills the prompt's named arguments (a prompt is then
required). With an ``output_schema`` a system instruction asks for JSON of that schema
(inserted after the first system message), the chat action validates the answer (see
:func:`~flink_agents_runtime.chat._structured.parse_structured`) and the output is the
validated value: an instance of the pydantic model when one was given and events may carry
pydantic values, else the JSON value. A failed response (a ``hard`` budget stop) fails the
``stop_action`` with its error, so the input's failure is visible.
"""

from __future__ import annotations

from typing import Any

from flink_agents_runtime._errors import InputError
from flink_agents_runtime.api._agent import Agent, ResourceType
from flink_agents_runtime.api._events import Event, InputEvent, OutputEvent
from flink_agents_runtime.api._jsoncheck import check_json
from flink_agents_runtime.api._values import is_row
from flink_agents_runtime.chat._errors import ChatModelError
from flink_agents_runtime.chat._events import ChatRequestEvent, ChatResponseEvent
from flink_agents_runtime.chat._message import ChatMessage, MessageRole
from flink_agents_runtime.chat._model import ResourceDescriptor
from flink_agents_runtime.chat._prompt import Prompt
from flink_agents_runtime.chat._structured import STRUCTURED_OUTPUT, OutputSchema

DEFAULT_CHAT_MODEL = "_default_chat_model"
DEFAULT_SCHEMA_PROMPT = "_default_schema_prompt"
DEFAULT_USER_PROMPT = "_default_user_prompt"
START_ACTION = "start_action"
STOP_ACTION = "stop_action"


class ReActAgent(Agent):
    """A ReAct agent over the model's function calling (see the module docstring).

    Args:
        chat_model: the chat model setup (a ``ResourceDescriptor`` of ``ChatModelSetup`` or
            another setup class, naming its connection, model and ``tools``) or a setup.
        prompt: instructions; its ``{input}`` (or the input dict's keys) are filled per input.
        output_schema: a pydantic model class, a JSON schema dict or a PyFlink
            ``RowTypeInfo`` of basic fields (the output is then a ``Row``) for the final answer.

    Raises ``TypeError`` for an unsupported ``output_schema``.
    """

    def __init__(
        self,
        *,
        chat_model: ResourceDescriptor | Any,
        prompt: Prompt | None = None,
        output_schema: Any = None,
    ) -> None:
        super().__init__()
        self.add_resource(DEFAULT_CHAT_MODEL, ResourceType.CHAT_MODEL, chat_model)
        self._output_schema = OutputSchema.coerce(output_schema)
        self._prompt = prompt
        if prompt is not None:
            self.add_resource(DEFAULT_USER_PROMPT, ResourceType.PROMPT, prompt)
        if self._output_schema is not None:
            self.add_resource(
                DEFAULT_SCHEMA_PROMPT,
                ResourceType.PROMPT,
                Prompt.from_text(self._output_schema.instruction()),
            )
        self.add_action(START_ACTION, [InputEvent], self._start)
        self.add_action(STOP_ACTION, [ChatResponseEvent], self._stop)

    @property
    def output_schema(self) -> OutputSchema | None:
        """The expected answer (``None``: free text)."""
        return self._output_schema

    def _messages(self, value: Any) -> list[ChatMessage]:
        prompt = self._prompt
        if value is None or isinstance(value, (str, int, float, bool)):
            text = str(value)
            if prompt is None:
                return [ChatMessage(MessageRole.USER, text)]
            return prompt.format_messages(MessageRole.USER, input=text)
        if prompt is None:
            raise InputError(
                f"ReActAgent: input of type {type(value).__name__} is not a primitive; give "
                "the agent a prompt whose {arguments} the input's fields fill"
            )
        dump = getattr(value, "model_dump", None)
        if is_row(value):  # a PyFlink Row (Flink Agents' table inputs): its named fields
            fields = value.as_dict(recursive=True)
        elif callable(dump):
            fields = dump()
        elif isinstance(value, dict):
            fields = value
        elif hasattr(value, "__dict__"):
            fields = vars(value)
        else:
            raise InputError(f"ReActAgent: cannot read fields of input {value!r}")
        return prompt.format_messages(MessageRole.USER, **{str(k): v for k, v in fields.items()})

    def _start(self, event: Event, ctx: Any) -> None:
        messages = self._messages(InputEvent.from_event(event).input)
        if self._output_schema is not None:
            instruction = ChatMessage(MessageRole.SYSTEM, self._output_schema.instruction())
            first_system = next(
                (i for i, m in enumerate(messages) if m.role is MessageRole.SYSTEM), -1
            )
            messages.insert(first_system + 1, instruction)
        ctx.send_event(
            ChatRequestEvent(DEFAULT_CHAT_MODEL, messages, output_schema=self._output_schema)
        )

    def _stop(self, event: Event, ctx: Any) -> None:
        response_event = ChatResponseEvent.from_event(event)
        if response_event.attributes.get("chat_model") not in (None, DEFAULT_CHAT_MODEL):
            return  # a chat some other action of a subclass asked for
        if response_event.attributes.get("status") == "failed":  # a hard budget stop
            raise ChatModelError(str(response_event.attributes.get("error") or "chat failed"))
        response = response_event.response
        if STRUCTURED_OUTPUT not in response.extra_args:
            ctx.send_event(OutputEvent(output=response.content))
            return
        value = response.extra_args[STRUCTURED_OUTPUT]
        schema = self._output_schema
        if schema is not None and (schema.model is not None or schema.row_fields is not None):
            built = schema.build(value)
            if _events_carry(built):
                value = built
        ctx.send_event(OutputEvent(output=value))


def _events_carry(value: Any) -> bool:
    """Whether events accept ``value`` as an attribute (pydantic values once supported)."""
    try:
        check_json(value, "output")
    except Exception:
        return False
    return True
