"""Typed decoding of the three common record shapes: the reader's fast path.

A chunk of JSON Lines whose every line is one of these shapes, with the expected JSON types,
is decoded straight into small typed structs (fixed fields typed; the free-form attributes,
sent event ids and memory writes kept as their raw JSON: building their dicts was most of the
decoding's cost, see :mod:`._attributes`), several times faster than the general decoder, and
its columns are then built without the general path's per-field checks
(:mod:`._typed_columns`):

- ``ours``: the kit's own flat records (``recordType`` ``event`` or ``action``);
- ``nested``: Flink Agents 0.3.1 records (``{"timestamp", "event": {"eventType", "id",
  "attributes"}, "jobId", "taskName", "subtaskId"}``) whose event holds nothing else;
- ``trace``: Flink Agents 0.4 Trace Log records (``entityType`` a non-empty string).

Anything else (a field of another type, a field the general path would read differently,
a bad line, a mix of shapes) makes :func:`decode_typed` return ``None``: the chunk then goes
through the general path, whose results these paths reproduce exactly (tests compare them).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, Union

import msgspec
import numpy as np

#: A field of this type makes the record fall back to the general path when present.
Absent = msgspec.UnsetType
_NO = msgspec.UNSET
#: What a key may be on the fast path (lists and objects are reported by the general path).
Scalar = Union[str, int, float, bool, None]  # noqa: UP007 - a runtime type for msgspec
#: Default of a field whose absence differs from ``null`` (``subtaskIndex``: absent -> use
#: ``subtaskId``).
NOT_GIVEN: Any = float("nan")
#: A JSON value kept undecoded (msgspec checks it is valid JSON; a view of the decoded
#: buffer: copied before the buffer is reused, see :func:`._attributes.cells`).
Raw = msgspec.Raw
#: The raw value of a missing field (read as ``null``).
NULL = msgspec.Raw(b"null")


class Ours(msgspec.Struct, gc=False, kw_only=True):
    """The kit's own flat record (``flink_agents_runtime.eventlog._lines``). Fields in the
    order the writer emits them (decoding looks for the next field first: ~5% faster)."""

    timestamp: str | None = None
    recordType: Literal["event", "action"]  # decoded as these very two objects
    actionName: str | None = None
    eventId: str | None = None
    eventType: str | None = None
    upstreamEventId: str | None = None
    upstreamActionName: str | None = None
    eventAttributes: Raw = NULL
    key: Scalar = None
    seq: int | None = None
    inputSeq: int | None = None
    durationNs: int | float | None = None
    status: str | None = None
    attempt: int | None = None
    error: Any = None  # mostly null (no object made); the frame's error column needs it
    sentEventIds: Raw = NULL
    memoryWrites: Raw = NULL
    jobId: str | None = None
    taskName: str | None = None
    subtaskIndex: int | None = None
    # read differently by the general path when present
    subtaskId: Absent = _NO
    attributes: Absent = _NO
    event: Absent = _NO
    entityType: Absent = _NO
    inputRunId: Absent = _NO
    entityName: Absent = _NO
    executionId: Absent = _NO
    parentExecutionId: Absent = _NO
    problemCategory: Absent = _NO


class NestedEvent(msgspec.Struct, gc=False, forbid_unknown_fields=True, kw_only=True):
    """A 0.3.1 event holding only what is not copied into its attributes (fields in the
    order Flink Agents 0.3.1 writes them)."""

    eventType: str | None = None
    id: str | None = None
    attributes: Raw  # not an object: {} (as the general path)
    type: str | None = None
    eventClass: Any = None
    sourceTimestamp: Any = None


class Nested(msgspec.Struct, gc=False, kw_only=True):
    """A Flink Agents 0.3.1 nested record."""

    timestamp: str | None = None
    eventType: str | None = None
    event: NestedEvent
    key: Scalar = None
    jobId: str | None = None
    taskName: str | None = None
    subtaskIndex: int | None = NOT_GIVEN
    subtaskId: int | None = None
    upstreamEventId: str | None = None
    upstreamActionName: str | None = None
    entityType: Absent = _NO


class TraceMeta(msgspec.Struct, gc=False, frozen=True):
    """The ``entityMetadata`` fields the reader uses (others are ignored), in the order
    Flink Agents 0.4 writes them (an event's, an action's, an llm call's). Frozen: one
    instance, :data:`NO_META`, stands for an absent ``entityMetadata`` (0.4 omits an empty
    one)."""

    eventId: str | None = None
    producerExecutionId: str | None = None
    upstreamEventId: str | None = None
    upstreamActionName: str | None = None
    triggerEventId: str | None = None
    model: str | None = None


#: An absent ``entityMetadata`` (``null`` decodes as ``None``).
NO_META = TraceMeta()


class Trace(msgspec.Struct, gc=False, kw_only=True):
    """A Flink Agents 0.4 Trace Log record (fields in the order Flink Agents writes them)."""

    timestamp: str | None = None
    inputRunId: str | None = None
    businessKey: Scalar = None
    agentName: str | None = None
    entityType: Annotated[str, msgspec.Meta(min_length=1)]  # "" goes the general way
    entityName: str | None = None
    executionId: str | None = None
    parentExecutionId: str | None = None
    entityMetadata: TraceMeta | None = NO_META
    status: str | None = None
    problemCategory: str | None = None
    attributes: Raw = NULL
    jobId: str | None = None
    taskName: str | None = None
    subtaskIndex: int | None = NOT_GIVEN
    subtaskId: int | None = None
    # read differently by the general path when present
    event: Absent = _NO
    eventAttributes: Absent = _NO
    durationNs: Absent = _NO
    seq: Absent = _NO
    inputSeq: Absent = _NO
    attempt: Absent = _NO


#: The plain typed decoders per shape (each decodes JSON values one after another, as JSON
#: Lines hold them: ``decode_lines``).
DECODERS: dict[str, Callable[[memoryview], list[Any]]] = {
    "trace": msgspec.json.Decoder(Trace).decode_lines,
    "nested": msgspec.json.Decoder(Nested).decode_lines,
    "ours": msgspec.json.Decoder(Ours).decode_lines,
}
#: Whether the typed path is tried (tests turn it off to compare with the general path).
ENABLED = True


def _guess(line: bytes | bytearray) -> list[str]:
    """The shapes to try for a chunk starting with ``line``, likeliest first."""
    if b'"entityType"' in line:
        return ["trace"]
    if b'"recordType"' in line:
        return ["ours"]
    if b'"event"' in line:
        return ["nested"]
    return []


class Scratch:
    """A read's reusable buffers, for each file's bytes and for finding a chunk's newlines:
    a large new buffer (a ``bytes`` per file) is page-faulted afresh by the kernel each
    time (about 0.7 s of system time per 1M records, with the chunks' copies this path no
    longer makes)."""

    def __init__(self) -> None:
        self._file = bytearray()
        self._newline = np.empty(0, dtype=bool)

    def read(self, path: Path, start: int = 0, stop: int | None = None) -> bytearray:
        """The bytes of the file at ``path`` in the reused file buffer (valid until the next
        call; as much as the file held when opened), or of its bytes ``start:stop`` only.
        A view of the last file's bytes still alive (a record's raw JSON: see
        :data:`Raw`) makes a new buffer. Raises ``OSError``."""
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            size = max(0, min(size, size if stop is None else stop) - start)
            if start:
                fh.seek(start)
            buf = self._file
            try:
                buf.append(0)  # raises while a view of it is alive, even at the same size
                del buf[-1]
                if len(buf) > size:
                    del buf[size:]  # keeps the allocation (unless halved)
                elif len(buf) < size:
                    buf.extend(bytes(size - len(buf)))
            except BufferError:  # a view of the last file is still alive: a new buffer
                buf = self._file = bytearray(size)
            got = fh.readinto(buf)
        if got < size:  # the file shrank meanwhile
            del buf[got:]
        return buf

    def records_per_line(self, data: bytes | bytearray, start: int, end: int) -> int:
        """How many lines ``data[start:end]`` holds when each newline in it ends a record
        and starts the next (the byte before it, a carriage return skipped, is ``}``, the byte after
        it ``{``: outside a JSON string, which holds no raw newline, that is only ever the
        gap between two top-level objects); -1 when one does not. One vectorised pass into
        a reused buffer (``bytes.count`` compares a byte at a time: ~2.5x slower)."""
        n = max(0, end - start)
        if len(self._newline) < n:
            self._newline = np.empty(n + n // 4, dtype=bool)
        found = self._newline[:n]
        body = np.frombuffer(data, np.uint8, n, start)
        np.equal(body, 10, out=found)
        at = np.flatnonzero(found)
        if not len(at):
            return 1
        if at[-1] + 1 >= n:  # (a chunk ending in a blank line)
            return -1
        before = at - 1
        before -= (before >= 0) & (body[np.maximum(before, 0)] == 13)  # "\r\n"
        if (
            (before < 0).any()
            or not (body[before] == 0x7D).all()
            or not (body[at + 1] == 0x7B).all()
        ):
            return -1
        return len(at) + 1


class Decoder(Protocol):
    """What decodes records of one shape laid one after another (:class:`._vocab.Vocabulary`),
    with the read's :class:`Scratch` buffer."""

    scratch: Scratch

    def decode(self, kind: str, payload: memoryview) -> list[Any]: ...


