"""Pydantic models as values: recognised without importing pydantic.

Events, inputs, outputs and memory may hold instances of pydantic ``BaseModel`` classes
(and PyFlink ``Row`` values, as Flink Agents' events may)
(Apache Flink Agents' events are pydantic models and carry them). Actions get the objects
themselves; event logs and other JSON writers get pydantic's JSON mode
(``model_dump(mode="json")``). The runtime does not depend on pydantic: a value is a model
when its class carries pydantic's serializer, so nothing here imports it.

:func:`crossed` gives a value as Apache Flink Agents hands an output downstream on Flink
(after its events' JSON crossing to Java and back); the Flink driver's outputs leave so.
"""

from __future__ import annotations

import enum
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


_PLAIN = (str, int, bool, type(None))


def crossed(value: Any, rows: bool = True) -> Any:
    """``value`` as Apache Flink Agents hands a Python agent's output downstream on Flink.

    There every event crosses to Java and back as JSON (pydantic's JSON mode, a ``Row`` as
    ``{"type": "Row", ...}``, rebuilt on the way back), so what ``to_datastream()`` gets is
    that JSON read again: a pydantic model becomes its JSON-mode dict, tuples lists, a
    non-finite float ``None`` (pydantic writes ``null``), a ``Row`` stays a ``Row`` of
    crossed values with its field names (a ``Row`` inside a ``Row`` stays the
    ``{"type": "Row", ...}`` dict: Flink Agents rebuilds rows in dicts and lists only).
    JSON values come back equal (the same object when nothing in them changes). Takes what
    event attributes may hold (``check_json``); ``rows=False``: rows as their JSON dict.
    """
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is float:
        return value if value - value == 0.0 else None  # nan - nan, inf - inf are nan
    if kind is dict:
        if _settled(value):
            return value
        return {k: crossed(v, rows) for k, v in value.items()}
    if kind is list:
        return value if _settled(value) else [crossed(v, rows) for v in value]
    if kind is tuple:
        return [crossed(v, rows) for v in value]
    if is_row(value):
        if not rows:
            return crossed(model_json(value), False)
        values = [crossed(v, False) for v in value._values]
        fields = getattr(value, "_fields", None)
        return kind(**dict(zip(fields, values, strict=False))) if fields else kind(*values)
    if is_model(value):
        return crossed(value.model_dump(mode="json"), rows)
    return _crossed_subclass(value, rows)


def _settled(value: Any) -> bool:
    """Whether :func:`crossed` leaves ``value`` as it is: exact ``str``/``int``/``bool``/
    ``None``, finite floats, and dicts and lists of those (no tuples, rows or models)."""
    kind = type(value)
    if kind in _PLAIN:
        return True
    if kind is float:
        return value - value == 0.0
    if kind is dict:
        return all(_settled(v) for v in value.values())
    if kind is list:
        return all(_settled(v) for v in value)
    return False


def crossed_all(values: list[Any]) -> list[Any]:
    """:func:`crossed` of each value (a Flink run's outputs): the same list when nothing in
    it changes (strings, numbers, plain JSON), so the common case allocates nothing."""
    out: list[Any] | None = None
    for i, value in enumerate(values):
        new = crossed(value)
        if out is None and new is not value:
            out = list(values[:i])
        if out is not None:
            out.append(new)
    return values if out is None else out


def _crossed_subclass(value: Any, rows: bool) -> Any:
    """Subclasses of JSON types (``IntEnum``, ``OrderedDict``, a ``str`` enum) as their
    JSON value; anything else unchanged."""
    if isinstance(value, enum.Enum):
        return crossed(value.value, rows)
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return crossed(base(value), rows)
    if isinstance(value, dict):
        return {str(k): crossed(v, rows) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [crossed(v, rows) for v in value]
    return value
