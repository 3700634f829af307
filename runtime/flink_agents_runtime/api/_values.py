"""Pydantic models as values: recognised without importing pydantic.

Events, inputs, outputs and memory may hold instances of pydantic ``BaseModel`` classes
(Apache Flink Agents' events are pydantic models and carry them). Actions get the objects
themselves; event logs and other JSON writers get pydantic's JSON mode
(``model_dump(mode="json")``). The runtime does not depend on pydantic: a value is a model
when its class carries pydantic's serializer, so nothing here imports it.
"""

from __future__ import annotations

from typing import Any


def is_model(value: Any) -> bool:
    """Whether ``value`` is an instance of a pydantic model class, or of a kit class that
    dumps itself the same way (``_json_model = True`` and ``model_dump(mode="json")``,
    e.g. ``MemoryRef``)."""
    cls = type(value)
    return (
        hasattr(cls, "__pydantic_serializer__") or getattr(cls, "_json_model", False)
    ) and hasattr(cls, "model_dump")


def model_json(value: Any) -> Any:
    """A pydantic model as JSON-ready data (pydantic's JSON mode: dicts, lists, scalars)."""
    return value.model_dump(mode="json")


def json_default(value: Any) -> Any:
    """A ``default=`` hook for ``json.dumps``: pydantic models as their JSON-mode data.

    Raises ``TypeError`` for anything else, as ``json.dumps`` expects of its hook.
    """
    if is_model(value):
        return model_json(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
