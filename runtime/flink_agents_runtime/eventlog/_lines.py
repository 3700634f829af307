"""The event-log record format as typed structs, and how records become JSON lines.

Record format (JSON Lines, flat, camelCase; the contract with readers and the stepper):

- event record (:class:`EventLine`), one per event sent (the framework's input event
  included)::

    {"timestamp", "logLevel", "recordType": "event", "eventId", "eventType",
     "upstreamEventId", "upstreamActionName", "eventAttributes", "key", "seq", "inputSeq",
     "jobId", "taskName", "subtaskIndex"}

- action record (:class:`ActionLine`), one per action attempt that ended::

    {"timestamp" (start), "logLevel", "recordType": "action", "actionName", "eventId",
     "eventType" (of the handled event), "key", "seq", "inputSeq", "durationNs", "status",
     "attempt", "error", "sentEventIds", "memoryWrites": [{"memory", "path", "value"}],
     "jobId", "taskName", "subtaskIndex"}

``timestamp`` is UTC ISO-8601 with microseconds and ``Z``.

Records are msgspec structs because the file logger keeps them pending as they are and
encodes a whole batch in one ``encode_lines`` call (about half the cost of a dict and a
``dumps`` per record; see ``benchmarks/bench_eventlog.py``). Whatever a struct holds must
not change once it is built: mutable values (attributes, memory values) go in already
encoded, as :class:`msgspec.Raw`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from flink_agents_runtime.api._values import is_model, is_row, model_json
from flink_agents_runtime.eventlog._pretty import jackson_pretty


def _default(value: Any) -> Any:
    """Fallback for values JSON cannot hold: a pydantic model as pydantic's JSON-mode data;
    sets as lists; other mappings (an event log's lazily decoded attributes) as dicts; odd
    key types and other objects as str."""
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    if is_model(value) or is_row(value):
        try:
            return model_json(value)
        except Exception:
            return str(value)
    return str(value)


_ENCODER = msgspec.json.Encoder(enc_hook=_default)
_encode = _ENCODER.encode
_DECODER = msgspec.json.Decoder()
#: What msgspec raises on values it cannot encode (lone surrogates: ``UnicodeEncodeError``).
_ENCODE_ERRORS = (TypeError, ValueError, OverflowError, msgspec.EncodeError)

Raw = msgspec.Raw


class EventLine(msgspec.Struct, rename="camel", gc=False):
    """An event record. ``event_attributes`` is :class:`Raw` (encoded when the event was
    sent, STANDARD truncation applied)."""

    timestamp: str
    log_level: str
    record_type: str
    event_id: Any
    event_type: Any
    upstream_event_id: Any
    upstream_action_name: Any
    event_attributes: Any
    key: Any
    seq: int
    input_seq: int
    job_id: str
    task_name: str
    subtask_index: int


class ActionLine(msgspec.Struct, rename="camel", gc=False):
    """An action record. ``sent_event_ids`` is a list of str or ``()``; ``memory_writes`` is
    ``()`` or :class:`Raw` (the encoded list of ``{"memory", "path", "value"}``)."""

    timestamp: str
    log_level: str
    record_type: str
    action_name: Any
    event_id: Any
    event_type: Any
    key: Any
    seq: int
    input_seq: int
    duration_ns: int
    status: str
    attempt: int
    error: Any
    sent_event_ids: Any
    memory_writes: Any
    job_id: str
    task_name: str
    subtask_index: int


Line = EventLine | ActionLine | msgspec.Raw


def encode_value(value: Any) -> bytes:
    """``value`` as compact JSON (no newline), never raising (see :func:`encode_refused`).

    NaN and infinities are kept as the JSON extension tokens ``NaN``, ``Infinity`` and
    ``-Infinity`` (as Python's json module and Flink Agents' memory events write them; the
    kit's reader reads them back as floats), not turned into ``null``."""
    try:
        data = _encode(value)
    except Exception:
        return encode_refused(value)
    if b"null" in data and has_nonfinite(value):  # msgspec wrote NaN as null
        return encode_refused(value)
    return data


def has_nonfinite(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` holds a NaN or infinite float (in nested dicts, lists, tuples)."""
    if type(value) is float:
        return value != value or value in (_INF, -_INF)
    if depth > 100:
        return False
    if isinstance(value, dict):
        return any(has_nonfinite(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_nonfinite(v, depth + 1) for v in value)
    return False


_INF = float("inf")


def encode_refused(value: Any) -> bytes:
    """``value``, which msgspec refused, as compact JSON: the stdlib encoder writes lone
    surrogates as ``\\uXXXX`` escapes; what it cannot encode either (a cycle, a tuple as a
    key) is written as its ``str``."""
    try:
        text = json.dumps(value, default=_default, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        text = json.dumps(str(value))
    return text.encode("utf-8")


def as_dict(line: EventLine | ActionLine) -> dict[str, Any]:
    """A record struct as the dict a reader gets (camelCase keys, :class:`Raw` decoded)."""
    return decode_line(encode_line(line))


def encode_line(line: Line) -> bytes:
    """One record as a JSON line (``\\n``-terminated)."""
    try:
        return _encode(line) + b"\n"
    except _ENCODE_ERRORS:  # a str field with a lone surrogate: field by field
        assert not isinstance(line, msgspec.Raw)
        parts = [
            f"{json.dumps(f.encode_name)}:".encode() + encode_value(getattr(line, f.name))
            for f in msgspec.structs.fields(line)
        ]
        return b"{" + b",".join(parts) + b"}\n"


def encode_lines(lines: Iterable[Line]) -> bytes:
    """Records as JSON lines, in one call; a record that cannot be encoded as it is falls
    back to :func:`encode_line` without costing the others."""
    items = list(lines)
    try:
        return _ENCODER.encode_lines(items)
    except _ENCODE_ERRORS:
        return b"".join(encode_line(item) for item in items)


def encode_record(record: dict[str, Any], pretty: bool = False) -> bytes:
    """A record dict as one JSON line (``\\n``-terminated); indented when ``pretty`` (as
    Flink Agents does: :mod:`._pretty`).

    Values JSON cannot hold become strings (:func:`_default`); non-str keys become strings.
    """
    data = encode_value(record)
    if pretty:
        data = jackson_pretty(data)
    return data + b"\n"


def decode_line(data: bytes) -> Any:
    """One JSON line (or pretty-printed record) back to Python values."""
    return _DECODER.decode(data)
