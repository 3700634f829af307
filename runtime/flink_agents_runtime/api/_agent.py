"""Agents: actions bound to event types, and the resources they use.

Follows Apache Flink Agents' Python API: subclass :class:`Agent` and mark static methods with
``@action("event_type")``, or build one with :meth:`Agent.add_action`. Unlike Flink Agents,
actions declared on a base class are inherited, and an action may also be a plain method
taking ``(self, event, ctx)``.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flink_agents_runtime._errors import (
    AgentDefinitionError,
    ArgumentTypeError,
    ArgumentValueError,
)
from flink_agents_runtime.api._events import Event, event_type_of
from flink_agents_runtime.api._injection import INJECTED_MARK, normalize_injected_args

_ACTION_MARK = "_flink_agents_listen_events"
_ACTION_CONFIG_MARK = "_flink_agents_action_config"
_RESOURCE_MARK = "_flink_agents_resource_type"
_TARGET_MARK = "_flink_agents_action_target"
_FA_LISTEN_MARK = "_listen_events"  # Flink Agents' attribute names
_FA_TARGET_MARK = "_target"


class ResourceType(str, enum.Enum):
    """Kinds of resource an agent declares (Flink Agents' names)."""

    CHAT_MODEL_CONNECTION = "chat_model_connection"
    CHAT_MODEL = "chat_model"
    TOOL = "tool"
    PROMPT = "prompt"
    EMBEDDING_MODEL_CONNECTION = "embedding_model_connection"
    EMBEDDING_MODEL = "embedding_model"
    VECTOR_STORE = "vector_store"
    MCP_SERVER = "mcp_server"
    SKILLS = "skills"
    AGENT = "agent"


@dataclass(frozen=True)
class ActionSpec:
    """One action of an agent.

    Attributes:
        name: unique within the agent.
        event_types: the event type strings it listens to.
        func: called as ``func(event, ctx)``; may be a coroutine function.
        config: the action's own config (``ctx.action_config``).
    """

    name: str
    event_types: tuple[str, ...]
    func: Callable[..., Any]
    config: dict[str, Any] = field(default_factory=dict)
    #: Whether the action is a coroutine function (``async def``); derived, not passed.
    is_async: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "is_async", inspect.iscoroutinefunction(self.func))


def action(*listen_events: str | type[Event], **config: Any) -> Callable[[Any], Any]:
    """Mark a function as an action listening to ``listen_events``.

    Each argument is an event type string (``"_input_event"``) or an Event class (its
    ``EVENT_TYPE``, else its qualified name). Keyword arguments become the action's config
    (``ctx.action_config``), except ``target``: a function descriptor (Flink Agents'
    ``PythonFunction``) run instead of the decorated body; a Java function is refused when
    the agent is applied. Works above or below ``@staticmethod``.
    """
    if not listen_events:
        raise AgentDefinitionError("@action needs at least one event type to listen to")
    types = tuple(event_type_of(e) for e in listen_events)
    target_func = config.pop("target", None)
    if target_func is not None and not callable(target_func):
        raise ArgumentTypeError(
            f"@action(target=...) must be a function descriptor, got {target_func!r}"
        )

    def mark(func: Any) -> Any:
        target = func.__func__ if isinstance(func, (staticmethod, classmethod)) else func
        if not callable(target):
            raise AgentDefinitionError(f"@action must decorate a function, got {func!r}")
        setattr(target, _ACTION_MARK, types)
        setattr(target, _ACTION_CONFIG_MARK, dict(config))
        setattr(target, _FA_LISTEN_MARK, types)
        if target_func is not None:
            _check_target(target_func, getattr(target, "__qualname__", repr(target)))
            setattr(target, _TARGET_MARK, target_func)
            setattr(target, _FA_TARGET_MARK, target_func)
        return func

    return mark


