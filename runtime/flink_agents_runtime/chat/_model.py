"""Chat-model resources in Flink Agents' shape: a *connection* (where and how to call) and
a *setup* (model, prompt, tools, model kwargs) that names its connection.

Declare them with descriptors, so an agent's plan stays small and picklable::

    @chat_model_connection
    @staticmethod
    def llm() -> ResourceDescriptor:
        return ResourceDescriptor(clazz=OpenAIChatModelConnection, base_url="http://...")

    @chat_model_setup
    @staticmethod
    def triage_model() -> ResourceDescriptor:
        return ResourceDescriptor(clazz=ChatModelSetup, connection="llm",
                                  model="gpt-4o-mini", prompt="triage", tools=["lookup"])

A connection's response is a :class:`ChatMessage` whose ``extra_args`` hold
``model_name``, ``promptTokens`` and ``completionTokens``.
"""

from __future__ import annotations

import contextvars
import importlib
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from flink_agents_runtime._errors import ResourceError
from flink_agents_runtime._redact import is_secret_name
from flink_agents_runtime.api._agent import ResourceType
from flink_agents_runtime.chat._message import ChatMessage, MessageRole, coerce_messages
from flink_agents_runtime.chat._prompt import Prompt
from flink_agents_runtime.chat._setup_fields import pop_setup_fields
from flink_agents_runtime.chat.providers._catalogue import kit_class_path
from flink_agents_runtime.chat.tools._skills import LoadSkillTool, discovery_prompt, resolve_skills
from flink_agents_runtime.chat.tools._tool import Tool
from flink_agents_runtime.engine.awaiting._loop import is_async_callable

#: The key of the input whose chat call runs in this thread (set by the built-in chat
#: action around each call; a replaying model uses it to find that key's answers).
CALL_KEY: contextvars.ContextVar[Any] = contextvars.ContextVar("flink_agents_chat_key")


class ResourceContext(Protocol):
    """What a resource sees when it is opened: other resources and the configuration."""

    config: Any

    def get(self, name: str, resource_type: Any = None, ctx: Any = None) -> Any:
        """The resource ``name``."""


class Resource:
    """Base of chat-model resources. ``open(context)`` runs once, when first fetched."""

    resource_type: ResourceType

    def open(self, context: ResourceContext) -> None:
        """Resolve what this resource references (connections, prompts, tools)."""

    def close(self) -> None:
        """Release what the resource holds."""


class ResourceDescriptor:
    """A resource's class and constructor arguments (Flink Agents' ``ResourceDescriptor``).

    ``ResourceDescriptor(clazz="pkg.module.Class", arg=...)`` as in Flink Agents (also
    ``target_module=`` + ``target_clazz=``), or with the class itself:
    ``ResourceDescriptor(MyConnection, arg=...)``. Flink Agents' own class paths (the
    ``ResourceName`` catalogue) resolve to the kit's implementations.

    Args:
        clazz: the class, or its dotted name (``"pkg.module.Class"``).
        arguments: constructor arguments; keyword arguments are merged into them.
        target_module: the module of the class (with ``target_clazz``, instead of clazz).
        target_clazz: the class name inside ``target_module``.
    """

    def __init__(
        self,
        clazz: type | str | None = None,
        arguments: Mapping[str, Any] | None = None,
        *,
        target_module: str | None = None,
        target_clazz: str | None = None,
        **kwargs: Any,
    ) -> None:
        if clazz is None:
            if not target_module or not target_clazz:
                raise ResourceError(
                    "ResourceDescriptor needs clazz='module.Class' (or target_module and "
                    "target_clazz)"
                )
            clazz = f"{target_module}.{target_clazz}"
        self.clazz = clazz
        self.arguments: dict[str, Any] = {**(arguments or {}), **kwargs}

    @property
    def target_module(self) -> str:
        """The module part of the class path (Flink Agents' field)."""
        if isinstance(self.clazz, type):
            return self.clazz.__module__
        return str(self.clazz).rpartition(".")[0]

    @property
    def target_clazz(self) -> str:
        """The class-name part of the class path (Flink Agents' field)."""
        if isinstance(self.clazz, type):
            return self.clazz.__qualname__
        return str(self.clazz).rpartition(".")[2]

    def resolve_class(self) -> type:
        """The class (imported when given by name; Flink Agents' paths mapped to the kit's)."""
        if isinstance(self.clazz, type):
            return self.clazz
        path = kit_class_path(str(self.clazz))
        module, _, name = path.rpartition(".")
        if not module:
            raise ResourceError(f"resource class {self.clazz!r} must be a dotted name")
        try:
            cls: type = getattr(importlib.import_module(module), name)
            return cls
        except (ImportError, AttributeError) as exc:
            raise ResourceError(f"cannot import resource class {self.clazz!r}: {exc}") from exc

    def build(self) -> Any:
        """A new instance: ``clazz(**arguments)``."""
        cls = self.resolve_class()
        try:
            return cls(**self.arguments)
        except TypeError as exc:
            raise ResourceError(f"cannot create {cls.__name__} from {self!r}: {exc}") from exc
        except Exception as exc:
            wrong = _validation_problems(exc)
            if wrong is None:
                raise
            raise ResourceError(f"cannot create {cls.__name__} from {self!r}: {wrong}") from None

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ResourceDescriptor)
            and self.resolve_class() is other.resolve_class()
            and self.arguments == other.arguments
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        name = self.clazz.__name__ if isinstance(self.clazz, type) else self.clazz
        args = ", ".join(
            f"{k}={'****' if is_secret_name(k) else repr(v)}"
            for k, v in sorted(self.arguments.items())
        )
        return f"ResourceDescriptor({name}{', ' if args else ''}{args})"


