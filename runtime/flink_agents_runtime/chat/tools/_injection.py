"""Filling a tool call's injected parameters (Flink Agents 0.4's tool parameter
injection; the declarations are ``api._injection``): when the built-in tool action runs a
call it reads each value from the agent's configuration, the sensory memory or the
short-term memory of the calling key and passes it over any value the model wrote (so the
model cannot choose, say, another tenant). A value that is not there fails that call,
naming the tool, the parameter and the key or path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flink_agents_runtime._errors import ConfigError
from flink_agents_runtime.api._injection import (
    InjectedArg,
    ToolParameterSource,
    normalize_injected_args,
)
from flink_agents_runtime.chat._errors import ToolArgumentError

__all__ = [
    "InjectedArg",
    "ToolParameterSource",
    "injected_call",
    "normalize_injected_args",
    "resolve_injected",
]


def resolve_injected(tool: str, injected: Mapping[str, InjectedArg], ctx: Any) -> dict[str, Any]:
    """The injected parameters' values for a call of ``tool`` by the action context ``ctx``.

    Raises :class:`ToolArgumentError` naming the tool, the parameter and the config key or
    memory path when the value is not there (or is a memory object, not a value).
    """
    values: dict[str, Any] = {}
    for name, spec in injected.items():
        key = str(spec.key or name)
        where = f"tool {tool!r}: injected parameter {name!r}"
        if spec.source is ToolParameterSource.CONFIG:
            try:
                value = ctx.config.get(key)  # a declared option, or a user key (set_str)
            except ConfigError:
                value = None
            if value is None:
                raise ToolArgumentError(f"{where}: the agent configuration has no {key!r}")
            values[name] = value
            continue
        memory_name = spec.source.value
        memory = getattr(ctx, memory_name)
        if not memory.is_exist(key):
            raise ToolArgumentError(f"{where}: {memory_name} has no value at {key!r}")
        value = memory.get(key)
        if callable(getattr(value, "get_field_names", None)):
            raise ToolArgumentError(
                f"{where}: {memory_name} {key!r} is a memory object, not a value"
            )
        values[name] = value
    return values


def injected_call(
    tool: Any,
    arguments: dict[str, Any],
    ctx: Any,
    run: Callable[[Any, dict[str, Any], Mapping[str, Any]], Any],
) -> Callable[[], Any] | None:
    """``run(tool, arguments, injected)``: the model's ``arguments`` (what it wrote for an
    injected parameter is dropped by ``Tool.validate``) and the tool's injected parameter
    values read from ``ctx``, which the tool receives over them. When a value is not there,
    a failed outcome: the model reads the generic "Tool `name` execute failed." (as Flink
    Agents answers), the detail (the config key or memory path) goes to ``error``, the
    tool response event's diagnostic. ``None`` for a tool without injected parameters (the
    caller runs it as it is)."""
    injected = getattr(tool, "injected_args", None)
    if not injected:
        return None
    try:
        values = resolve_injected(tool.name, injected, ctx)
    except ToolArgumentError as exc:
        failure = {
            "ok": False,
            "content": f"Tool `{tool.name}` execute failed.",
            "error": f"{type(exc).__name__}: {exc}",
        }
        return lambda: failure
    return lambda: run(tool, arguments, values)
