"""PyFlink ``RowTypeInfo`` output schemas (Flink Agents' second kind of output schema, next
to pydantic models): recognised and read without importing PyFlink.

A row type of basic fields (upstream supports the same: ``Types.STRING()``, ``INT()``, ...)
becomes a JSON schema of an object with those fields, all required; a validated answer is
built into a ``Row`` with the fields in the type's order (when PyFlink is loaded, as it is
wherever a ``RowTypeInfo`` was made or a Flink job runs; else the answer stays a dict).
"""

from __future__ import annotations

import sys
from typing import Any

from flink_agents_runtime._errors import ArgumentTypeError

#: PyFlink's basic type names -> JSON schema types.
_JSON_TYPES = {
    "String": "string",
    "Char": "string",
    "Boolean": "boolean",
    "Byte": "integer",
    "Short": "integer",
    "Integer": "integer",
    "Long": "integer",
    "BigInteger": "integer",
    "Float": "number",
    "Double": "number",
    "BigDecimal": "number",
}


def is_row_type_info(value: Any) -> bool:
    """Whether ``value`` is a PyFlink ``RowTypeInfo`` (recognised by name and module)."""
    cls = type(value)
    return cls.__name__ == "RowTypeInfo" and cls.__module__.startswith("pyflink")


def row_schema(row_type: Any) -> tuple[dict[str, Any], list[str]]:
    """``(json schema, field names)`` of a row type. Raises :class:`ArgumentTypeError`
    naming a field that is not of a basic type."""
    names = [str(n) for n in row_type.get_field_names()]
    properties: dict[str, Any] = {}
    for name, field_type in zip(names, row_type.get_field_types(), strict=True):
        basic = getattr(getattr(field_type, "_basic_type", None), "value", None)
        json_type = _JSON_TYPES.get(str(basic))
        if json_type is None:
            raise ArgumentTypeError(
                f"output schema {row_type}: field {name!r} of type {field_type} is not "
                f"supported; a RowTypeInfo schema takes basic types ({sorted(_JSON_TYPES)})"
            )
        properties[name] = {"type": json_type}
    schema = {"title": "Row", "type": "object", "properties": properties, "required": names}
    return schema, names


def make_row(fields: list[str], value: Any) -> Any:
    """``value`` (a dict of the answer) as a ``Row`` of ``fields``, in that order; ``value``
    unchanged when it is not a dict or PyFlink is not loaded."""
    module = sys.modules.get("pyflink.common.types") or sys.modules.get("pyflink.common")
    row_class = getattr(module, "Row", None)
    if row_class is None or not isinstance(value, dict):
        return value
    return row_class(**{name: value.get(name) for name in fields})
