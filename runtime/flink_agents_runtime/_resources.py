"""Resolving ``ctx.get_resource(name, type)`` against a plan's declared resources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flink_agents_runtime._agent import ResourceType
from flink_agents_runtime._errors import ResourceError

if TYPE_CHECKING:
    from flink_agents_runtime._context import RunnerContext
    from flink_agents_runtime._plan import AgentPlan


class PlanResources:
    """Resources of one plan, built on first use and cached for the life of the core.

    A declaration is either an instance (used as is) or a zero-argument callable (a method
    marked ``@chat_model_setup``, ``@tool``, ...) whose result is the instance. An instance
    with a ``bind(provider)`` method is given the provider, so a chat-model setup can find
    its connection, prompt and tools by name.
    """

    def __init__(self, plan: AgentPlan) -> None:
        self._plan = plan
        self._cache: dict[tuple[ResourceType, str], Any] = {}

    def find_type(self, name: str) -> ResourceType:
        """The type of the resource ``name`` (error if missing or ambiguous)."""
        types = [t for t, named in self._plan.resources.items() if name in named]
        if not types:
            raise ResourceError(f"no resource named {name!r}; declared: {self.names()}")
        if len(types) > 1:
            raise ResourceError(
                f"resource name {name!r} is declared as {[t.value for t in types]}; "
                "pass the type to get_resource"
            )
        return types[0]

    def names(self) -> dict[str, list[str]]:
        """Declared resource names by type value."""
        return {t.value: sorted(n) for t, n in self._plan.resources.items() if n}

    def get(self, name: str, resource_type: Any = None, ctx: RunnerContext | None = None) -> Any:
        """The resource ``name`` of ``resource_type`` (found by name when ``None``)."""
        rtype = ResourceType(resource_type) if resource_type is not None else self.find_type(name)
        cached = self._cache.get((rtype, name))
        if cached is not None:
            return cached
        named = self._plan.resources.get(rtype, {})
        if name not in named:
            raise ResourceError(f"no {rtype.value} named {name!r}; declared: {self.names()}")
        declaration = named[name]
        instance = declaration() if _is_factory(declaration) else declaration
        bind = getattr(instance, "bind", None)
        if callable(bind):
            bind(self)
        self._cache[(rtype, name)] = instance
        return instance


def _is_factory(declaration: Any) -> bool:
    import inspect

    if not callable(declaration) or isinstance(declaration, type):
        return False
    if hasattr(declaration, "bind") or hasattr(declaration, "__call_resource__"):
        return False
    try:
        sig = inspect.signature(declaration)
    except (TypeError, ValueError):
        return False
    return all(
        p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in sig.parameters.values()
    )