def _validation_problems(exc: BaseException) -> str | None:
    """A pydantic ``ValidationError``'s fields and what is wrong with each, never the input
    values (an ``api_key``); ``None`` for any other error. pydantic is optional: a class
    that raised one has imported it."""
    core = sys.modules.get("pydantic_core")
    if core is None or not isinstance(exc, core.ValidationError):
        return None
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or '(model)'}: {e['msg']}"
        for e in exc.errors(include_url=False, include_input=False, include_context=False)
    )


class BaseChatModelConnection(Resource):
    """Where and how to call a chat model. Implement :meth:`chat`.

    ``chat`` may run on the async thread pool, several calls at once: keep it thread-safe.
    """

    resource_type = ResourceType.CHAT_MODEL_CONNECTION

    def chat(
        self, messages: Sequence[ChatMessage], tools: Sequence[Tool] | None = None, **kwargs: Any
    ) -> ChatMessage:
        """One model call: the answer, with ``model_name``, ``promptTokens`` and
        ``completionTokens`` in ``extra_args``. ``kwargs`` include ``model``."""
        raise NotImplementedError


class ChatModelSetup(Resource):
    """A model on a connection, with its prompt, tools and model kwargs.

    Args:
        connection: the name of a chat-model connection resource.
        model: the model name sent to the connection (``gpt-4o-mini``, ``llama3``, ...).
        prompt: a :class:`Prompt` or the name of a prompt resource; its messages come first,
            filled from the request's ``prompt_args``.
        tools: names of tool resources the model may call.
        skills: names of skills (from ``@skills`` resources) offered to the model, with the
            ``load_skill`` tool (see ``chat.tools._skills``).
        model_kwargs: passed to every call (``temperature``, ``max_tokens``, ...).
    """

    resource_type = ResourceType.CHAT_MODEL

    def __init__(
        self,
        connection: str,
        model: str | None = None,
        prompt: Prompt | str | None = None,
        tools: Sequence[str] | None = None,
        **model_kwargs: Any,
    ) -> None:
        skills = model_kwargs.pop("skills", None)  # a keyword of its own, not a model kwarg
        self.setup_fields = pop_setup_fields(model_kwargs, model)  # FA's, never sent
        self.connection = connection
        self.model = model
        self.prompt = prompt
        self.tools = list(tools or [])
        self.skills = list(skills or [])
        self.model_kwargs = model_kwargs
        self._skill_prompt: str | None = None
        self._connection: BaseChatModelConnection | None = None
        self._prompt: Prompt | None = prompt if isinstance(prompt, Prompt) else None
        self._tools: list[Tool] = []

    def open(self, context: ResourceContext) -> None:
        conn = context.get(self.connection, ResourceType.CHAT_MODEL_CONNECTION)
        if not callable(getattr(conn, "chat", None)):
            raise ResourceError(
                f"chat model connection {self.connection!r} has no chat() method: {conn!r}"
            )
        self._connection = conn
        if isinstance(self.prompt, str):
            self._prompt = context.get(self.prompt, ResourceType.PROMPT)
        self._tools = [context.get(name, ResourceType.TOOL) for name in self.tools]
        if self.skills:
            enabled = resolve_skills(context, self.skills, f"chat model setup {self!r}")
            self._skill_prompt = discovery_prompt(enabled)
            self._tools.append(LoadSkillTool({s.name: s for s in enabled}))

    @property
    def tool_objects(self) -> list[Tool]:
        """The resolved tools (after ``open``)."""
        return list(self._tools)

    def build_messages(
        self, messages: Sequence[ChatMessage], prompt_args: Mapping[str, Any] | None = None
    ) -> list[ChatMessage]:
        """The prompt's messages (filled from ``prompt_args``) followed by ``messages``.

        Raises :class:`PromptError` naming missing prompt arguments.
        """
        msgs = coerce_messages(messages)
        skills = [ChatMessage(MessageRole.SYSTEM, self._skill_prompt)] if self._skill_prompt else []
        if self._prompt is None:
            return skills + msgs
        head = self._prompt.format_messages(MessageRole.SYSTEM, **dict(prompt_args or {}))
        return head + skills + [m for m in msgs if m.content or m.role is not MessageRole.USER]

    def chat(
        self,
        messages: Sequence[ChatMessage],
        prompt_args: Mapping[str, Any] | None = None,
        tools: Sequence[Tool] | None = None,
        **kwargs: Any,
    ) -> ChatMessage:
        """Call the model through the connection: prompt first, then ``messages``.

        ``tools`` replaces the setup's tools for this call (``[]``: a call without tools).
        """
        connection, offered, merged = self._call_parts(tools, kwargs)
        return connection.chat(self.build_messages(messages, prompt_args), tools=offered, **merged)

    def _call_parts(
        self, tools: Sequence[Tool] | None, kwargs: dict[str, Any]
    ) -> tuple[BaseChatModelConnection, list[Tool], dict[str, Any]]:
        """What :meth:`chat` and :meth:`achat` call with: the opened connection, the tools
        offered (the setup's unless ``tools`` is given) and the keyword arguments (the
        setup's, then the call's; the setup's ``model`` unless the call names one)."""
        if self._connection is None:
            raise ResourceError(f"chat model setup for {self.connection!r} was not opened")
        merged = {**self.model_kwargs, **kwargs}
        if self.model is not None:
            merged.setdefault("model", self.model)
        return self._connection, self._tools if tools is None else list(tools), merged

    @property
    def has_async(self) -> bool:
        """Whether the connection has a native ``async def achat`` (run on the event loop)."""
        achat = getattr(self._connection, "achat", None)
        return achat is not None and is_async_callable(achat)

    async def achat(
        self,
        messages: Sequence[ChatMessage],
        prompt_args: Mapping[str, Any] | None = None,
        tools: Sequence[Tool] | None = None,
        **kwargs: Any,
    ) -> ChatMessage:
        """:meth:`chat` through the connection's ``achat`` (see :attr:`has_async`)."""
        connection, offered, merged = self._call_parts(tools, kwargs)
        achat = connection.achat  # type: ignore[attr-defined]
        return await achat(self.build_messages(messages, prompt_args), tools=offered, **merged)

    def __repr__(self) -> str:
        return (
            f"ChatModelSetup(connection={self.connection!r}, model={self.model!r}, "
            f"prompt={self.prompt if isinstance(self.prompt, str) else bool(self.prompt)!r}, "
            f"tools={self.tools!r})"
        )
