"""Events: a type string plus JSON-only (or pydantic) attributes, with lineage.

As in Apache Flink Agents, an event is routed by its ``type`` string; its data lives in
``attributes``. Typed subclasses (``InputEvent``, ``OutputEvent``, user classes with an
``EVENT_TYPE``) are conveniences over the same shape, so an event read back from a log or
pickled across a Flink boundary is still the same thing.

Attribute values are JSON values or pydantic models; they are checked when the event is
built and by ``set_attr`` (a bad one raises an ``EventAttributeError`` naming the attribute
path, which is also pydantic's ``ValidationError`` when pydantic is installed, as Flink
Agents raises). Writing into ``event.attributes`` directly skips the check.

Ids: an event has an id as soon as it is built (``event.id``, a UUID4 string minted on first
read, as Flink Agents 0.4 does per occurrence; 0.3.1 derived ids from content). An event
whose id was never read gets a cheaper unique id from the execution core when it is sent
while records are kept, or when an action takes it (an output of an unrecorded run needs
none until it is read). Lineage (``key``,
``upstream_event_id``, ``upstream_action_name``) is filled in by the execution core when the
event is sent; users never set it.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, ClassVar, TypeVar

from flink_agents_runtime._display import DisplayMixin
from flink_agents_runtime._errors import AgentDefinitionError, ArgumentValueError
from flink_agents_runtime.api._validation import check_attributes, event_validation_error
from flink_agents_runtime.api._values import json_default

E = TypeVar("E", bound="Event")

_LINEAGE = ("id", "key", "upstream_event_id", "upstream_action_name")
_FIELD_DEFAULTS = "_fa_field_defaults"
_SCALARS = (str, int, float, bool, type(None))


class Event(DisplayMixin):
    """An event: ``type`` routes it to actions, ``attributes`` carry its data.

    ``Event(type="order_placed", attributes={"order_id": 7})`` or, with keyword attributes,
    ``Event(type="order_placed", order_id=7)``; the keyword ``id`` is the event's id (as
    Flink Agents' ``id`` field; a UUID is kept as its string), not an attribute. A subclass
    with ``EVENT_TYPE = "..."`` may omit ``type``; a subclass without one (Flink Agents 0.2's
    style) is typed by its qualified class name, and its annotated class fields with
    defaults are attribute defaults.
    Attributes read as attributes: ``event.order_id``.

    The event owns the ``attributes`` dict it is given (it is not copied). Values are JSON
    values or pydantic models, checked when the event is built.
    """

    EVENT_TYPE: ClassVar[str | None] = None
    #: Events may be attribute values of other events (as pydantic models may).
    _json_model: ClassVar[bool] = True

    __slots__ = ("_id", "attributes", "key", "type", "upstream_action_name", "upstream_event_id")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # 0.2-style fields (``value: int = 0``): a class attribute would shadow the
        # attribute lookup, so defaults move into a table applied at construction.
        defaults: dict[str, Any] = dict(getattr(cls, _FIELD_DEFAULTS, {}))
        for name in list(vars(cls).get("__annotations__", {})):
            if name.startswith("_") or name.isupper() or name in vars(Event):
                continue
            raw = vars(cls).get(name)
            if name in vars(cls) and not isinstance(raw, (property, staticmethod, classmethod)):
                if callable(raw):
                    continue
                defaults[name] = raw
                delattr(cls, name)
        setattr(cls, _FIELD_DEFAULTS, defaults)

    def __init__(
        self, type: str | None = None, attributes: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        cls = self.__class__
        event_type = type if type is not None else cls.EVENT_TYPE
        if event_type is None and cls is not Event:
            event_type = f"{cls.__module__}.{cls.__qualname__}"
        if not isinstance(event_type, str) or not event_type:
            raise event_validation_error(
                cls.__name__,
                ("type",),
                f"{cls.__name__} needs a non-empty str event type (got {event_type!r}): "
                "pass type='...' or set EVENT_TYPE on the class",
                event_type,
            )
        if attributes is None:
            attrs: dict[str, Any] = {}
        elif isinstance(attributes, dict):
            attrs = attributes
        else:
            raise event_validation_error(
                cls.__name__,
                ("attributes",),
                f"{cls.__name__} attributes must be a dict, got {attributes.__class__.__name__}",
                attributes,
            )
        defaults = getattr(cls, _FIELD_DEFAULTS, None)
        if defaults:
            for name, value in defaults.items():
                attrs.setdefault(name, value)
        event_id = None
        if kwargs:
            event_id = kwargs.pop("id", None)  # Flink Agents' ``id`` field, not an attribute
            attrs.update(kwargs)
        for value in attrs.values():  # scalars inline; anything else checked in full once
            if value.__class__ not in _SCALARS:  # (``type`` is the parameter here)
                check_attributes(cls.__name__, event_type, attrs)
                break
        self.type = event_type
        self.attributes = attrs
        self._id: str | None = None if event_id is None else _event_id(cls.__name__, event_id)
        self.key: Any = None
        self.upstream_event_id: str | None = None
        self.upstream_action_name: str | None = None

    @property
    def id(self) -> str:
        """The event's id: a UUID4 string, minted on first read (stable afterwards)."""
        value = self._id
        if value is None:
            value = self._id = str(uuid.uuid4())
        return value

    @id.setter
    def id(self, value: Any) -> None:
        self._id = None if value is None else str(value)

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
        """Set the attribute ``name`` (checked as at construction)."""
        check_attributes(self.__class__.__name__, self.type, {name: value})
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
        typed._id = event._id
        for name in _LINEAGE[1:]:
            setattr(typed, name, getattr(event, name))
        return typed

    def reconstruct_from(self: E, source: Event) -> E:
        """This event carrying ``source``'s id and lineage (Flink Agents 0.4)."""
        self._id = source._id
        self.key = source.key
        self.upstream_event_id = source.upstream_event_id
        self.upstream_action_name = source.upstream_action_name
        return self

    def to_dict(self) -> dict[str, Any]:
        """The event as a dict (type, id, attributes and lineage); pydantic attribute
        values stay objects (see :meth:`model_dump` for JSON mode)."""
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
        event.upstream_event_id = data.get("upstreamEventId") or data.get("upstream_event_id")
        event.upstream_action_name = data.get("upstreamActionName") or data.get(
            "upstream_action_name"
        )
        return event

    # -- Flink Agents' pydantic-style API ------------------------------------------------
    def model_dump(self, mode: str = "python", **_: Any) -> dict[str, Any]:
        """``{"id", "type", "attributes"}`` plus lineage when set (``upstreamEventId``,
        ``upstreamActionName``, as Flink Agents 0.4 names them). ``mode="json"`` turns
        pydantic attribute values into their JSON-mode data."""
        out: dict[str, Any] = {"id": self.id, "type": self.type, "attributes": self.attributes}
        if mode == "json":
            out["attributes"] = json.loads(json.dumps(self.attributes, default=json_default))
        if self.upstream_event_id is not None:
            out["upstreamEventId"] = self.upstream_event_id
        if self.upstream_action_name is not None:
            out["upstreamActionName"] = self.upstream_action_name
        return out

    def model_dump_json(self, **_: Any) -> str:
        """The event as JSON (:meth:`model_dump` in JSON mode); pydantic attribute values
        as pydantic's JSON."""
        return json.dumps(self.model_dump(), default=json_default, ensure_ascii=False)

    @classmethod
    def from_json(cls, json_str: str | bytes) -> Event:
        """An event from :meth:`model_dump_json` output (attributes come back as JSON data).

        Raises ``ValueError`` when ``type`` is missing or empty, as Flink Agents does.
        """
        data = json.loads(json_str)
        if not isinstance(data, dict) or not data.get("type"):
            raise ArgumentValueError("Event JSON must contain a non-empty 'type' field.")
        return cls.model_validate(data)

    @classmethod
    def model_validate(cls, data: dict[str, Any]) -> Event:
        """An event from a dict of :meth:`model_dump` shape (keys ``type``, ``attributes``,
        ``id``, lineage); other keys become attributes, as Flink Agents' extra fields."""
        if not isinstance(data, dict):
            raise event_validation_error(
                cls.__name__, (), f"expected a dict, got {type(data).__name__}", data
            )
        known = {"id", "type", "attributes", "key", "upstreamEventId", "upstreamActionName"}
        known |= {"upstream_event_id", "upstream_action_name"}
        attrs = dict(data.get("attributes") or {})
        attrs.update({k: v for k, v in data.items() if k not in known})
        event = Event(type=data.get("type"), attributes=attrs)
        if cls is not Event and cls.EVENT_TYPE in (None, event.type):
            event = cls.from_event(event)
        event.id = data.get("id")
        event.key = data.get("key")
        event.upstream_event_id = data.get("upstreamEventId") or data.get("upstream_event_id")
        event.upstream_action_name = data.get("upstreamActionName") or data.get(
            "upstream_action_name"
        )
        return event

    def model_copy(self: E, *, update: dict[str, Any] | None = None, deep: bool = False) -> E:
        """A copy (attributes copied; deep-copied with ``deep=True``); ``update`` sets
        ``id``, lineage or attributes by name."""
        import copy

        clone = copy.copy(self)
        clone.attributes = copy.deepcopy(self.attributes) if deep else dict(self.attributes)
        for name, value in (update or {}).items():
            if name in _LINEAGE or name == "type":
                setattr(clone, name, value)
            else:
                clone.attributes[name] = value
        return clone

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
                ("id", self._id),
                ("key", self.key),
                ("upstream event", self.upstream_event_id),
                ("upstream action", self.upstream_action_name),
            )
            if value is not None
        ]
        rows += [[f"attributes.{k}", short(v)] for k, v in self.attributes.items()]
        return bundle(f"{self.__class__.__name__} {self.type}", ["field", "value"], rows)

    def __getstate__(self) -> dict[str, Any]:
        state = {name: getattr(self, name) for name in (*_LINEAGE[1:], "type", "attributes")}
        state["_id"] = self._id
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "id" in state:  # pickled before ids became lazy
            state = {**state, "_id": state.pop("id")}
        for name, value in state.items():
            object.__setattr__(self, name, value)