def _check_target(target: Any, owner: str) -> None:
    """A function descriptor names its function fully (Flink Agents' rule)."""
    parts = [getattr(target, n, None) for n in ("module", "qualname", "method_name")]
    named = [p for p in parts if p is not None]
    if named and not all(named):
        raise ArgumentValueError(
            f"{type(target).__name__} target on {owner!r} must set every identifier "
            f"(module/qualname or qualname/method_name), got {target!r}"
        )


def _resource_marker(rtype: ResourceType) -> Callable[[Any], Any]:
    def mark(func: Any) -> Any:
        target = func.__func__ if isinstance(func, (staticmethod, classmethod)) else func
        setattr(target, _RESOURCE_MARK, rtype)
        return func

    mark.__name__ = rtype.value
    mark.__doc__ = (
        f"Mark a static method returning a {rtype.value} declaration; its name is the "
        "resource's name (``ctx.get_resource(name, type)``)."
    )
    return mark


chat_model_connection = _resource_marker(ResourceType.CHAT_MODEL_CONNECTION)
chat_model_setup = _resource_marker(ResourceType.CHAT_MODEL)
_tool_marker = _resource_marker(ResourceType.TOOL)


def tool(func: Any = None, *, injected_args: dict[str, Any] | None = None) -> Any:
    """Mark a static method returning a tool declaration, or a function that is the tool
    itself; its name is the resource's name (``ctx.get_resource(name, type)``).

    ``@tool(injected_args={"tenant_id": InjectedArg.from_config("tenant_id")})`` (Flink
    Agents 0.4): parameters the framework fills when the tool is called, hidden from the
    model; checked here against the function's parameters (``api._injection``).
    """

    def mark(target: Any) -> Any:
        marked = _tool_marker(target)
        if injected_args is not None:
            inner = target.__func__ if isinstance(target, (staticmethod, classmethod)) else target
            setattr(inner, INJECTED_MARK, normalize_injected_args(injected_args, inner))
        return marked

    return mark(func) if func is not None else mark


prompt = _resource_marker(ResourceType.PROMPT)
embedding_model_connection = _resource_marker(ResourceType.EMBEDDING_MODEL_CONNECTION)
embedding_model_setup = _resource_marker(ResourceType.EMBEDDING_MODEL)
vector_store = _resource_marker(ResourceType.VECTOR_STORE)
mcp_server = _resource_marker(ResourceType.MCP_SERVER)
skills = _resource_marker(ResourceType.SKILLS)