def decode_typed(
    data: bytes | bytearray,
    start: int = 0,
    stop: int | None = None,
    decoder: Decoder | None = None,
) -> tuple[str, list[Any]] | None:
    """``(shape, structs)`` when every line of ``data[start:stop]`` (whole lines, the last
    one ending with a newline or not) is one record of one shape (see the module
    docstring), else ``None``.

    The lines are decoded in one call (msgspec's ``decode_lines``, straight from ``data``:
    no list of lines, no copy). It takes any JSON values one after another, whatever
    whitespace is between them, so the chunk is typed only when every newline in it lies
    between a record's ``}`` and the next one's ``{`` and the values are as many as the
    lines: a blank line, a record spanning lines or a line holding two values (alone or
    together, whatever else the chunk holds) send it the general way.
    ``decoder``: the read's learning decoder (:class:`._vocab.Vocabulary`), else the plain
    ones.
    """
    stop = len(data) if stop is None else stop
    if not ENABLED or stop <= start:
        return None
    end = stop - 1 if data[stop - 1] == 10 else stop  # without the last newline
    first = data.find(b"\n", start, end)
    for kind in _guess(data[start : end if first < 0 else first]):
        payload = memoryview(data)[start:end]
        try:
            records = DECODERS[kind](payload) if decoder is None else decoder.decode(kind, payload)
        except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
            return None
        scratch = Scratch() if decoder is None else decoder.scratch
        if len(records) != scratch.records_per_line(data, start, end):
            return None
        return kind, records
    return None


