"""``tool.metadata`` of a tool whose parameter names pydantic does not take as field names
(``_id``, ``model_config``, ``schema``, a keyword): the argument schema keeps the names as
aliases, validates by them and round-trips through JSON."""

from __future__ import annotations

from flink_agents_runtime import Tool
from flink_agents_runtime.chat.tools._metadata import ToolMetadata


def find(_id: int, model_config: str, schema: str, order_id: int = 3) -> str:
    """Find a record.

    Args:
        _id: the record.
        model_config: which configuration.
        schema: which schema.
        order_id: the order.
    """
    return f"{_id}{model_config}{schema}{order_id}"


def test_metadata_takes_any_parameter_name() -> None:
    tool = Tool.from_callable(find)
    metadata = tool.metadata
    assert metadata.get_parameters_dict() == tool.parameters
    args = metadata.args_schema
    schema = args.model_json_schema()
    assert list(schema["properties"]) == ["_id", "model_config", "schema", "order_id"]
    assert schema["required"] == ["_id", "model_config", "schema"]
    assert schema["properties"]["_id"]["description"] == "the record."
    given = {"_id": 1, "model_config": "c", "schema": "s"}
    assert args.model_validate(given).model_dump(by_alias=True) == {**given, "order_id": 3}
    read_back = ToolMetadata.model_validate_json(metadata.model_dump_json())
    assert list(read_back.get_parameters_dict()["properties"]) == list(schema["properties"])


def test_a_keyword_and_a_dashed_name_too() -> None:
    parameters = {
        "type": "object",
        "properties": {"class": {"type": "string"}, "my-arg": {"type": "integer"}},
        "required": ["class"],
    }
    metadata = ToolMetadata(name="t", description="d", args_schema=parameters)
    made = metadata.args_schema.model_validate({"class": "a", "my-arg": 2})
    assert made.model_dump(by_alias=True) == {"class": "a", "my-arg": 2}