def _check_signature(name: str, func: Callable[..., Any]) -> None:
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):  # builtins, C callables: trust them
        return
    positional = [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    has_varargs = any(p.kind is p.VAR_POSITIONAL for p in params)
    if len(positional) != 2 and not (has_varargs and len(positional) <= 2):
        hint = ""
        if len(positional) == 1 and inspect.ismethod(func):
            hint = (
                "; it is a method bound to the agent (self took the first argument): add "
                "@staticmethod under @action, or write it as def "
                f"{getattr(func, '__name__', name)}(self, event, ctx)"
            )
        elif len(positional) == 1:
            hint = (
                "; if it is defined in a class as def f(event, ctx), add @staticmethod "
                "under @action"
            )
        raise AgentDefinitionError(
            f"action {name!r} must take (event, ctx), but its signature is "
            f"{inspect.signature(func)}{hint}"
        )


class Agent:
    """An agent: actions keyed by the event types they listen to, plus resources.

    Declare actions on a subclass with ``@action``, or add them to an instance with
    :meth:`add_action`. The agent is compiled into a plan when it is applied to an
    environment; changing it afterwards does not change a running job.
    """

    def __init__(self) -> None:
        self._actions: dict[str, ActionSpec] = {}
        self._resources: dict[ResourceType, dict[str, Any]] = {t: {} for t in ResourceType}

    # -- declaration -------------------------------------------------------------------
    def add_action(
        self,
        name: str,
        events: list[str | type[Event]] | tuple[str | type[Event], ...] | str | type[Event],
        func: Callable[..., Any],
        **config: Any,
    ) -> Agent:
        """Add an action named ``name`` listening to ``events``; returns the agent.

        ``func`` is called as ``func(event, ctx)``. Raises :class:`AgentDefinitionError` on a
        duplicate name, an empty event list or a function that does not take two arguments.
        """
        if isinstance(events, (str, type)):
            events = [events]
        if not events:
            raise AgentDefinitionError(f"action {name!r} listens to no event type")
        if name in self._actions or name in self._declared_actions():
            raise AgentDefinitionError(f"action {name!r} is already defined on this agent")
        if not callable(func):
            raise AgentDefinitionError(f"action {name!r}: func must be callable, got {func!r}")
        _check_signature(name, func)
        self._actions[name] = ActionSpec(
            name=name,
            event_types=tuple(event_type_of(e) for e in events),
            func=func,
            config=dict(config),
        )
        return self

    def add_resource(self, name: str, resource_type: ResourceType | str, instance: Any) -> Agent:
        """Add a resource (a chat model, connection, tool or prompt declaration)."""
        rtype = ResourceType(resource_type)
        if name in self._resources[rtype]:
            raise AgentDefinitionError(f"{rtype.value} {name!r} is already defined")
        self._resources[rtype][name] = instance
        return self

    # -- identity ----------------------------------------------------------------------
    def plan_name(self) -> str:
        """The agent's name in its plan (and so in the Trace Log, job names, messages): its
        class name. An agent declared by name in a file (a YAML agent) returns that name;
        a subclass may override it likewise."""
        return type(self).__name__

    def declared_at(self) -> str | None:
        """Where the agent is declared (``path:line`` of a YAML agents file's entry), for
        messages about it; ``None`` for an agent written in Python."""
        return None

    # -- introspection -----------------------------------------------------------------
    def _declared_actions(self) -> dict[str, ActionSpec]:
        """Actions declared with ``@action`` on this class and its bases.

        The most-derived definition of a name wins (a subclass may override an action, or
        turn it into a plain method); order is first declaration, base classes first.
        """
        mro = type(self).__mro__
        final: dict[str, Any] = {}
        for klass in mro:  # most derived first
            for attr_name, raw in vars(klass).items():
                final.setdefault(attr_name, raw)
        found: dict[str, ActionSpec] = {}
        for klass in reversed(mro):
            for attr_name in vars(klass):
                if attr_name in found:
                    continue
                raw = final[attr_name]
                target = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
                types = getattr(target, _ACTION_MARK, None)
                if types is None:
                    continue
                func = getattr(target, _TARGET_MARK, None) or getattr(self, attr_name)
                _check_signature(attr_name, func)
                found[attr_name] = ActionSpec(
                    name=attr_name,
                    event_types=types,
                    func=func,
                    config=dict(getattr(target, _ACTION_CONFIG_MARK, {})),
                )
        return found

    @property
    def actions(self) -> dict[str, ActionSpec]:
        """All actions, declared and added, by name (declaration order)."""
        return {**self._declared_actions(), **self._actions}

    @property
    def resources(self) -> dict[ResourceType, dict[str, Any]]:
        """All resources by type and name: decorated declarations and added instances."""
        out: dict[ResourceType, dict[str, Any]] = {t: {} for t in ResourceType}
        for klass in reversed(type(self).__mro__):
            for attr_name, raw in vars(klass).items():
                target = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
                rtype = getattr(target, _RESOURCE_MARK, None)
                if rtype is not None:
                    out[rtype][attr_name] = getattr(self, attr_name)
        for rtype, named in self._resources.items():
            out[rtype].update(named)
        return out

    def __repr__(self) -> str:
        names = ", ".join(f"{a.name}<-{'|'.join(a.event_types)}" for a in self.actions.values())
        return f"{type(self).__name__}({names})"
