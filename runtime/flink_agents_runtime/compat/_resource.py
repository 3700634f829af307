"""Flink Agents' resource base classes: pydantic models with ``open()``,
``resource_context.get_resource(name, type)`` and ``model_kwargs``.

A user-written connection or setup that subclasses these (as it subclassed Flink Agents')
plugs into the kit unchanged: the kit builds it from its descriptor's arguments (pydantic
validates them), sets ``resource_context`` and calls ``open()`` when an action first asks
for it, and the built-in chat action calls ``setup.chat(messages, prompt_args=...)``.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from flink_agents_runtime._errors import FlinkAgentsError, ResourceError
from flink_agents_runtime.api._agent import ResourceType
from flink_agents_runtime.chat._message import ChatMessage, MessageRole
from flink_agents_runtime.chat._prompt import Prompt
from flink_agents_runtime.chat.tools._tool import Tool


class StructuredOutputStrategy(str, Enum):
    """Flink Agents 0.4's policy names for structured output (accepted; the kit's chat
    models take no output schema, see the README's status table)."""

    AUTO = "auto"
    NATIVE = "native"
    PROMPT = "prompt"


class ResourceContext(ABC):
    """What a resource sees of its agent: ``get_resource(name, resource_type)``."""

    @abstractmethod
    def get_resource(self, name: str, resource_type: ResourceType) -> Any:
        """Another resource of the same agent."""

    def generate_available_skills_prompt(self, *skill_names: str) -> str:
        """Skills are not provided by the kit: an empty prompt."""
        return ""

    def get_skill_dirs(self, *skill_names: str) -> list[str]:
        """Skills are not provided by the kit: no directories."""
        return []


class Resource(BaseModel, ABC):
    """Base of resources declared as pydantic models (Flink Agents' ``Resource``)."""

    # hide_input_in_errors: a ValidationError would otherwise quote the arguments (api_key)
    model_config = ConfigDict(arbitrary_types_allowed=True, hide_input_in_errors=True)

    resource_context: Any = Field(default=None, exclude=True)
    _metric_group: Any = PrivateAttr(default=None)

    @classmethod
    @abstractmethod
    def resource_type(cls) -> ResourceType:
        """The resource's kind."""

    def set_metric_group(self, metric_group: Any) -> None:
        """Bind a metric group (Flink Agents' hook)."""
        self._metric_group = metric_group

    @property
    def metric_group(self) -> Any:
        """The bound metric group, or ``None``."""
        return self._metric_group

    def open(self) -> None:
        """Called once, after ``resource_context`` is set, before first use."""

    def close(self) -> None:
        """Release what the resource holds."""


class SerializableResource(Resource, ABC):
    """A resource whose fields must serialise to JSON (checked at construction)."""

    @model_validator(mode="after")
    def _check_serialisable(self) -> SerializableResource:
        self.model_dump_json()
        return self


class OutputSchemaNotSupportedError(FlinkAgentsError, NotImplementedError):
    """A connection was given an output schema it cannot apply natively (Flink Agents
    raises ``NotImplementedError``)."""


