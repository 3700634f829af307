"""Structured output: the answer a chat request expects, checked against a JSON schema.

An :class:`OutputSchema` wraps a pydantic model class (anything with ``model_json_schema``
and ``model_validate``) or a JSON schema dict. It travels in a ``ChatRequestEvent`` as JSON
(``to_json``): the schema itself plus the model's dotted name, so logs show what was
expected and no code is run to read it back.

:func:`parse_structured` reads the model's final text (a fenced ```` ```json ```` block is
unwrapped, as upstream does) and checks it against the schema with a small validator of the
JSON Schema subset pydantic emits: ``type`` (also a list of types), ``properties``,
``required``, ``additionalProperties: false``, ``items``, ``enum``, ``const``, ``anyOf`` /
``oneOf``, ``allOf``, ``$ref`` into ``$defs``/``definitions``, ``minimum``/``maximum``,
``exclusiveMinimum``/``exclusiveMaximum``, ``minLength``/``maxLength``,
``minItems``/``maxItems``. Other keywords are ignored. A violation raises
:class:`StructuredOutputError` naming the JSON path (``$.labels[1]``), what was expected and
what came.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from flink_agents_runtime._errors import ArgumentTypeError
from flink_agents_runtime.chat._errors import ChatModelError
from flink_agents_runtime.chat._message import ChatMessage, MessageRole
from flink_agents_runtime.chat._row_schema import is_row_type_info, make_row, row_schema

logger = logging.getLogger(__name__)

#: The key of the validated value in a response's ``extra_args`` (Flink Agents' name).
STRUCTURED_OUTPUT = "structured_output"

_FENCE = re.compile(r"(?s)^```(?:json)?\s*(.*?)\s*```$")
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


class StructuredOutputError(ChatModelError):
    """The model's final answer is not valid JSON or does not match the output schema.

    Attributes:
        path: the JSON path of the first violation (``$`` for the whole answer).
    """

    retryable = False

    def __init__(self, message: str, path: str = "$") -> None:
        super().__init__(message)
        self.path = path


class OutputSchema:
    """The expected answer of a chat request: a pydantic model class or a JSON schema.

    Args:
        output_schema: a pydantic ``BaseModel`` subclass, a JSON schema dict, a PyFlink
            ``RowTypeInfo`` of basic fields (answers are built into ``Row``s), or another
            :class:`OutputSchema` (returned unchanged by :meth:`coerce`).

    Raises ``TypeError`` for anything else (Flink Agents raises the same for an
    unsupported schema).
    """

    def __init__(self, output_schema: Any) -> None:
        if isinstance(output_schema, OutputSchema):
            output_schema = output_schema.output_schema
        self.output_schema: Any = output_schema
        self.row_fields: list[str] | None = None
        self.model: type | None = None
        self.json_schema: dict[str, Any]
        if is_row_type_info(output_schema):
            self.json_schema, self.row_fields = row_schema(output_schema)
            self.name = str(output_schema)
        elif isinstance(output_schema, type) and callable(
            getattr(output_schema, "model_json_schema", None)
        ):
            self.model = output_schema
            self.json_schema = output_schema.model_json_schema()  # type: ignore[attr-defined]
            self.name = f"{output_schema.__module__}.{output_schema.__qualname__}"
        elif isinstance(output_schema, Mapping):
            self.json_schema = dict(output_schema)
            self.name = str(output_schema.get("title") or "json schema")
        else:
            raise ArgumentTypeError(
                f"output schema {output_schema!r} is not supported: pass a pydantic model "
                "class, a JSON schema dict or a RowTypeInfo"
            )

    @classmethod
    def coerce(cls, value: Any) -> OutputSchema | None:
        """``None`` stays ``None``; a dict written by :meth:`to_json` is read back (its
        ``json_schema``); anything else goes through the constructor."""
        if value is None or isinstance(value, OutputSchema):
            return value
        if isinstance(value, Mapping) and "json_schema" in value and "name" in value:
            schema = cls(dict(value["json_schema"]))
            schema.name = str(value["name"])
            if value.get("row_fields") is not None:
                schema.row_fields = [str(f) for f in value["row_fields"]]
            return schema
        return cls(value)

    def to_json(self) -> dict[str, Any]:
        """``{"name", "json_schema"}`` (and ``row_fields`` for a row type): what a request
        event carries."""
        data: dict[str, Any] = {"name": self.name, "json_schema": self.json_schema}
        if self.row_fields is not None:
            data["row_fields"] = list(self.row_fields)
        return data

    def instruction(self) -> str:
        """The system instruction that asks the model for this format."""
        return (
            "The final response should be in JSON format and match this JSON schema: "
            + json.dumps(self.json_schema, sort_keys=True)
        )

    def build(self, value: Any) -> Any:
        """``value`` as the pydantic model when there is one (``model_validate``), as a
        ``Row`` for a row type, else as is. Raises :class:`StructuredOutputError` when the
        model rejects it."""
        if self.row_fields is not None:
            return make_row(self.row_fields, value)
        if self.model is None:
            return value
        try:
            return self.model.model_validate(value)  # type: ignore[attr-defined]
        except Exception as exc:
            raise StructuredOutputError(
                f"structured output does not validate as {self.name}: {exc}"
            ) from exc

    def __repr__(self) -> str:
        return f"OutputSchema({self.name})"


def parse_structured(text: str, schema: OutputSchema) -> Any:
    """The JSON value in ``text`` checked against ``schema`` (see the module docstring).

    Raises :class:`StructuredOutputError` for text that is not JSON or a value that
    violates the schema.
    """
    trimmed = (text or "").strip()
    fenced = _FENCE.match(trimmed)
    if fenced:
        trimmed = fenced.group(1)
    try:
        value = json.loads(trimmed)
    except json.JSONDecodeError as exc:
        raise StructuredOutputError(
            f"the answer is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            f"{schema.name} expects a JSON value: {_short(text)}"
        ) from None
    problem = check_schema(value, schema.json_schema, schema.json_schema, "$")
    if problem is not None:
        path, message = problem
        raise StructuredOutputError(f"the answer does not match {schema.name}: {message}", path)
    return value


def _short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _is(value: Any, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES.get(kind, (object,)))


def _resolve(ref: str, root: Mapping[str, Any]) -> Mapping[str, Any]:
    if not ref.startswith("#/"):
        return {}
    node: Any = root
    for part in ref[2:].split("/"):
        node = node.get(part, {}) if isinstance(node, Mapping) else {}
    return node if isinstance(node, Mapping) else {}


def check_schema(
    value: Any, schema: Mapping[str, Any], root: Mapping[str, Any], path: str
) -> tuple[str, str] | None:
    """The first violation as ``(path, message)``, or ``None`` when ``value`` matches."""
    if "$ref" in schema:
        return check_schema(value, _resolve(str(schema["$ref"]), root), root, path)
    for sub in schema.get("allOf") or []:
        problem = check_schema(value, sub, root, path)
        if problem:
            return problem
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        problems = [check_schema(value, sub, root, path) for sub in options]
        if all(problems):
            deepest = max(problems, key=lambda p: len(p[0]) if p else 0)
            assert deepest is not None
            if deepest[0] != path:
                return deepest
            return path, f"{path} matches none of the allowed forms, got {_short(value)}"
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_is(value, k) for k in kinds):
            return path, f"{path} must be {' or '.join(map(str, kinds))}, got {_short(value)}"
    if "enum" in schema and value not in schema["enum"]:
        return path, f"{path} must be one of {schema['enum']}, got {_short(value)}"
    if "const" in schema and value != schema["const"]:
        return path, f"{path} must be {schema['const']!r}, got {_short(value)}"
    problem = _check_bounds(value, schema, path)
    if problem:
        return problem
    if isinstance(value, dict):
        return _check_object(value, schema, root, path)
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for i, item in enumerate(value):
            problem = check_schema(item, schema["items"], root, f"{path}[{i}]")
            if problem:
                return problem
    return None


def _check_bounds(value: Any, schema: Mapping[str, Any], path: str) -> tuple[str, str] | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        for key, bad in (
            ("minimum", lambda lim: value < lim),
            ("maximum", lambda lim: value > lim),
            ("exclusiveMinimum", lambda lim: value <= lim),
            ("exclusiveMaximum", lambda lim: value >= lim),
        ):
            if key in schema and bad(schema[key]):
                return path, f"{path} violates {key} {schema[key]}, got {value!r}"
    sized = value if isinstance(value, (str, list)) else None
    if sized is not None:
        unit = "minLength", "maxLength"
        if isinstance(value, list):
            unit = "minItems", "maxItems"
        if unit[0] in schema and len(sized) < schema[unit[0]]:
            return path, f"{path} violates {unit[0]} {schema[unit[0]]}, got {_short(value)}"
        if unit[1] in schema and len(sized) > schema[unit[1]]:
            return path, f"{path} violates {unit[1]} {schema[unit[1]]}, got {_short(value)}"
    return None


def _check_object(
    value: dict[str, Any], schema: Mapping[str, Any], root: Mapping[str, Any], path: str
) -> tuple[str, str] | None:
    props = schema.get("properties") or {}
    missing = [name for name in schema.get("required") or [] if name not in value]
    if missing:
        return path, f"{path} is missing required field(s) {missing}"
    if schema.get("additionalProperties") is False:
        extra = sorted(k for k in value if k not in props)
        if extra:
            return path, f"{path} has unknown field(s) {extra}; allowed: {sorted(props)}"
    for name, sub in props.items():
        if name in value and isinstance(sub, Mapping):
            problem = check_schema(value[name], sub, root, f"{path}.{name}")
            if problem:
                return problem
    return None


def check_structured_answer(
    ctx: Any,
    request_id: str,
    state: dict[str, Any],
    response: ChatMessage,
    model_name: str,
    retries: int,
) -> dict[str, Any] | None:
    """Validate the final answer against the request's output schema.

    Valid: the value goes to ``response.extra_args["structured_output"]`` and ``None`` is
    returned. Invalid with retries left (``max-retries`` under the ``retry`` strategy, as
    upstream): the state for one more model call, whose conversation ends with the invalid
    answer and a user message naming the violation (so a model can correct itself).
    Invalid otherwise: :class:`StructuredOutputError` naming the request, model, schema and
    JSON path. Counter ``model.<model>.structuredOutputRetries`` counts the re-asks.
    """
    schema = OutputSchema.coerce(state["output_schema"])
    assert schema is not None
    try:
        response.extra_args[STRUCTURED_OUTPUT] = parse_structured(response.content, schema)
        return None
    except StructuredOutputError as exc:
        used = int(state.get("schema_retries") or 0)
        if used >= retries:
            raise StructuredOutputError(
                f"chat request {request_id} to model {model_name!r} (key {ctx.key!r}): {exc}"
                + (f" (after {used} re-asks)" if used else ""),
                exc.path,
            ) from exc
        ctx.action_metric_group.get_sub_group("model", model_name).get_counter(
            "structuredOutputRetries"
        ).inc()
        logger.warning(
            "chat request %s: invalid structured output (%s); re-asking", request_id, exc
        )
        correction = ChatMessage(
            MessageRole.USER,
            f"Your answer was not accepted: {exc}. Answer again with only the JSON value.",
        )
        return {
            **state,
            "messages": [*state["messages"], response.to_dict(), correction.to_dict()],
            "schema_retries": used + 1,
        }
