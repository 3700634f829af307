"""Function references of a YAML agents file (``module:Qualified.name``) and the events an
action names.

A reference imports its module (running that module's top-level code, as any import
does) and walks attributes from it; nothing else of the file is executed. A walk through a
dunder attribute (``__globals__``, ``__class__``, ...) is refused, so a reference reaches
only names the module defines.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

from flink_agents_runtime._errors import AgentDefinitionError
from flink_agents_runtime.yamlagents._aliases import EVENT_ALIASES

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: What a condition expression has and an event type does not.
_EXPRESSION = re.compile(r"\s|==|!=|&&|\|\||[<>()!]")


class RefError(AgentDefinitionError):
    """A reference that does not resolve (the loader adds the file, the line and the
    entry to its message)."""


def resolve_function(ref: str | None) -> Callable[..., Any]:
    """The callable ``ref`` names: ``"pkg.module:func"`` or ``"pkg.module:Class.method"``.

    Raises :class:`RefError` saying what is wrong: a missing or malformed reference, a
    module that does not import, an attribute that is not there, a value not callable.
    """
    if not ref:
        raise RefError("'function' is required: 'module:qualified.name'")
    module_name, sep, qualname = ref.partition(":")
    if not sep or not module_name or not qualname or ":" in qualname:
        raise RefError(
            f"function {ref!r} must be 'module:qualified.name' (one colon between the module "
            "and the name inside it, e.g. 'my_pkg.actions:process_input' or "
            "'my_pkg.agents:MyAgent.process_input')"
        )
    parts = qualname.split(".")
    bad = [p for p in parts if not _IDENTIFIER.fullmatch(p) or p.startswith("__")]
    if bad:
        raise RefError(f"function {ref!r}: {bad[0]!r} is not a name a reference may walk")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise RefError(f"function {ref!r}: module {module_name!r} does not import: {exc}") from None
    walked = module_name
    for part in parts:
        try:
            target = getattr(target, part)
        except AttributeError:
            raise RefError(f"function {ref!r}: {walked!r} has no attribute {part!r}") from None
        walked = f"{walked}:{part}" if walked == module_name else f"{walked}.{part}"
    if not callable(target):
        raise RefError(f"function {ref!r} names a {type(target).__name__}, not a function")
    return target


def event_type(condition: str) -> str:
    """The event type a trigger condition names: an alias (``input``, ``chat_response``,
    ...), a quoted exact type (``"'order:created'"``) or a type as written.

    Raises :class:`RefError` for a condition expression (the kit routes by event type only)
    and for an empty entry.
    """
    text = condition.strip()
    if not text:
        raise RefError("a trigger condition is empty")
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    if _EXPRESSION.search(text):
        raise RefError(
            f"trigger condition {condition!r} is a condition expression; flink-agents-nb runs "
            "actions by event type only: name an event type (or an alias such as 'input'), "
            "and test attributes inside the action"
        )
    return EVENT_ALIASES.get(text, text)