class BaseChatModelConnection(Resource, ABC):
    """Where and how to call a chat model (Flink Agents' ``BaseChatModelConnection``).

    Implement ``chat(messages, tools=None, output_schema=None, **kwargs)`` returning a
    :class:`ChatMessage` with ``model_name``, ``promptTokens`` and ``completionTokens`` in
    ``extra_args`` (the kit counts tokens from them).
    """

    DEFAULT_REASONING_PATTERNS: ClassVar[tuple[re.Pattern[str], ...]] = (
        re.compile(r"<think>(.*?)</think>", re.DOTALL | re.IGNORECASE),
        re.compile(r"<reasoning>(.*?)</reasoning>", re.DOTALL | re.IGNORECASE),
    )

    @classmethod
    def resource_type(cls) -> ResourceType:
        return ResourceType.CHAT_MODEL_CONNECTION

    def supports_native_structured_output(self, effective_model: str | None) -> bool:
        """Whether the connection can structure output natively for the model (no)."""
        return False

    def _reject_unsupported_output_schema(self, output_schema: Any) -> None:
        """Raise :class:`OutputSchemaNotSupportedError` unless ``output_schema`` is ``None``
        (Flink Agents' helper: a connection without a native structured-output translation
        calls it first in ``chat``, so a schema is never silently dropped)."""
        if output_schema is None:
            return
        cls = type(self)
        raise OutputSchemaNotSupportedError(
            f"{cls.__module__}.{cls.__qualname__} cannot apply an output schema natively; "
            "override chat() to translate it, or pass no schema (the chat action then asks "
            "for the schema in the prompt and validates the answer)"
        )

    @staticmethod
    def _extract_reasoning(
        content: str, patterns: Sequence[re.Pattern[str]] = DEFAULT_REASONING_PATTERNS
    ) -> tuple[str, str | None]:
        """``(content without reasoning blocks, the reasoning or None)``."""
        if not content:
            return "", None
        found: list[str] = []
        cleaned = content
        for pattern in patterns:
            found += [m.strip() for m in pattern.findall(cleaned) if m.strip()]
            cleaned = pattern.sub("", cleaned)
        return cleaned.strip(), ("\n\n".join(found) if found else None)

    @abstractmethod
    def chat(
        self,
        messages: Sequence[ChatMessage],
        tools: list[Tool] | None = None,
        output_schema: Any = None,
        **kwargs: Any,
    ) -> ChatMessage:
        """One model call."""


class BaseChatModelSetup(Resource):
    """A model on a connection with prompt and tools (Flink Agents' ``BaseChatModelSetup``).

    Subclasses define the ``model_kwargs`` property (generation settings sent with every
    call). ``open()`` resolves ``connection``, a prompt named by string, and tool names
    through ``resource_context``.
    """

    connection: str = Field(description="The referenced connection name.")
    model: str = Field(description="Name of the chat model to use.")
    prompt: Any = None
    tools: list[Any] = Field(default_factory=list)
    skills: list[str] | None = None
    _resolved_connection: Any = PrivateAttr(default=None)

    @property
    def model_kwargs(self) -> dict[str, Any]:
        """Settings sent with every call (override; the model name by default)."""
        return {"model": self.model} if self.model else {}

    @classmethod
    def resource_type(cls) -> ResourceType:
        return ResourceType.CHAT_MODEL

    def open(self) -> None:
        if self.resource_context is None:
            raise ResourceError(f"{type(self).__name__}: open() needs resource_context")
        get = self.resource_context.get_resource
        self._resolved_connection = get(self.connection, ResourceType.CHAT_MODEL_CONNECTION)
        if isinstance(self.prompt, str):
            self.prompt = get(self.prompt, ResourceType.PROMPT)
        self.tools = [get(t, ResourceType.TOOL) if isinstance(t, str) else t for t in self.tools]

    def chat(
        self,
        messages: Sequence[ChatMessage],
        prompt_args: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> ChatMessage:
        """The prompt's messages (filled from ``prompt_args``), then ``messages`` that
        carry content, through the connection with :attr:`model_kwargs` and ``kwargs``."""
        if self._resolved_connection is None:
            raise ResourceError(
                f"connection {self.connection!r} has not been resolved; open() first"
            )
        msgs = list(messages)
        if isinstance(self.prompt, Prompt):
            args = {k: str(v) for k, v in (prompt_args or {}).items()}
            head = self.prompt.format_messages(MessageRole.SYSTEM, **args)
            msgs = head + [m for m in msgs if m.content or m.role is MessageRole.ASSISTANT]
        merged = {**self.model_kwargs, **kwargs}
        return self._resolved_connection.chat(msgs, tools=list(self.tools), **merged)
