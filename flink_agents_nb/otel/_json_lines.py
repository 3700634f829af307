"""OTLP JSON Lines (the OpenTelemetry file-exporter format) written straight from span specs.

One ``TracesData`` object a line (``resourceSpans`` > ``scopeSpans`` > ``spans``), ids as
lowercase hex, times as decimal strings of nanoseconds, enums as integers, status OK on
ended child spans: what ``encode_spans`` + protobuf's JSON give for the same spans (a test
parses both with opentelemetry-proto's ``TracesData`` and compares them).

Bulk speed: each span is laid out from byte templates, and every distinct attribute
(key, value) and span name is JSON-encoded once per export (msgspec, so escaping is
msgspec's), not once per span: a million-record log has a few hundred thousand spans but
few distinct names, actions, models and operations.

Text UTF-8 cannot carry (a lone surrogate, which ``json.loads`` gives for a ``\\ud83d``
escape) is written as U+FFFD (:func:`clean`), here and in the ids hashed from text
(:func:`utf8`): an export never stops on one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import msgspec
import numpy as np
from pandas.api.types import infer_dtype

from flink_agents_nb.otel._names import (
    EVENT_ID,
    EVENT_UPSTREAM_ID,
    EXECUTION_ID,
    INPUT_RUN_ID,
    SERVICE_NAME,
    UPSTREAM_IMPLIED,
)

_encode = msgspec.json.Encoder().encode
_SURROGATE = re.compile("[\ud800-\udfff]")
#: The instrumentation scope of the kit's spans: name, version, attributes (the export's
#: conventions the import relies on: :data:`._names.UPSTREAM_IMPLIED`).
SCOPE: tuple[str, str, dict[str, Any]] = ("flink_agents_nb", "0.4", {UPSTREAM_IMPLIED: True})
#: Spans per line (as the SDK exporter batches them).
BATCH = 2048


def clean(text: str) -> str:
    """``text`` with each surrogate code point (alone in a ``str``: UTF-8 has no encoding
    for one) replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {_cleaned(k): _cleaned(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_cleaned(v) for v in value]
    return value


def encode(value: Any) -> bytes:
    """``value`` as JSON (msgspec's), its strings' lone surrogates as U+FFFD."""
    try:
        return _encode(value)
    except UnicodeEncodeError:
        return _encode(_cleaned(value))


def utf8(text: str) -> bytes:
    """``text`` as UTF-8, its lone surrogates as U+FFFD (as :func:`encode` writes them)."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return clean(text).encode()


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
    return encode({"key": key, "value": _value(value)})


class _Column(dict[Any, bytes]):
    """One attribute key's fragments (``,{"key":...,"value":...}``) of values of one type,
    each encoded once; ``None`` (no attribute) lays out nothing."""

    def __init__(self, key: str) -> None:
        super().__init__({None: b""})
        self.key = key

    def __missing__(self, value: Any) -> bytes:
        out = b"," + attribute_json(self.key, value)
        if value == value:  # NaN never matches itself: not worth keeping
            self[value] = out
        return out


#: pandas' inferred kinds of values all of one type (``None`` and NaN aside).
_ONE_TYPE: dict[str, type] = {
    "string": str,
    "integer": int,
    "boolean": bool,
    "floating": float,
    "empty": str,
}


def column_type(values: np.ndarray) -> type | None:
    """The one type of an object array's values, ``None`` and NaN aside (``None``: several,
    or another), found at C speed (``infer_dtype``)."""
    return _ONE_TYPE.get(infer_dtype(values, skipna=True))


class Fragments:
    """JSON fragments of attributes and names, each distinct one encoded once per export:
    an attribute by key, type and value (``True``, ``1`` and ``1.0`` are equal dict keys:
    the type tells them apart), an id attribute (:data:`UNIQUE`, a string) laid out from
    its key's head."""

    def __init__(self) -> None:
        self.attributes: dict[tuple[str, type, Any], bytes] = {}
        self.columns: dict[tuple[str, type], _Column] = {}
        self.names: dict[str, bytes] = {}

    def attribute(self, key: str, value: Any) -> bytes:
        """One attribute as an OTLP ``KeyValue`` JSON object."""
        head = UNIQUE.get(key)
        if head is not None and type(value) is str:
            return head + encode(value) + b"}}"
        known = (key, type(value), value)
        try:
            return self.attributes[known]
        except KeyError:
            out = attribute_json(key, value)
            if value == value:  # NaN never matches itself: not worth keeping
                self.attributes[known] = out
            return out
        except TypeError:  # an unhashable value
            return attribute_json(key, value)

    def column(self, key: str, values: list[Any], kind: type | None) -> list[bytes]:
        """Per value, ``,`` and its attribute's JSON object; ``b""`` for ``None``.
        ``kind``: the one type of the values (:func:`column_type`), ``None``: several."""
        head = UNIQUE.get(key)
        if head is not None and kind is str:  # ids: each distinct, not worth keeping
            head = b"," + head
            try:
                return [b"" if v is None else head + _encode(v) + b"}}" for v in values]
            except UnicodeEncodeError:
                return [b"" if v is None else head + encode(v) + b"}}" for v in values]
        if kind is not None:
            memo = self.columns.get((key, kind))
            if memo is None:
                memo = self.columns[key, kind] = _Column(key)
            try:
                return [memo[v] for v in values]
            except TypeError:  # an unhashable value
                pass
        return [b"" if v is None else b"," + self.attribute(key, v) for v in values]

    def name(self, name: str) -> bytes:
        """A span's or span event's name as a JSON string."""
        out = self.names.get(name)
        if out is None:
            out = self.names[name] = encode(name)
        return out


def json_lines(specs: list[Any], service_name: str) -> Iterator[bytes]:
    """The OTLP JSON lines of ``specs`` (:class:`~._spans.SpanSpec`), :data:`BATCH` spans
    a line, each ending in ``\\n``."""
    fragments = Fragments()
    batches = (
        [_span(s, fragments) for s in specs[at : at + BATCH]] for at in range(0, len(specs), BATCH)
    )
    return lines_of(batches, service_name)


def lines_of(batches: Iterator[list[bytes]], service_name: str) -> Iterator[bytes]:
    """A ``TracesData`` line per batch of JSON span objects (one resource: ``service.name``,
    one scope: the kit's, :data:`SCOPE`)."""
    head = b'{"resourceSpans":[{"resource":%b,"scopeSpans":[{"scope":%b,"spans":[' % (
        encode({"attributes": [{"key": SERVICE_NAME, "value": {"stringValue": service_name}}]}),
        encode(
            {
                "name": SCOPE[0],
                "version": SCOPE[1],
                "attributes": [{"key": k, "value": _value(v)} for k, v in SCOPE[2].items()],
            }
        ),
    )
    tail = b"]}]}]}\n"
    for spans in batches:
        yield head + b",".join(spans) + tail


_ROOT = b'{"traceId":"%032x","spanId":"%016x","name":%b,"kind":%d,'
_CHILD = b'{"traceId":"%032x","spanId":"%016x","parentSpanId":"%016x","name":%b,"kind":%d,'
_REST = b'"startTimeUnixNano":"%d","endTimeUnixNano":"%d","attributes":[%b],%b"status":%b}'
_EVENT = b'{"timeUnixNano":"%d","name":%b,"attributes":[%b]}'


def _span(s: Any, fragments: Fragments) -> bytes:
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
        status = encode({"message": s.error, "code": 2})
    else:
        status = b'{"code":1}' if s.parent_id else b"{}"
    return head + _REST % (s.start_ns, s.end_ns, attrs, events, status)
