"""Events: a type string plus JSON-only attributes, with lineage.

As in Apache Flink Agents, an event is routed by its ``type`` string; its data lives in
``attributes``. Typed subclasses (``InputEvent``, ``OutputEvent``, user classes with an
``EVENT_TYPE``) are conveniences over the same shape, so an event read back from a log or
pickled across a Flink boundary is still the same thing.

Lineage (``id``, ``key``, ``upstream_event_id``, ``upstream_action_name``) is filled in by the
execution core when the event is sent; users never set it.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from flink_agents_runtime._display import DisplayMixin
from flink_agents_runtime._errors import AgentDefinitionError

E = TypeVar("E", bound="Event")

_LINEAGE = ("id", "key", "upstream_event_id", "upstream_action_name")


class Event(DisplayMixin):
    """An event: ``type`` routes it to actions, ``attributes`` carry its JSON-only data.

    ``Event(type="order_placed", attributes={"order_id": 7})`` or, with keyword attributes,
    ``Event(type="order_placed", order_id=7)``. A subclass with ``EVENT_TYPE = "..."`` may omit
    ``type``. Attributes read as attributes: ``event.order_id``.

    The event owns the ``attributes`` dict it is given (it is not copied). Attribute values
    are checked to be JSON-only when the event is sent (``ctx.send_event``).
    """

    EVENT_TYPE: ClassVar[str | None] = None

    __slots__ = ("attributes", "id", "key", "type", "upstream_action_name", "upstream_event_id")

    def __init__(
        self, type: str | None = None, attributes: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        event_type = type if type is not None else self.EVENT_TYPE
        if not isinstance(event_type, str) or not event_type:
            raise AgentDefinitionError(
                f"{self.__class__.__name__} needs a non-empty str event type "
                f"(got {event_type!r}): pass type='...' or set EVENT_TYPE on the class"
            )
        attrs = attributes if attributes is not None else {}
        if kwargs:
            attrs.update(kwargs)
        self.type = event_type
        self.attributes = attrs
        self.id: str | None = None
        self.key: Any = None
        self.upstream_event_id: str | None = None
        self.upstream_action_name: str | None = None

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails; guard dunders so pickle/copy work.
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            attrs = object.__getattribute__(self, "attributes")
        except AttributeError:
            raise AttributeError(name) from None
        try:
            return attrs[name]
        except KeyError:
            raise AttributeError(
                f"{self.__class__.__name__} of type {self.type!r} has no attribute {name!r} "
                f"(attributes: {sorted(attrs)})"
            ) from None

    def get_type(self) -> str:
        """The event type string (Flink Agents' name for ``.type``)."""
        return self.type

    def get_attr(self, name: str) -> Any:
        """The attribute ``name``, or ``None`` if it is absent."""
        return self.attributes.get(name)

    def set_attr(self, name: str, value: Any) -> None:
        """Set the attribute ``name`` (checked when the event is sent)."""
        self.attributes[name] = value

    @classmethod
    def from_event(cls: type[E], event: Event) -> E:
        """View ``event`` as this typed class, sharing its attributes and lineage.

        Raises :class:`AgentDefinitionError` if the class declares an ``EVENT_TYPE`` that
        differs from the event's type.
        """
        if isinstance(event, cls):
            return event
        if cls.EVENT_TYPE is not None and event.type != cls.EVENT_TYPE:
            raise AgentDefinitionError(
                f"cannot view an event of type {event.type!r} as {cls.__name__} "
                f"(EVENT_TYPE {cls.EVENT_TYPE!r})"
            )
        typed = cls.__new__(cls)
        typed.type = event.type
        typed.attributes = event.attributes
        for name in _LINEAGE:
            setattr(typed, name, getattr(event, name))
        return typed

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON-ready dict (type, id, attributes and lineage)."""
        return {
            "type": self.type,
            "id": self.id,
            "key": self.key,
            "attributes": self.attributes,
            "upstreamEventId": self.upstream_event_id,
            "upstreamActionName": self.upstream_action_name,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        """Rebuild a generic :class:`Event` from :meth:`to_dict` output."""
        event = Event(type=data["type"], attributes=dict(data.get("attributes") or {}))
        event.id = data.get("id")
        event.key = data.get("key")
        event.upstream_event_id = data.get("upstreamEventId")
        event.upstream_action_name = data.get("upstreamActionName")
        return event

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return (
            self.type == other.type and self.attributes == other.attributes and self.id == other.id
        )

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(type={self.type!r}, attributes={self.attributes!r})"

    def _mimebundle(self) -> dict[str, Any]:
        from flink_agents_runtime._display import bundle, short

        rows = [
            [name, short(value)]
            for name, value in (
                ("id", self.id),
                ("key", self.key),
                ("upstream event", self.upstream_event_id),
                ("upstream action", self.upstream_action_name),
            )
            if value is not None
        ]
        rows += [[f"attributes.{k}", short(v)] for k, v in self.attributes.items()]
        return bundle(f"{self.__class__.__name__} {self.type}", ["field", "value"], rows)

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (*_LINEAGE, "type", "attributes")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)


class InputEvent(Event):
    """The event the framework sends for each input record: ``attributes["input"]``."""

    EVENT_TYPE: ClassVar[str] = "_input_event"
    __slots__ = ()

    def __init__(self, input: Any) -> None:
        super().__init__(type=self.EVENT_TYPE, attributes={"input": input})

    @property
    def input(self) -> Any:
        """The input record's value."""
        return self.attributes["input"]


class OutputEvent(Event):
    """Sent by an action to emit an output of the agent: ``attributes["output"]``."""

    EVENT_TYPE: ClassVar[str] = "_output_event"
    __slots__ = ()

    def __init__(self, output: Any) -> None:
        super().__init__(type=self.EVENT_TYPE, attributes={"output": output})

    @property
    def output(self) -> Any:
        """The output value."""
        return self.attributes["output"]


def event_type_of(spec: str | type[Event]) -> str:
    """The type string for ``spec``: a string as is, or an Event class's ``EVENT_TYPE``."""
    if isinstance(spec, str):
        if not spec:
            raise AgentDefinitionError("an event type must be a non-empty string")
        return spec
    if isinstance(spec, type) and issubclass(spec, Event):
        if not spec.EVENT_TYPE:
            raise AgentDefinitionError(
                f"{spec.__name__} has no EVENT_TYPE; set EVENT_TYPE = '...' on the class"
            )
        return spec.EVENT_TYPE
    raise AgentDefinitionError(
        f"an action listens to event type strings or Event classes, got {spec!r}"
    )
