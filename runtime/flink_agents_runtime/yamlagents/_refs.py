"""Function references of a YAML agents file (``module:Qualified.name``) and the events an
action names.

A reference is read as Flink Agents' :class:`PythonFunction` descriptor (``module``,
``qualname``) and resolved by it (:meth:`PythonFunction.as_callable`, the kit's one
resolver): its module imported (running that module's top-level code, as any import does),
attributes walked from it (a name the module imported too, as in Flink Agents), never
through a dunder (``__globals__``, ...); nothing else of the file is executed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flink_agents_runtime._errors import AgentDefinitionError
from flink_agents_runtime.compat._names import PythonFunction
from flink_agents_runtime.yamlagents._aliases import EVENT_ALIASES

#: What a condition expression has and an event type does not.
_EXPRESSION = re.compile(r"\s|==|!=|&&|\|\||[<>()!]")


class RefError(AgentDefinitionError):
    """A function reference or trigger condition written wrongly (the builder adds the
    file, the line and the entry to its message)."""


def resolve_function(ref: str | None) -> Callable[..., Any]:
    """The callable ``ref`` names: ``"pkg.module:func"`` or ``"pkg.module:Class.method"``.

    Raises :class:`AgentDefinitionError` saying what is wrong: a missing or malformed
    reference (:class:`RefError`), then what :meth:`PythonFunction.as_callable` refuses (a
    name it may not walk, a module that does not import, an attribute that is not there, a
    value not callable).
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
    return PythonFunction(module=module_name, qualname=qualname).as_callable()


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
