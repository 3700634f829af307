"""OTLP JSON Lines (the OpenTelemetry file-exporter format) written straight from span specs.

One ``TracesData`` object a line (``resourceSpans`` > ``scopeSpans`` > ``spans``), ids as
lowercase hex, times as decimal strings of nanoseconds, enums as integers, status OK on
ended child spans: what ``encode_spans`` + protobuf's JSON give for the same spans (a test
parses both with opentelemetry-proto's ``TracesData`` and compares them).

Bulk speed: each span is laid out from byte templates, and every distinct attribute
(key, value) and span name is JSON-encoded once per export (msgspec, so escaping is
msgspec's), not once per span: a million-record log has a few hundred thousand spans but
few distinct names, actions, models and operations.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec

from flink_agents_nb.otel._names import (
    EVENT_ID,
    EVENT_UPSTREAM_ID,
    EXECUTION_ID,
    INPUT_RUN_ID,
    SERVICE_NAME,
)

encode = _encode = msgspec.json.Encoder().encode
#: Spans per line (as the SDK exporter batches them).
BATCH = 2048


def _value(value: Any) -> dict[str, Any]:
    """An attribute value as an OTLP ``AnyValue``."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    return {"stringValue": str(value)}


#: Attributes whose values are ids (strings), each on one span or span event: each laid
#: out from its key's encoded head (caching them would only fill memory).
UNIQUE = {
    key: b'{"key":%b,"value":{"stringValue":' % _encode(key)
    for key in (
        EVENT_ID,
        EVENT_UPSTREAM_ID,
        EXECUTION_ID,
        INPUT_RUN_ID,
    )
}


def attribute_json(key: str, value: Any) -> bytes:
    """One attribute as an OTLP ``KeyValue`` JSON object."""
    return _encode({"key": key, "value": _value(value)})


class _Fragments:
    """JSON fragments of attributes and names, each distinct one encoded once."""

    def __init__(self) -> None:
        self.attributes: dict[tuple[str, type, Any], bytes] = {}
        self.names: dict[str, bytes] = {}

    def attribute(self, key: str, value: Any) -> bytes:
        head = UNIQUE.get(key)
        if head is not None and type(value) is str:
            return head + _encode(value) + b"}}"
        known = (key, type(value), value)  # True and 1 are equal keys: the type tells them apart
        try:
            return self.attributes[known]
        except KeyError:
            out = attribute_json(key, value)
            if value == value:  # NaN never matches itself: not worth keeping
                self.attributes[known] = out
            return out
        except TypeError:  # an unhashable value
            return attribute_json(key, value)

    def name(self, name: str) -> bytes:
        out = self.names.get(name)
        if out is None:
            out = self.names[name] = _encode(name)
        return out


def json_lines(specs: list[Any], service_name: str) -> Iterator[bytes]:
    """The OTLP JSON lines of ``specs`` (:class:`~._spans.SpanSpec`), :data:`BATCH` spans
    a line, each ending in ``\\n``."""
    fragments = _Fragments()
    batches = (
        [_span(s, fragments) for s in specs[at : at + BATCH]] for at in range(0, len(specs), BATCH)
    )
    return lines_of(batches, service_name)


def lines_of(batches: Iterator[list[bytes]], service_name: str) -> Iterator[bytes]:
    """A ``TracesData`` line per batch of JSON span objects (one resource: ``service.name``,
    one scope: the kit)."""
    head = b'{"resourceSpans":[{"resource":%b,"scopeSpans":[{"scope":%b,"spans":[' % (
        _encode({"attributes": [{"key": SERVICE_NAME, "value": {"stringValue": service_name}}]}),
        _encode({"name": "flink_agents_nb", "version": "0.4"}),
    )
    tail = b"]}]}]}\n"
    for spans in batches:
        yield head + b",".join(spans) + tail


_ROOT = b'{"traceId":"%032x","spanId":"%016x","name":%b,"kind":%d,'
_CHILD = b'{"traceId":"%032x","spanId":"%016x","parentSpanId":"%016x","name":%b,"kind":%d,'
_REST = b'"startTimeUnixNano":"%d","endTimeUnixNano":"%d","attributes":[%b],%b"status":%b}'
_EVENT = b'{"timeUnixNano":"%d","name":%b,"attributes":[%b]}'


def _span(s: Any, fragments: _Fragments) -> bytes:
    kind = 1 if s.kind == "INTERNAL" else 3
    name = fragments.name(s.name)
    if s.parent_id:
        head = _CHILD % (s.trace_id, s.span_id, s.parent_id, name, kind)
    else:
        head = _ROOT % (s.trace_id, s.span_id, name, kind)
    attribute = fragments.attribute
    attrs = b",".join([attribute(k, v) for k, v in s.attributes.items()])
    events = b""
    if s.events:
        events = b'"events":[%b],' % b",".join(
            [
                _EVENT % (t, fragments.name(n), b",".join([attribute(k, v) for k, v in a.items()]))
                for n, t, a in s.events
            ]
        )
    if s.error:
        status = _encode({"message": s.error, "code": 2})
    else:
        status = b'{"code":1}' if s.parent_id else b"{}"
    return head + _REST % (s.start_ns, s.end_ns, attrs, events, status)
