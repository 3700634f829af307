"""Pydantic models as values: recognised without importing pydantic.

Events, inputs, outputs and memory may hold instances of pydantic ``BaseModel`` classes
(and PyFlink ``Row`` values, as Flink Agents' events may)
(Apache Flink Agents' events are pydantic models and carry them). Actions get the objects
themselves; event logs and other JSON writers get pydantic's JSON mode
(``model_dump(mode="json")``). The runtime does not depend on pydantic: a value is a model
when its class carries pydantic's serializer, so nothing here imports it.
"""

from __future__ import annotations

from typing import Any

from flink_agents_runtime._errors import ArgumentTypeError


def is_model(value: Any) -> bool:
    """Whether ``value`` is an instance of a pydantic model class, or of a kit class that
    dumps itself the same way (``_json_model = True`` and ``model_dump(mode="json")``,
    e.g. ``MemoryRef``)."""
    cls = type(value)
    return (
        hasattr(cls, "__pydantic_serializer__") or getattr(cls, "_json_model", False)
    ) and hasattr(cls, "model_dump")


def is_row(value: Any) -> bool:
    """Whether ``value`` is a PyFlink ``Row`` (recognised without importing PyFlink)."""
    cls = type(value)
    return cls.__name__ == "Row" and cls.__module__.startswith("pyflink")


def model_json(value: Any) -> Any:
    """A pydantic model (or kit model) as JSON-ready data (pydantic's JSON mode), or a
    PyFlink ``Row`` as Flink Agents writes it: ``{"type": "Row", "values": [...],
    "fields": [...]}`` (fields when the row has names)."""
    if is_row(value):
        out: dict[str, Any] = {"type": "Row", "values": list(value._values)}
        fields = getattr(value, "_fields", None)
        if fields:
            out["fields"] = list(fields)
        return out
    return value.model_dump(mode="json")


def json_default(value: Any) -> Any:
    """A ``default=`` hook for ``json.dumps``: pydantic models as their JSON-mode data.

    Raises ``TypeError`` for anything else, as ``json.dumps`` expects of its hook.
    """
    if is_model(value) or is_row(value):
        return model_json(value)
    raise ArgumentTypeError(f"Object of type {type(value).__name__} is not JSON serializable")
