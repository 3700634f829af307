"""Validation errors of events in Flink Agents' type.

Flink Agents' events are pydantic models, so a bad event raises pydantic's
``ValidationError``. The kit's events are plain objects (cheaper on the hot path), and the
runtime does not need pydantic; when pydantic is installed, :class:`EventValidationError` is
built as a subclass of both the kit's :class:`EventAttributeError` and pydantic's
``ValidationError``, so ``except ValidationError`` in ported code catches it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flink_agents_runtime._errors import AgentDefinitionError, EventAttributeError
from flink_agents_runtime.api._jsoncheck import check_json

_SCALARS = (str, int, float, bool, type(None))


@lru_cache(maxsize=1)
def _pydantic_error_class() -> type[Exception] | None:
    try:
        import pydantic_core
    except ImportError:
        return None

    class EventValidationError(
        pydantic_core.ValidationError, EventAttributeError, AgentDefinitionError
    ):
        """A bad event: the kit's EventAttributeError (and AgentDefinitionError) and pydantic's
        ``ValidationError``. ``path`` and ``value_type`` name the offending value."""

        path: str
        value_type: str

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            # pydantic builds the instance in __new__; the kit's __init__ must not run.
            pass

        def __str__(self) -> str:  # pydantic's rendering, which names the field
            return str(pydantic_core.ValidationError.__str__(self))

    EventValidationError.__module__ = __name__
    return EventValidationError


def event_validation_error(
    model: str, loc: tuple[str, ...], message: str, value: Any, path: str | None = None
) -> Exception:
    """The error for a bad event field: pydantic's ``ValidationError`` type when pydantic
    is installed (also an :class:`EventAttributeError`), else an EventAttributeError.

    Args:
        model: the event class name (pydantic's title).
        loc: the field's location (``("attributes", "order")``).
        message: what is wrong and what would be right.
        value: the offending value.
        path: the path named in :attr:`EventAttributeError.path` (default: ``loc`` joined).
    """
    where = path if path is not None else ".".join(loc)
    value_type = type(value).__name__
    cls = _pydantic_error_class()
    if cls is None:
        return EventAttributeError(message, path=where, value_type=value_type)
    error = cls.from_exception_data(  # type: ignore[attr-defined]
        model,
        [{"type": "value_error", "loc": loc, "input": value, "ctx": {"error": message}}],
    )
    error.path = where
    error.value_type = value_type
    return error


def check_attributes(model: str, event_type: str, attributes: dict[str, Any]) -> None:
    """Raise :func:`event_validation_error` unless every attribute is JSON-only or a
    pydantic model (the path is named as ``ctx.send_event`` names it)."""
    for name, value in attributes.items():
        if type(value) in _SCALARS:
            continue
        try:
            check_json(value, f"{event_type}.attributes.{name}")
        except EventAttributeError as exc:
            raise event_validation_error(
                model, ("attributes", str(name)), str(exc), value, path=exc.path
            ) from None
