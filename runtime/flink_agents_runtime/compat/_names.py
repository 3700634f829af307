"""Flink Agents' smaller API names: tool metadata and schemas, ``LocalPrompt``, function
descriptors, the resource cache and the core option classes.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import re
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from flink_agents_runtime._errors import AgentDefinitionError, ConfigError, ResourceError
from flink_agents_runtime.api._agent import ResourceType
from flink_agents_runtime.api._resources import PlanResources
from flink_agents_runtime.chat._message import ChatMessage, MessageRole
from flink_agents_runtime.chat._prompt import Prompt
from flink_agents_runtime.chat.tools._metadata import (
    ToolMetadata,
    create_model_from_schema,
    metadata_of,
)
from flink_agents_runtime.chat.tools._tool import FunctionTool, Tool
from flink_agents_runtime.config._options import ConfigOption, find_option


class ToolType(str, enum.Enum):
    """Kinds of tool (Flink Agents' names); the kit's tools are ``FUNCTION`` tools."""

    MODEL_BUILT_IN = "model_built_in"
    FUNCTION = "function"
    REMOTE_FUNCTION = "remote_function"
    MCP = "mcp"


def create_schema_from_function(name: str, func: Callable[..., Any]) -> type[BaseModel]:
    """A pydantic model of ``func``'s parameters (types and docstring descriptions), as
    Flink Agents builds a tool's ``args_schema``."""
    parameters = FunctionTool(func, name=name).parameters
    return create_model_from_schema(name, parameters)


def tool_metadata(tool: Tool) -> ToolMetadata:
    """:class:`ToolMetadata` of one of the kit's tools."""
    return metadata_of(tool.name, tool.description, tool.parameters)


_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def format_string(_template: str, **kwargs: Any) -> str:
    """``template`` with ``{name}`` replaced by ``str(kwargs[name])``; a placeholder without
    an argument stays as written (Flink Agents' lenient formatting)."""
    return _PLACEHOLDER.sub(lambda m: str(kwargs.get(m.group(1), m.group(0))), _template)


class LocalPrompt(Prompt):
    """Flink Agents' prompt: the kit's :class:`Prompt` with Flink Agents' lenient
    formatting (a missing argument leaves its placeholder; the kit's own ``Prompt`` raises
    :class:`PromptError` naming it). ``LocalPrompt(template=...)`` or
    ``from_text`` / ``from_messages`` of the mirror's ``Prompt``."""

    def __init__(self, template: Any) -> None:
        super().__init__(
            template if isinstance(template, str) else Prompt.from_messages(template).template
        )

    @staticmethod
    def from_text(text: str) -> LocalPrompt:
        """A prompt from one text template."""
        return LocalPrompt(Prompt.from_text(text).template)

    @staticmethod
    def from_messages(messages: Any) -> LocalPrompt:
        """A prompt from message templates."""
        return LocalPrompt(Prompt.from_messages(messages).template)

    def format_string(self, **kwargs: Any) -> str:
        if isinstance(self.template, str):
            return format_string(self.template, **kwargs)
        return "\n".join(
            f"{m.role.value}: {format_string(m.content, **kwargs)}" for m in self.template
        )

    def format_messages(self, role: Any = MessageRole.SYSTEM, **kwargs: Any) -> list[ChatMessage]:
        if isinstance(self.template, str):
            return [ChatMessage(MessageRole(role), format_string(self.template, **kwargs))]
        return [
            ChatMessage(m.role, format_string(m.content, **kwargs), extra_args=dict(m.extra_args))
            for m in self.template
        ]

    @classmethod
    def model_json_schema(cls, **_: Any) -> dict[str, Any]:
        """A JSON schema of the prompt resource (Flink Agents' pydantic method)."""
        return {
            "title": cls.__name__,
            "type": "object",
            "properties": {"template": {"anyOf": [{"type": "string"}, {"type": "array"}]}},
            "required": ["template"],
        }


class Function(BaseModel):
    """The base of function descriptors (Flink Agents' ``Function``): data naming a function."""


class PythonFunction(Function):
    """A Python function named by module and qualified name (Flink Agents' plan form)."""

    module: str
    qualname: str

    @staticmethod
    def from_callable(func: Callable[..., Any]) -> PythonFunction:
        """The descriptor of ``func``."""
        return PythonFunction(module=func.__module__, qualname=func.__qualname__)

    def as_callable(self) -> Callable[..., Any]:
        """The function: its module imported (running the module's top-level code, as any
        import does), then each name of ``qualname`` walked with ``getattr`` (``Class.method``
        walks the class). Nothing else runs. The module must be an absolute dotted name
        (each part an identifier: no relative ``.x``, no empty part). A name of
        ``qualname`` that is no identifier, or a dunder (``__globals__``, ``__class__``,
        ...), is refused. As in Flink Agents, the walk follows any attribute, so a name the
        module imported is reached too (``os:path.join`` is ``os.path.join``). The one
        resolver of function references (a YAML agents file's ``function: module:qualname``
        too).

        Raises :class:`AgentDefinitionError` naming the function (``module:qualname``) and
        what is wrong: a module name that is not one, a name it may not walk, a module that
        does not import, a missing attribute, a value that is not callable.
        """
        ref = f"{self.module}:{self.qualname}"
        if not all(p.isidentifier() for p in self.module.split(".")):
            raise AgentDefinitionError(
                f"function {ref!r}: module {self.module!r} is not an absolute dotted module "
                "name (identifiers separated by dots)"
            )
        parts = self.qualname.split(".")
        bad = [p for p in parts if not p.isidentifier() or p.startswith("__")]
        if bad:
            raise AgentDefinitionError(
                f"function {ref!r}: {bad[0]!r} is not a name a reference may walk"
            )
        try:
            target: Any = importlib.import_module(self.module)
        except ImportError as exc:
            raise AgentDefinitionError(
                f"function {ref!r}: module {self.module!r} does not import: {exc}"
            ) from None
        walked = self.module
        for part in parts:
            try:
                target = getattr(target, part)
            except AttributeError:
                raise AgentDefinitionError(
                    f"function {ref!r}: {walked!r} has no attribute {part!r}"
                ) from None
            walked = f"{walked}:{part}" if walked == self.module else f"{walked}.{part}"
        if not callable(target):
            raise AgentDefinitionError(
                f"function {ref!r} names a {type(target).__name__}, not a function"
            )
        return target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.as_callable()(*args, **kwargs)


class JavaFunction(Function):
    """A Java method descriptor: accepted in plans, refused when called (Python only)."""

    qualname: str
    method_name: str = ""
    parameter_types: list[str] = Field(default_factory=list)
    java_action: ClassVar[bool] = True  # the plan compiler refuses it

    @classmethod
    def for_action(cls, qualname: str, method_name: str) -> JavaFunction:
        """A descriptor of a Java action method."""
        return cls(qualname=qualname, method_name=method_name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise AgentDefinitionError(
            f"Java function {self.qualname}.{self.method_name} cannot run: flink-agents-nb runs "
            "Python actions only; port the action to Python"
        )


class ResourceCache:
    """Resources built from declarations, one instance per (name, type), opened once
    (Flink Agents' ``ResourceCache``). ``resources`` maps types to names to declarations
    (instances, descriptors or zero-argument factories)."""

    def __init__(self, resources: dict[Any, dict[str, Any]], config: Any = None) -> None:
        declared = {ResourceType(t): dict(named) for t, named in resources.items()}
        self._provider = PlanResources(declared, config)

    def get_resource(self, name: str, resource_type: Any) -> Any:
        """The resource (built and opened on first use)."""
        try:
            return self._provider.get(name, resource_type)
        except ResourceError:
            raise

    def close(self) -> None:
        """Close every resource built so far."""
        self._provider.close()


class ErrorHandlingStrategy(str, enum.Enum):
    """What a failing action does (0.3.1; removed in 0.4, kept here as an extension)."""

    FAIL = "fail"
    IGNORE = "ignore"
    RETRY = "retry"


class EventLogLevel(str, enum.Enum):
    """Event-log levels."""

    OFF = "OFF"
    STANDARD = "STANDARD"
    VERBOSE = "VERBOSE"


class LoggerType(str, enum.Enum):
    """Event-logger types."""

    SLF4J = "slf4j"
    FILE = "file"
    MEMORY = "memory"


class ShortTermMemoryTtlUpdate(str, enum.Enum):
    """Accepted for Flink Agents' configuration (memory never expires in the kit)."""

    ON_CREATE_AND_WRITE = "ON_CREATE_AND_WRITE"
    ON_READ_AND_WRITE = "ON_READ_AND_WRITE"


class ShortTermMemoryTtlVisibility(str, enum.Enum):
    """Accepted for Flink Agents' configuration (memory never expires in the kit)."""

    NEVER_RETURN_EXPIRED = "NEVER_RETURN_EXPIRED"
    RETURN_EXPIRED_IF_NOT_CLEANED_UP = "RETURN_EXPIRED_IF_NOT_CLEANED_UP"


class ConditionEvaluationFailureStrategy(str, enum.Enum):
    """Accepted for Flink Agents 0.4's configuration (no trigger conditions in the kit)."""

    WARN_AND_SKIP = "WARN_AND_SKIP"
    FAIL = "FAIL"


def _option(key: str) -> ConfigOption:
    option = find_option(key)
    if option is None:
        raise ConfigError(f"Flink Agents option {key!r} is not declared", key=key)
    if option.key != key:  # a key under a declared pattern (``memory.generate-event.*``)
        option = dataclasses.replace(option, key=key)
    return option


class AgentConfigOptions:
    """Flink Agents' agent options, as the kit's declared options (``config.get(opt)``)."""

    EVENT_LOGGER_TYPE = _option("eventLoggerType")
    BASE_LOG_DIR = _option("baseLogDir")
    PRETTY_PRINT = _option("prettyPrint")
    ACTION_STATE_STORE_BACKEND = _option("actionStateStoreBackend")
    JOB_IDENTIFIER = _option("job-identifier")
    EVENT_LOG_LEVEL = _option("event-log.level")
    EVENT_LOG_MAX_STRING_LENGTH = _option("event-log.standard.max-string-length")
    EVENT_LOG_MAX_ARRAY_ELEMENTS = _option("event-log.standard.max-array-elements")
    EVENT_LOG_MAX_DEPTH = _option("event-log.standard.max-depth")
    CONDITION_EVALUATION_FAILURE_STRATEGY = _option(
        "action.trigger-condition.evaluate-failure-strategy"
    )
    EVENT_LISTENERS = _option("event-listeners")


class AgentExecutionOptions:
    """Flink Agents' execution options (``error-handling-strategy`` is the kit's extension
    after 0.4 removed it)."""

    ERROR_HANDLING_STRATEGY = _option("error-handling-strategy")
    MAX_RETRIES = _option("max-retries")
    RETRY_WAIT_INTERVAL = _option("retry-wait-interval")
    NUM_ASYNC_THREADS = _option("num-async-threads")
    CHAT_ASYNC = _option("chat.async")
    TOOL_CALL_ASYNC = _option("tool-call.async")
    RAG_ASYNC = _option("rag.async")
    SHORT_TERM_MEMORY_STATE_TTL_MS = _option("short-term-memory.state-ttl.ms")
    SHORT_TERM_MEMORY_STATE_TTL_UPDATE_TYPE = _option("short-term-memory.state-ttl.update-type")
    SHORT_TERM_MEMORY_STATE_TTL_VISIBILITY = _option("short-term-memory.state-ttl.visibility")
    AGENT_RUN_BEGIN_EVENT = _option("agent-run.begin-event")


class MemoryEventOptions:
    """Flink Agents 0.4's memory-event options (accepted; no memory events in the kit)."""

    MEMORY_GENERATE_EVENT = _option("memory.generate-event")
    SHORT_TERM_WRITE = _option("memory.generate-event.short-term-write")
    SHORT_TERM_READ = _option("memory.generate-event.short-term-read")
    SENSORY_WRITE = _option("memory.generate-event.sensory-write")
    SENSORY_READ = _option("memory.generate-event.sensory-read")
    LONG_TERM_UPDATE = _option("memory.generate-event.long-term-update")
    LONG_TERM_GET = _option("memory.generate-event.long-term-get")
    LONG_TERM_SEARCH = _option("memory.generate-event.long-term-search")
