"""What a file's records are once parsed: the fields the reader keeps, one struct type for
every accepted shape, and :class:`FileRecords`, what reading one file (or chunk) gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

#: The record fields the reader uses (any accepted shape), in the order of the columns of
#: the table a chunk becomes; ``event`` is Flink Agents 0.3.1's nested event.
RECORD_FIELDS = (
    "timestamp",
    "recordType",
    "jobId",
    "taskName",
    "subtaskIndex",
    "subtaskId",
    "key",
    "eventId",
    "eventType",
    "upstreamEventId",
    "upstreamActionName",
    "actionName",
    "durationNs",
    "status",
    "eventAttributes",
    "attributes",
    "seq",
    "inputSeq",
    "attempt",
    "error",
    "sentEventIds",
    "memoryWrites",
    "event",
    # Flink Agents 0.4 Trace Log records (see _trace.py)
    "inputRunId",
    "businessKey",
    "agentName",
    "entityType",
    "entityName",
    "executionId",
    "parentExecutionId",
    "entityMetadata",
    "problemCategory",
    "model",
)
#: A field the record does not have (its attribute is this very object; JSON ``null`` is
#: ``None``). NaN, as pandas reads it: missing.
MISSING = float("nan")
#: A parsed record: only :data:`RECORD_FIELDS` are kept, decoded straight from the JSON
#: (no dict per record; other fields are skipped). Built from a dict by :func:`as_record`.
LogRecord = msgspec.defstruct(
    "LogRecord", [(name, Any, MISSING) for name in RECORD_FIELDS], gc=False
)
#: One line as a :data:`LogRecord` (raises on anything else); any JSON value.
decode_record = msgspec.json.Decoder(LogRecord).decode
decode_any = msgspec.json.Decoder().decode


def as_record(value: dict[str, Any]) -> Any:
    """A JSON object (a dict with str keys) as a :data:`LogRecord`."""
    return msgspec.convert(value, LogRecord)


def present_fields(record: Any) -> dict[str, Any]:
    """A :data:`LogRecord`'s fields that the JSON had, as a dict."""
    values = msgspec.structs.astuple(record)
    return {k: v for k, v in zip(RECORD_FIELDS, values, strict=True) if v is not MISSING}


@dataclass
class FileRecords:
    """What one file held: parsed records (:data:`LogRecord`; dicts from pretty-printed
    files; other JSON values where a record is not an object), their 1-based lines, and
    which records' raw text mentions token usage (``hints``: record positions, ``None`` =
    check all). With ``kind`` set, the records are that shape's typed structs
    (:mod:`._typed`), their attributes raw (which mention tokens is found from them)."""

    file: str
    records: list[Any]
    lines: Sequence[int]
    hints: list[int] | None
    kind: str | None = None  # the shape when decoded by the typed fast path (see _typed)
    whole_file: bool = False  # a multi-line file scanned at once (all its records)
