"""A tool's metadata as Flink Agents gives it (``tool.metadata``): name, description and
the argument schema as a pydantic model class (``args_schema``), written as its JSON schema
and read back from one. pydantic is imported with this module, which the kit imports only
when ``tool.metadata`` is read or ported code imports the names.
"""

from __future__ import annotations

import keyword
from typing import Any

from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    create_model,
    field_serializer,
    model_validator,
)

_JSON_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "object": dict,
    "array": list,
}


def _field_name(prop: str, index: int) -> str:
    """A pydantic field name for the property ``prop``: itself when pydantic allows it,
    else ``field_<index>`` (the property stays its alias: ``_id``, ``model_config``,
    ``schema``, ``class``, ``my-arg``)."""
    usable = (
        prop.isidentifier()
        and not keyword.iskeyword(prop)
        and not prop.startswith(("_", "model_"))
        and not hasattr(BaseModel, prop)
    )
    return prop if usable else f"field_{index}"


def create_model_from_schema(name: str, schema: dict[str, Any]) -> type[BaseModel]:
    """A pydantic model class for a JSON-schema object's ``properties``: one field per
    property, aliased by the property's name (validation and JSON schema use it)."""
    required = set(schema.get("required") or [])
    fields: dict[str, Any] = {}
    for index, (prop, spec) in enumerate((schema.get("properties") or {}).items()):
        kind = _JSON_TYPES.get(spec.get("type"), Any)
        default = ... if prop in required else spec.get("default")
        field = Field(default, alias=prop, description=spec.get("description"))
        fields[_field_name(prop, index)] = (kind, field)
    return create_model(name, **fields)


class ToolMetadata(BaseModel):
    """A tool's name, description and argument schema (a pydantic model class, written as
    its JSON schema and read back from one)."""

    name: str
    description: str
    args_schema: Any
    _parameters: dict[str, Any] | None = PrivateAttr(default=None)  # a kit tool's own schema

    @field_serializer("args_schema")
    def _schema_out(self, schema: Any) -> Any:
        return schema if isinstance(schema, dict) else schema.model_json_schema()

    @model_validator(mode="before")
    @classmethod
    def _schema_in(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("args_schema"), dict):
            schema = data["args_schema"]
            data = {
                **data,
                "args_schema": create_model_from_schema(schema.get("title", "default"), schema),
            }
        return data

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ToolMetadata)
            and self.name == other.name
            and self.description == other.description
            and self.get_parameters_dict() == other.get_parameters_dict()
        )

    __hash__ = None  # type: ignore[assignment]

    def get_parameters_dict(self) -> dict[str, Any]:
        """The argument schema as JSON schema (a kit tool's schema as the model sees it)."""
        if self._parameters is not None:
            return dict(self._parameters)
        schema = self.args_schema
        if isinstance(schema, dict):
            return schema
        return dict(schema.model_json_schema())


def metadata_of(name: str, description: str, parameters: dict[str, Any]) -> ToolMetadata:
    """:class:`ToolMetadata` of a tool with this name, description and JSON-schema
    parameters (``get_parameters_dict()`` gives them back unchanged)."""
    metadata = ToolMetadata(
        name=name,
        description=description,
        args_schema=create_model_from_schema(name, parameters),
    )
    metadata._parameters = parameters
    return metadata
