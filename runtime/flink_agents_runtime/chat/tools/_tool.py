"""Tools from Python callables: name, description and JSON schema from the signature and
docstring; arguments validated against the schema before the call.

Type hints map to JSON Schema: ``str`` string, ``int`` integer, ``float`` number, ``bool``
boolean, ``list[X]`` array, ``dict`` object, ``Literal[...]`` enum, ``X | None`` X (not
required when it has a default). Parameter descriptions come from a Google-style ``Args:``
section or ``:param name:`` lines; the tool description is the docstring's first paragraph.
"""

from __future__ import annotations

import inspect
import json
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from flink_agents_runtime._errors import ArgumentTypeError, ArgumentValueError
from flink_agents_runtime.api._agent import ResourceType
from flink_agents_runtime.api._injection import (
    INJECTED_MARK,
    InjectedArg,
    normalize_injected_args,
)
from flink_agents_runtime.chat._errors import ToolArgumentError

_SIMPLE = {str: "string", int: "integer", float: "number", bool: "boolean", dict: "object"}


def _schema_of(hint: Any) -> dict[str, Any]:
    if hint is inspect.Parameter.empty or hint is Any:
        return {}
    if hint in _SIMPLE:
        return {"type": _SIMPLE[hint]}
    if hint in (list, tuple):
        return {"type": "array"}
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        return _schema_of(rest[0]) if len(rest) == 1 else {}
    if origin in (list, tuple, set, frozenset):
        return {"type": "array", "items": _schema_of(args[0])} if args else {"type": "array"}
    if origin is dict:
        return {"type": "object"}
    return {}


def _doc_params(doc: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in re.finditer(r":param\s+(?:\w+\s+)?(\w+):\s*(.+)", doc):
        out[m.group(1)] = m.group(2).strip()
    section = re.search(r"^\s*(?:Args|Arguments|Parameters):\s*\n((?:\s+.+\n?)+)", doc, re.M)
    if section:
        for m in re.finditer(r"^\s+(\w+)\s*(?:\([^)]*\))?\s*:\s*(.+)$", section.group(1), re.M):
            out.setdefault(m.group(1), m.group(2).strip())
    # NumPy style (Flink Agents' docstrings): "Parameters\n----------\nname : type\n    text"
    numpy = re.search(
        r"^\s*Parameters\s*\n\s*-{3,}\s*\n(.*?)(?:\n\s*\n\s*\w+\s*\n\s*-{3,}|\Z)", doc, re.M | re.S
    )
    if numpy:
        for m in re.finditer(r"^(\w+)\s*(?::[^\n]*)?\n((?:[ \t]+\S.*\n?)+)", numpy.group(1), re.M):
            out.setdefault(m.group(1), " ".join(m.group(2).split()))
    return out


def _check_value(tool: str, name: str, value: Any, schema: dict[str, Any]) -> Any:
    """``value`` checked against ``schema``; returned as the call gets it: a whole number
    written as a float (``2.0``, as JSON Schema's ``integer`` allows and models write) becomes
    an ``int``, in arrays too."""

    def bad(expected: str) -> ToolArgumentError:
        return ToolArgumentError(
            f"tool {tool!r}: argument {name!r} must be {expected}, got {type(value).__name__} "
            f"{value!r}"
        )

    if "enum" in schema and value not in schema["enum"]:
        raise bad(f"one of {schema['enum']}")
    kind = schema.get("type")
    if kind == "string" and not isinstance(value, str):
        raise bad("a string")
    if kind == "integer":
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("an integer")
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise bad("a number")
    if kind == "boolean" and not isinstance(value, bool):
        raise bad("a boolean")
    if kind == "object" and not isinstance(value, dict):
        raise bad("an object")
    if kind == "array":
        if not isinstance(value, list):
            raise bad("an array")
        items = schema.get("items")
        if items:
            return [_check_value(tool, f"{name}[{i}]", v, items) for i, v in enumerate(value)]
    return value


class Tool:
    """A tool the model can call: ``name``, ``description``, JSON-schema ``parameters``.

    Subclass and implement :meth:`call`, or wrap a function with :meth:`from_callable`.
    """

    resource_type = ResourceType.TOOL
    #: Flink Agents' ``ToolType`` value (a str enum: ``tool.tool_type == ToolType.FUNCTION``).
    tool_type: ClassVar[str] = "function"

    def __init__(self, name: str, description: str, parameters: dict[str, Any]) -> None:
        self.name = name
        self.description = description
        self.parameters = parameters

    @property
    def metadata(self) -> Any:
        """Flink Agents' ``tool.metadata``: a ``ToolMetadata`` with this tool's name and
        description, ``args_schema`` a pydantic model of its parameters, and
        ``get_parameters_dict()`` giving :attr:`parameters` (what a user-written connection
        sends the model). Built on each read; imports pydantic."""
        from flink_agents_runtime.chat.tools._metadata import metadata_of

        return metadata_of(self.name, self.description, self.parameters)

    @staticmethod
    def from_callable(
        func: Callable[..., Any],
        name: str | None = None,
        description: str | None = None,
        injected_args: Mapping[str, Any] | None = None,
    ) -> FunctionTool:
        """A tool calling ``func``; see the module docstring for the schema rules
        (``injected_args``: see :class:`FunctionTool`)."""
        return FunctionTool(func, name=name, description=description, injected_args=injected_args)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """Run the tool with already validated arguments (the built-in tool action passes
        them by keyword; direct callers may pass them by position, as in Flink Agents)."""
        raise NotImplementedError

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The model's ``arguments`` checked against :attr:`parameters` (a new dict;
        whole-number floats for ``integer`` parameters become ints). A value the model wrote
        for an injected parameter is dropped: only the framework fills those.

        Raises :class:`ToolArgumentError` for a missing required argument, an unknown one,
        or a value of the wrong type, naming the tool and the argument.
        """
        injected = getattr(self, "injected_args", None) or ()
        if isinstance(arguments, dict) and any(a in injected for a in arguments):
            arguments = {a: v for a, v in arguments.items() if a not in injected}
        return self._checked(arguments)

    def _checked(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """:meth:`validate` keeping injected parameters' values (a direct ``call`` passes
        them itself, as the framework does in Flink Agents)."""
        if not isinstance(arguments, dict):
            raise ToolArgumentError(f"tool {self.name!r}: arguments must be an object")
        props = self.parameters.get("properties", {})
        required = self.parameters.get("required", [])
        missing = [r for r in required if r not in arguments]
        if missing:
            raise ToolArgumentError(f"tool {self.name!r}: missing required argument(s) {missing}")
        injected = getattr(self, "injected_args", None) or ()
        unknown = sorted(a for a in arguments if a not in props and a not in injected)
        if unknown and not self.parameters.get("additionalProperties", False):
            raise ToolArgumentError(
                f"tool {self.name!r}: unknown argument(s) {unknown}; it takes {sorted(props)}"
            )
        return {
            arg: _check_value(self.name, arg, value, props[arg]) if arg in props else value
            for arg, value in arguments.items()
        }

    def to_openai(self) -> dict[str, Any]:
        """The tool in OpenAI's ``tools`` request format."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, parameters={json.dumps(self.parameters)})"
        )


