"""Spans as columns (:class:`SpanTable`), as the trace log builder (:mod:`._trace_spans`)
makes them, laid out either as :class:`~._span_spec.SpanSpec` objects (the SDK's spans, for
OTLP/HTTP) or straight as OTLP JSON span objects (the JSON Lines file).

The JSON layout is the one :mod:`._json_lines` gives for the same SpanSpecs, byte for byte
(a test compares them): each attribute column's distinct values are encoded once, by type
(ids, all distinct, are laid out from their key's encoded head: see
:class:`._json_lines.Fragments`), a span's attributes are its columns' fragments joined,
and each span is one ``%`` template, so the Python work left per span is a handful of list
and bytes operations rather than a dict and a SpanSpec built and then walked attribute by
attribute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from flink_agents_nb.otel._json_lines import Fragments, column_type, encode
from flink_agents_nb.otel._span_spec import SpanSpec


@dataclass
class EventColumns:
    """Span events as columns: ``on``, the position in its :class:`SpanTable` of the span
    each sits on (in the order they are added to it); time in ns since the epoch, name
    (``str``), and attribute columns (as :attr:`SpanTable.columns`)."""

    on: np.ndarray
    times: list[int]
    names: list[str]
    columns: list[tuple[str, np.ndarray]]


@dataclass
class SpanTable:
    """One kind of span as columns, a row per span: ids (ints; ``parent_ids`` 0 for a root),
    name, start and end (ns since the epoch), the status message of a failed span
    (``None``: not failed), and the attribute columns in the order the span's attributes
    are written: ``(key, values)``, ``values`` an object array with ``None`` where the
    span has no such attribute (an id column's, :data:`._json_lines.UNIQUE`, strings).
    All spans are ``INTERNAL``; a table holds roots only or children only."""

    trace_ids: list[int]
    span_ids: list[int]
    parent_ids: list[int]
    names: list[str]
    starts: list[int]
    ends: list[int]
    errors: list[str | None]
    columns: list[tuple[str, np.ndarray]]
    events: EventColumns | None = None

    def __len__(self) -> int:
        return len(self.span_ids)


def _attributes(columns: list[tuple[str, np.ndarray]], n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{} for _ in range(n)]
    for key, values in columns:
        for attrs, value in zip(out, values.tolist(), strict=True):
            if value is not None:
                attrs[key] = value
    return out


def specs_of(table: SpanTable) -> list[SpanSpec]:
    """The table's spans as SpanSpecs, in row order, with their span events."""
    attrs = _attributes(table.columns, len(table))
    out = [
        SpanSpec(*fields)
        for fields in zip(
            table.trace_ids, table.span_ids, table.parent_ids, table.names,
            table.starts, table.ends, attrs, table.errors, strict=True,
        )
    ]  # fmt: skip
    events = table.events
    if events is not None and len(events.on):
        event_attrs = _attributes(events.columns, len(events.on))
        for on, name, time_ns, a in zip(
            events.on.tolist(), events.names, events.times, event_attrs, strict=True
        ):
            out[on].events.append((name, time_ns, a))
    return out


_ROOT = (
    b'{"traceId":"%032x","spanId":"%016x","name":%b,"kind":1,"startTimeUnixNano":"%d",'
    b'"endTimeUnixNano":"%d","attributes":[%b],%b"status":%b}'
)
_CHILD = (
    b'{"traceId":"%032x","spanId":"%016x","parentSpanId":"%016x","name":%b,"kind":1,'
    b'"startTimeUnixNano":"%d","endTimeUnixNano":"%d","attributes":[%b],%b"status":%b}'
)
_EVENT = b'{"timeUnixNano":"%d","name":%b,"attributes":[%b]}'


def object_array(values: list[Any]) -> np.ndarray:
    """``values`` as a 1-d object array (each value kept as is, sequences too)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _types(columns: list[tuple[str, np.ndarray]]) -> list[type | None]:
    return [column_type(values) for _, values in columns]


class TableJson:
    """Lays out a table's spans as OTLP JSON span objects, any rows at a time; the encoded
    fragments of names and attribute values (``fragments``) are shared by every call."""

    def __init__(self, table: SpanTable, fragments: Fragments) -> None:
        self.table, self.fragments = table, fragments
        self.types = _types(table.columns)  # (found once, not per call)
        n = len(table)
        self.ids = [
            object_array(ids) for ids in (table.trace_ids, table.span_ids, table.parent_ids)
        ]
        self.times = [np.asarray(t, dtype=np.int64) for t in (table.starts, table.ends)]
        self.name_json = object_array([fragments.name(name) for name in table.names])
        ok = b'{"code":1}' if n and table.parent_ids[0] else b"{}"
        self.status = object_array(
            [ok if not e else encode({"message": e, "code": 2}) for e in table.errors]
        )
        self.events = np.full(n, b"", dtype=object)
        events = table.events
        if events is not None and len(events.on):
            by_span = np.argsort(events.on, kind="stable")
            attrs = self._attributes(events.columns, by_span, _types(events.columns))
            objects = [
                _EVENT % (events.times[j], fragments.name(events.names[j]), a)
                for j, a in zip(by_span.tolist(), attrs, strict=True)
            ]
            counts = np.bincount(events.on, minlength=n)
            bounds = np.concatenate([[0], np.cumsum(counts)]).tolist()
            for r in np.flatnonzero(counts).tolist():
                self.events[r] = b'"events":[%b],' % b",".join(objects[bounds[r] : bounds[r + 1]])

    def _attributes(
        self, columns: list[tuple[str, np.ndarray]], rows: np.ndarray, types: list[type | None]
    ) -> list[bytes]:
        column = self.fragments.column
        parts = [
            column(key, values[rows].tolist(), kind)
            for (key, values), kind in zip(columns, types, strict=True)
        ]
        return [b"".join(row)[1:] for row in zip(*parts, strict=True)]

    def objects(self, rows: np.ndarray) -> list[bytes]:
        """The JSON span objects of the table's ``rows`` (positions), in that order (all
        roots, or all children: a table holds one kind)."""
        if not len(rows):
            return []
        attrs = self._attributes(self.table.columns, rows, self.types)
        trace, span, parent = (ids[rows].tolist() for ids in self.ids)
        start, end = (t[rows].tolist() for t in self.times)
        names, events = self.name_json[rows].tolist(), self.events[rows].tolist()
        status = self.status[rows].tolist()
        if parent[0]:
            fields = zip(trace, span, parent, names, start, end, attrs, events, status, strict=True)
            return [_CHILD % f for f in fields]
        fields = zip(trace, span, names, start, end, attrs, events, status, strict=True)
        return [_ROOT % f for f in fields]