def decode_pretty(
    data: bytes | bytearray, decoder: Decoder | None = None
) -> tuple[str, list[Any], list[int]] | None:
    """``(shape, structs, lines)`` of a whole file of pretty-printed records of one shape
    (``trace-log.pretty-print``: Jackson's default printer, or ``json.dumps(indent=...)``),
    each starting with a line ``{`` and ending with a line ``}``, one after another with
    nothing between them; ``lines``: the 1-based line each record starts at. Anything else
    (a record or a value of another kind, text between records): ``None``, for the general
    path's scan of multi-line records (:func:`.._general_path.scan_multiline`).

    A JSON string holds no raw newline (msgspec refuses one, as the general path does), so
    the newlines are JSON whitespace: the records are decoded typed in one call, as JSON
    values one after another, and must be as many as the checked record starts (the general
    scan tries each line of the first chunk, then decodes a dict per record with the stdlib:
    a 125k-record 0.4 log read with ~2.8x the CPU).
    """
    if not ENABLED or data[:2] != b"{\n":
        return None
    body = np.frombuffer(data, dtype=np.uint8)
    size = len(body)
    while size and body[size - 1] in (9, 10, 13, 32):  # trailing whitespace
        size -= 1
    body = body[:size]
    ends = np.flatnonzero(body == 10)
    starts = np.concatenate(([0], ends + 1))
    widths = np.diff(np.concatenate((starts, [size])))
    one = widths == 2  # (with its newline; the last line: its byte alone)
    one[-1] = widths[-1] == 1
    first = body[starts]
    opens = np.flatnonzero(one & (first == 0x7B))  # "{"
    closes = np.flatnonzero(one & (first == 0x7D))  # "}"
    if (
        not len(opens)
        or len(opens) != len(closes)
        or closes[-1] != len(starts) - 1  # the file ends with a record
        or not (opens[1:] == closes[:-1] + 1).all()  # records right after one another
    ):
        return None
    payload = memoryview(data)[:size]
    head = bytes(body[: min(size, 4096)])
    for kind in _guess(head):
        try:
            records = DECODERS[kind](payload) if decoder is None else decoder.decode(kind, payload)
        except (msgspec.DecodeError, RecursionError):
            return None
        if len(records) != len(opens):
            return None
        return kind, records, (opens + 1).tolist()
    return None
