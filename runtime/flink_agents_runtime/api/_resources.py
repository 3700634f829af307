"""Resolving ``ctx.get_resource(name, type)`` against a plan's declared resources."""

from __future__ import annotations

import contextlib
import difflib
import inspect
import logging
from typing import Any

from flink_agents_runtime._errors import ResourceError
from flink_agents_runtime.api._agent import ResourceType

logger = logging.getLogger(__name__)


class PlanResources:
    """Resources of one plan (its declarations by type and name), built on first use and
    cached for the life of the core.

    A declaration is an instance (used as is), a ``ResourceDescriptor`` (built), or a
    zero-argument callable (a method marked ``@chat_model_setup``, ``@prompt``, ...) whose
    result is one of those. A tool declaration that is a plain function (``@tool``) is the
    tool itself: it is wrapped with ``Tool.from_callable`` under its resource name.

    A built instance with ``open(context)`` is opened once with this provider as context
    (``context.get(name, type)`` and ``context.config``), so a chat-model setup finds its
    connection, prompt and tools by name; an instance with Flink Agents' contract (a
    ``resource_context`` field and ``open()``) gets a context whose
    ``get_resource(name, resource_type)`` resolves here, then is opened; an instance with
    ``bind(provider)`` is bound. A tool name that no tool resource declares is looked up
    among the tools of the declared MCP servers (and ``_subagent_<name>`` among the agents).
    :meth:`close` closes the instances built so far (the drivers call it when a run or a
    subtask ends), so HTTP clients and their connections do not outlive the run.

    Attributes:
        config: the configuration of the run (set from the first context that asks).
    """

    def __init__(self, resources: dict[ResourceType, dict[str, Any]], config: Any = None) -> None:
        self._resources = resources
        self._cache: dict[tuple[ResourceType, str], Any] = {}
        self._opening: list[tuple[ResourceType, str]] = []  # being opened, innermost last
        self.config = config

    def find_type(self, name: str) -> ResourceType:
        """The type of the resource ``name`` (error if missing or ambiguous)."""
        types = [t for t, named in self._resources.items() if name in named]
        if not types:
            everything = [n for named in self._resources.values() for n in named]
            raise ResourceError(
                f"no resource named {name!r}{_notes(name, everything)}; declared: {self.names()}"
            )
        if len(types) > 1:
            raise ResourceError(
                f"resource name {name!r} is declared as {[t.value for t in types]}; "
                "pass the type to get_resource"
            )
        return types[0]

    def names(self) -> dict[str, list[str]]:
        """Declared resource names by type value."""
        return {t.value: sorted(n) for t, n in self._resources.items() if n}

    def get(self, name: str, resource_type: Any = None, ctx: Any = None) -> Any:
        """The resource ``name`` of ``resource_type`` (found by name when ``None``)."""
        if ctx is not None and self.config is None:
            self.config = ctx.config
        rtype = ResourceType(resource_type) if resource_type is not None else self.find_type(name)
        cached = self._cache.get((rtype, name))
        if cached is not None:
            return cached
        named = self._resources.get(rtype, {})
        if name not in named and rtype in (ResourceType.TOOL, ResourceType.PROMPT):
            served = self._mcp_tool(name) if rtype is ResourceType.TOOL else self._mcp_prompt(name)
            if served is not None:
                self._cache[(rtype, name)] = served
                return served
        if name not in named:
            asker = None
            if self._opening:  # a setup naming its connection, prompt or tools
                outer_type, outer = self._opening[-1]
                asker = f"named by {outer_type.value} {outer!r}"
            raise ResourceError(
                f"no {rtype.value} named {name!r}{_notes(name, named, asker)}; "
                f"declared: {self.names()}"
            )
        if (rtype, name) in self._opening:
            raise ResourceError(f"{rtype.value} {name!r} references itself while opening")
        self._opening.append((rtype, name))
        try:
            instance = self._build(rtype, name, named[name])
            if rtype is ResourceType.AGENT and getattr(instance, "name", "") is None:
                instance.name = name  # a sub-agent is named by its resource name
            open_ = getattr(instance, "open", None)
            if callable(open_) and not isinstance(instance, type):
                if _takes_one_arg(open_):
                    open_(self)
                elif hasattr(instance, "resource_context"):  # Flink Agents' contract
                    instance.resource_context = _FAResourceContext(self)
                    open_()
            bind = getattr(instance, "bind", None)
            if callable(bind):
                bind(self)
        finally:
            self._opening.remove((rtype, name))
        self._cache[(rtype, name)] = instance
        return instance

    def _mcp_tool(self, name: str) -> Any:
        """The tool ``name`` of a declared MCP server (declaration order), or the sub-agent
        tool ``_subagent_<agent>``, or ``None``."""
        agents = self._resources.get(ResourceType.AGENT, {})
        if name.startswith("_subagent_") and name[len("_subagent_") :] in agents:
            agent_name = name[len("_subagent_") :]
            return self.get(agent_name, ResourceType.AGENT).as_tool(agent_name)
        for server_name in self._resources.get(ResourceType.MCP_SERVER, {}):
            server = self.get(server_name, ResourceType.MCP_SERVER)
            found = server.get_tool(name) if callable(getattr(server, "get_tool", None)) else None
            if found is not None:
                with contextlib.suppress(AttributeError):  # the 0.4 ``mcp_server`` scope
                    found.mcp_server_name = server_name
                return found
        return None

    def _mcp_prompt(self, name: str) -> Any:
        """The prompt ``name`` of a declared MCP server (declaration order), or ``None``."""
        for server_name in self._resources.get(ResourceType.MCP_SERVER, {}):
            server = self.get(server_name, ResourceType.MCP_SERVER)
            find = getattr(server, "get_prompt_resource", None)
            found = find(name) if callable(find) else None
            if found is not None:
                return found
        return None

    def close(self) -> None:
        """Call ``close()`` on every resource fetched so far, newest first, and forget them.

        A resource that fails to close is logged and does not stop the others. A later
        :meth:`get` builds (or reopens) the resource again.
        """
        cached = list(self._cache.items())
        self._cache.clear()
        for (rtype, name), instance in reversed(cached):
            close = getattr(instance, "close", None)
            if not callable(close) or isinstance(instance, type):
                continue
            try:
                close()
            except Exception:
                logger.exception("closing %s %r failed", rtype.value, name)

    def _build(self, rtype: ResourceType, name: str, declaration: Any) -> Any:
        from flink_agents_runtime.chat._model import ResourceDescriptor
        from flink_agents_runtime.chat.tools._tool import Tool

        if rtype is ResourceType.TOOL and not isinstance(declaration, (Tool, ResourceDescriptor)):
            if not callable(declaration):
                raise ResourceError(f"tool {name!r} must be a Tool or a function: {declaration!r}")
            result = declaration() if _is_tool_factory(declaration) else None
            if isinstance(result, (Tool, ResourceDescriptor)):
                declaration = result
            else:
                return Tool.from_callable(declaration, name=name)
        instance = declaration() if _is_factory(declaration) else declaration
        if isinstance(instance, ResourceDescriptor):
            instance = instance.build()
        return instance


