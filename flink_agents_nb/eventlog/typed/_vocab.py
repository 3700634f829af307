"""Typed decoders that learn the few values of a log's repeated string fields.

Job and task names, event types, action names, statuses: a log repeats a handful of values
in millions of records. Decoded as ``str`` each one is a new string object (made, later
replaced by one shared object, freed). Decoded as a ``Literal`` of the values seen so far,
msgspec returns the literal's own object: no string made, none to share or free (about 30%
less decoding and freeing for our own records). The values are learned from the chunks
decoded plainly: a chunk holding a value not seen yet fails the literal decoder and is
decoded plainly again, then its values are learned. A field with more than
:data:`MAX_VALUES` values stays ``str``; after :data:`MAX_RELEARN` new-value chunks of one
shape, the shape stays plain. Either way the structs hold the same values: only which
string objects they are differs.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any, Literal

import msgspec

from flink_agents_nb.eventlog.typed import _typed

#: A field keeps a ``Literal`` type while it has at most this many distinct values.
MAX_VALUES = 32
#: A shape stops learning after this many chunks had values not seen before.
MAX_RELEARN = 8

#: Per struct: its few-valued string fields (``str | None``, or ``str`` for entityType).
_FIELDS: dict[type, tuple[str, ...]] = {
    _typed.Ours: ("eventType", "actionName", "upstreamActionName", "status", "jobId",
                  "taskName"),
    _typed.Nested: ("eventType", "jobId", "taskName"),
    _typed.NestedEvent: ("eventType", "type"),
    _typed.Trace: ("entityType", "entityName", "status", "problemCategory", "jobId",
                   "taskName", "agentName"),
    _typed.TraceMeta: ("upstreamActionName", "model"),
}  # fmt: skip
#: Per shape: its top struct and the field holding a nested struct (learned too).
_SHAPES: dict[str, tuple[type, str | None, type | None]] = {
    "ours": (_typed.Ours, None, None),
    "nested": (_typed.Nested, "event", _typed.NestedEvent),
    "trace": (_typed.Trace, "entityMetadata", _typed.TraceMeta),
}


class Vocabulary:
    """The values learned in one read (all its files), and the decoders built from them."""

    def __init__(self) -> None:
        self._values: dict[type, dict[str, set[str] | None]] = {
            struct: {name: set() for name in names} for struct, names in _FIELDS.items()
        }
        self._decoders: dict[str, Callable[[memoryview], list[Any]] | None] = {}
        self._learned: dict[str, int] = {}
        self.scratch = _typed.Scratch()  # the read's reused file buffer

    def decode(self, kind: str, payload: memoryview) -> list[Any]:
        """The structs of shape ``kind`` in ``payload`` (JSON values one after another, as
        JSON Lines); raises what msgspec raises on the plain typed decoder."""
        literal = self._decoders.get(kind)
        if literal is not None:
            try:
                return literal(payload)
            except msgspec.ValidationError:  # a value not seen yet (or a wrong type)
                pass
        records = _typed.DECODERS[kind](payload)
        if self._learned.get(kind, 0) < MAX_RELEARN:
            self._learned[kind] = self._learned.get(kind, 0) + 1
            self._learn(kind, records)
        else:
            self._decoders[kind] = None
        return records

    def _learn(self, kind: str, records: list[Any]) -> None:
        top, inner_field, inner = _SHAPES[kind]
        self._note(top, records)
        if inner_field is not None and inner is not None:
            inner_records = [r for r in map(lambda r: getattr(r, inner_field), records) if r]
            self._note(inner, inner_records)
        inner_type = self._variant(inner, {}) if inner is not None else None
        replace = {}
        if inner_field is not None and inner_type is not None:
            replace[inner_field] = inner_type if kind == "nested" else inner_type | None
        self._decoders[kind] = msgspec.json.Decoder(self._variant(top, replace)).decode_lines

    def _note(self, struct: type, records: list[Any]) -> None:
        for name, seen in self._values[struct].items():
            if seen is None:
                continue
            seen.update(v for v in {getattr(r, name) for r in records} if type(v) is str)
            if len(seen) > MAX_VALUES:
                self._values[struct][name] = None

    def _variant(self, struct: Any, replace: dict[str, Any]) -> Any:
        """``struct`` with its learned fields as ``Literal`` types (same fields, order and
        defaults), and the types in ``replace``."""
        hints = typing.get_type_hints(struct, include_extras=True)
        fields: list[Any] = []
        for info in msgspec.structs.fields(struct):
            kind = replace.get(info.name, hints[info.name])
            seen = self._values.get(struct, {}).get(info.name)
            if seen:
                kind = Literal[tuple(sorted(seen))]
                if type(None) in typing.get_args(hints[info.name]):
                    kind = kind | None
            fields.append((info.name, kind) if info.required else (info.name, kind, info.default))
        config = struct.__struct_config__
        return msgspec.defstruct(
            struct.__name__,
            fields,
            kw_only=True,
            gc=False,
            forbid_unknown_fields=config.forbid_unknown_fields,
        )