class InputEvent(Event):
    """The event the framework sends for each input record: ``attributes["input"]``."""

    EVENT_TYPE: ClassVar[str] = "_input_event"
    __slots__ = ()

    def __init__(self, input: Any) -> None:
        # The framework builds one per input and checks the value itself: no re-check here.
        self.type = self.EVENT_TYPE
        self.attributes = {"input": input}
        self._id = None
        self.key = None
        self.upstream_event_id = None
        self.upstream_action_name = None

    @property
    def input(self) -> Any:
        """The input record's value."""
        return self.attributes["input"]


class OutputEvent(Event):
    """Sent by an action to emit an output of the agent: ``attributes["output"]``."""

    EVENT_TYPE: ClassVar[str] = "_output_event"
    __slots__ = ()

    def __init__(self, output: Any) -> None:
        attrs = {"output": output}
        if self.__class__ is not OutputEvent:  # a subclass may add fields and defaults
            super().__init__(type=self.EVENT_TYPE, attributes=attrs)
            return
        # What Event.__init__ does for this one attribute, without its general steps (an
        # echo agent builds one per input).
        if output.__class__ not in _SCALARS:
            check_attributes("OutputEvent", "_output_event", attrs)
        self.type = "_output_event"
        self.attributes = attrs
        self._id = None
        self.key = None
        self.upstream_event_id = None
        self.upstream_action_name = None

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
        if spec is Event:
            raise AgentDefinitionError(
                "Event has no EVENT_TYPE: an action cannot listen to Event itself; name an "
                "event type or a subclass"
            )
        # A class without EVENT_TYPE (Flink Agents 0.2 style) is typed by its qualified name.
        return spec.EVENT_TYPE or f"{spec.__module__}.{spec.__qualname__}"
    raise AgentDefinitionError(
        f"an action listens to event type strings or Event classes, got {spec!r}"
    )


def _event_id(model: str, value: Any) -> str:
    """``Event(id=...)``'s value as the event id: a :class:`uuid.UUID` or a UUID string (as
    Flink Agents validates its ``id: UUID`` field), in canonical form; anything else raises
    an :class:`EventAttributeError` naming ``id``."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    raise event_validation_error(
        model,
        ("id",),
        f"{model} id must be a uuid.UUID or a UUID string, got {type(value).__name__}",
        value,
    )