class FunctionTool(Tool):
    """A :class:`Tool` over a Python function.

    ``injected_args`` (with those of ``@tool(injected_args=...)``): parameters the
    framework fills (``chat.tools._injection``), left out of the schema the model sees.
    """

    def __init__(
        self,
        func: Callable[..., Any],
        name: str | None = None,
        description: str | None = None,
        injected_args: Mapping[str, Any] | None = None,
    ) -> None:
        if not callable(func):
            raise ArgumentTypeError(f"a tool wraps a callable, got {func!r}")
        self.func = func
        self.injected_args = _merged(
            getattr(func, INJECTED_MARK, {}),  # @tool's, checked when it marked func
            normalize_injected_args(injected_args, func),
            str(name or getattr(func, "__name__", "tool")),
        )
        doc = inspect.getdoc(func) or ""
        try:
            hints = typing.get_type_hints(func)
        except Exception:  # unresolvable annotations: fall back to none
            hints = {}
        params = _doc_params(doc)
        props: dict[str, Any] = {}
        required: list[str] = []
        extra = False
        for p in inspect.signature(func).parameters.values():
            if p.name in self.injected_args:
                continue
            if p.kind is p.VAR_KEYWORD:
                extra = True
                continue
            if p.kind is p.VAR_POSITIONAL:
                continue
            schema = _schema_of(hints.get(p.name, p.annotation))
            if p.name in params:
                schema["description"] = params[p.name]
            if p.default is p.empty:
                required.append(p.name)
            elif p.default is None or isinstance(p.default, (str, int, float, bool)):
                schema["default"] = p.default
            props[p.name] = schema
        parameters: dict[str, Any] = {"type": "object", "properties": props, "required": required}
        if extra:
            parameters["additionalProperties"] = True
        summary = doc.split("\n\n", 1)[0].strip().replace("\n", " ") if doc else ""
        super().__init__(
            str(name or getattr(func, "__name__", "tool")), description or summary, parameters
        )

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function with its arguments validated first (:meth:`Tool.validate`: a
        missing, unknown or wrongly typed argument is a :class:`ToolArgumentError` naming
        the tool and the argument; the function does not run). Positional arguments bind
        to the parameters in order, as Flink Agents' ``Tool.call`` allows."""
        if args:
            try:
                bound = inspect.signature(self.func).bind_partial(*args, **kwargs)
            except TypeError as exc:
                raise ToolArgumentError(f"tool {self.name!r}: {exc}") from None
            kwargs = dict(bound.arguments)
        return self.func(**self._checked(kwargs))


def _merged(
    marked: Mapping[str, InjectedArg], given: Mapping[str, InjectedArg], tool: str
) -> dict[str, InjectedArg]:
    """``@tool``'s injected parameters with those given to the tool; a parameter bound to
    two different sources raises :class:`ArgumentValueError` naming both (as Flink Agents'
    merge does), the same binding twice is one."""
    for name, spec in given.items():
        if name in marked and marked[name] != spec:
            raise ArgumentValueError(
                f"tool {tool!r}: injected parameter {name!r} is bound by @tool to "
                f"{_shown(marked[name])} and by injected_args to {_shown(spec)}; give it once"
            )
    return {**marked, **given}


def _shown(spec: InjectedArg) -> str:
    return f"{spec.source.value} {spec.key!r}"


def run_tool(
    tool: Tool, arguments: dict[str, Any], injected: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Validate the model's ``arguments`` and call with the framework's ``injected``
    parameter values over them; never raises: ``{"ok": bool, "content": JSON value or
    text}``.

    A validation error or an exception in the tool becomes ``ok: False`` with an
    ``"Error: ..."`` text, which the model sees as the tool's answer; an exception whose
    ``tool_answer`` is set (an MCP server's error result: its content items) gives that
    answer instead, still ``ok: False``.
    """
    try:
        result = tool.call(**{**tool.validate(arguments), **(injected or {})})
    except Exception as exc:
        answer = getattr(exc, "tool_answer", None)
        if answer is not None:
            return {"ok": False, "content": answer}
        return {"ok": False, "content": f"Error: {type(exc).__name__}: {exc}"}
    try:
        json.dumps(result)
    except (TypeError, ValueError):
        result = str(result)
    return {"ok": True, "content": result}