class _FAResourceContext:
    """Flink Agents' ``ResourceContext`` over a plan's resources."""

    def __init__(self, provider: PlanResources) -> None:
        self._provider = provider

    def get_resource(self, name: str, resource_type: Any = None, **kwargs: Any) -> Any:
        """The resource ``name`` (``type=`` accepted as Flink Agents' keyword)."""
        return self._provider.get(name, kwargs.get("type", resource_type))

    def generate_available_skills_prompt(self, *skill_names: str) -> str:
        """Skills are not provided by the kit: an empty prompt."""
        return ""

    def get_skill_dirs(self, *skill_names: str) -> list[str]:
        """Skills are not provided by the kit: no directories."""
        return []


def _notes(name: str, candidates: Any, asker: str | None = None) -> str:
    """`` (named by chat_model 'x'; did you mean 'y'?)``, or the parts that apply, or ``""``."""
    notes = [asker] if asker else []
    close = difflib.get_close_matches(name, [str(c) for c in candidates], n=1, cutoff=0.6)
    if close:
        notes.append(f"did you mean {close[0]!r}?")
    return f" ({'; '.join(notes)})" if notes else ""


def _takes_one_arg(func: Any) -> bool:
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return False
    return len(params) >= 1 and params[0].default is params[0].empty


def _is_tool_factory(func: Any) -> bool:
    """A zero-argument function annotated to return a Tool/descriptor (not a tool itself)."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return False
    ret = sig.return_annotation
    text = ret if isinstance(ret, str) else getattr(ret, "__name__", "")
    return not sig.parameters and any(w in str(text) for w in ("Tool", "ResourceDescriptor"))


def _is_factory(declaration: Any) -> bool:
    if not callable(declaration) or isinstance(declaration, type):
        return False
    if hasattr(declaration, "bind") or hasattr(declaration, "__call_resource__"):
        return False
    if hasattr(declaration, "open") or hasattr(declaration, "resource_type"):
        return False
    try:
        sig = inspect.signature(declaration)
    except (TypeError, ValueError):
        return False
    return all(
        p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in sig.parameters.values()
    )
