"""Reading event-log files into JSON records, reporting what cannot be read.

Accepts JSON Lines, pretty-printed (multi-line) JSON records one after another, gzip
compression (by content, whatever the name) and junk mixed in. Nothing here raises on bad
content: every unreadable part becomes a :class:`LogProblem` with file, line and reason.
Which files make up a log is :mod:`._sources`' part.
"""

from __future__ import annotations

import bisect
import json
import os
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from flink_agents_nb.eventlog._cut import cut_of, next_cut
from flink_agents_nb.eventlog._sources import LOG_SUFFIXES as LOG_SUFFIXES
from flink_agents_nb.eventlog._sources import LogProblem as LogProblem
from flink_agents_nb.eventlog._sources import list_log_files as list_log_files
from flink_agents_nb.eventlog._sources import not_readable
from flink_agents_nb.eventlog.typed._typed import Decoder, decode_typed

#: At most this many problems are listed per chunk of a file; the rest are summarised in one.
MAX_PROBLEMS_PER_FILE = 1000
#: Files are parsed in pieces of about this many bytes (small enough for the column passes
#: over a piece's records to stay in the CPU caches: 4 MB read 1M records ~15% faster than 16).
CHUNK_BYTES = 4 << 20
#: A compressed file is read up to this many decompressed bytes (a gzip bomb is cut there and
#: reported as a problem).
MAX_DECOMPRESSED_BYTES = 2 << 30

_RECORD_START = re.compile(r"\n(?=\{)")
#: Token usage names (promptTokens, input_tokens, ...) and the rest of their line.
_TOKENS = re.compile(rb"okens[^\n]*")
_SPACE = re.compile(r"\s*")
_MALFORMED = re.compile(r"JSON is malformed: (.*) \(byte (\d+)\)")
_DECODER = json.JSONDecoder()

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
_decode_record = msgspec.json.Decoder(LogRecord).decode
_decode_any = msgspec.json.Decoder().decode


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


def _gunzip(data: bytes | bytearray, name: str, problems: list[LogProblem]) -> bytes:
    """Decompress (concatenated) gzip members, at most :data:`MAX_DECOMPRESSED_BYTES`
    (more is a problem: a gzip bomb is cut, what came before is read)."""
    out: list[bytes] = []
    budget = MAX_DECOMPRESSED_BYTES
    while data:
        d = zlib.decompressobj(wbits=47)
        try:
            piece = d.decompress(data, budget + 1)
        except zlib.error as exc:
            problems.append(LogProblem(name, None, f"corrupt gzip data ({exc}); rest skipped"))
            break
        if len(piece) > budget:
            out.append(piece[:budget])
            problems.append(
                LogProblem(
                    name,
                    None,
                    f"decompresses to more than {MAX_DECOMPRESSED_BYTES} bytes (a gzip bomb?); "
                    "read only that much",
                )
            )
            break
        budget -= len(piece)
        out.append(piece)
        if not d.eof:
            out.append(d.flush())
            problems.append(
                LogProblem(
                    name, None, "gzip stream ends early (truncated file); kept what was there"
                )
            )
            break
        data = d.unused_data.lstrip(b"\x00")
        if data and data[:2] != b"\x1f\x8b":
            problems.append(LogProblem(name, None, "junk after the gzip data; ignored"))
            break
    return b"".join(out)


def _lines_with(data: bytes | memoryview, word: re.Pattern[bytes]) -> list[int]:
    """0-based indexes of the lines of ``data`` matching ``word`` (a pattern running to the
    end of its line: one match per line)."""
    positions = [match.start() for match in word.finditer(data)]
    if not positions:
        return []
    newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)  # SIMD, not a loop
    return np.searchsorted(newlines, positions).tolist()


def _decode_extended(line: bytes) -> Any:
    """A line msgspec refused but the kit may have written: JSON with ``NaN``/``Infinity``
    tokens or ``\\uXXXX`` escapes of lone surrogates (the stdlib reads both). ``None`` when
    it is not that either."""
    if b"NaN" not in line and b"Infinity" not in line and b"\\ud" not in line.lower():
        return None
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return None


def _decode_prefixed(line: bytes) -> Any:
    """A record behind a logging layout's prefix, for a Trace Log or event log routed
    through a log4j layout other than upstream's own ``%msg%n`` (``2026-10-12 10:00:00,123
    INFO  org.apache.flink.agents.TraceLog [] - {...}``): the JSON object from the line's
    first ``{``. ``None`` when the line has no such prefix or the rest is not an object."""
    start = line.find(b"{")
    if start <= 0 or not line[:start].strip() or line[:start].lstrip()[:1] == b"[":
        return None
    try:
        return _decode_record(line[start:])
    except (msgspec.DecodeError, RecursionError):
        return None


def _bad_line_reason(line: bytes, last: bool, exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply to read (thousands of levels)"
    if last:
        return "truncated last line (incomplete record)"
    if b"\x00" in line:
        return "binary data, not JSON"
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return "binary data (not UTF-8), not JSON"
    message = str(exc)
    found = _MALFORMED.fullmatch(message)
    if found is not None:  # msgspec counts bytes from 0
        return f"not valid JSON ({found[1]} at byte {int(found[2]) + 1} of the line)"
    if message == "Input data was truncated":
        return "not valid JSON (the record ends early)"
    return f"not valid JSON ({message})"


def _read(path: Path, decoder: Decoder | None, start: int = 0, stop: int | None = None) -> Any:
    """The file's bytes ``start:stop`` (in the decoder's reused buffer when given)."""
    if decoder is not None:
        return decoder.scratch.read(path, start, stop)
    with open(path, "rb") as fh:
        fh.seek(start)
        return fh.read(-1 if stop is None else max(0, stop - start))


def read_records(
    path: Path,
    problems: list[LogProblem],
    decoder: Decoder | None = None,
    part: tuple[int, bool] | None = None,
) -> Iterator[FileRecords]:
    """Parse one file in chunks of about :data:`CHUNK_BYTES` (bounding memory); unreadable
    parts are appended to ``problems``. ``decoder``: the read's typed decoder (see
    :func:`._typed.decode_typed`).

    ``part``: ``(at, tail)`` reads only the chunks before (``tail`` false: the head) or from
    (``tail`` true) the file's :func:`._cut.split_point` ``(data, at)``, and only those bytes, so
    that a head and a tail read in either order give what one read gives. Whole-file matters
    (unreadable, empty, gzip: not split, read whole by the head) are the head's; a head that
    had to read the whole file (multi-line records, blank start) says so (``whole_file``,
    on its last chunk, maybe an empty one): its tail is then to be dropped."""
    name = str(path)
    tail = part is not None and part[1]
    why = not_readable(path)
    if why is not None:  # a FIFO or device read as a file could block or never end
        if not tail:
            problems.append(LogProblem(name, None, why))
        return
    first_line, partial = 1, False
    try:
        if part is not None:
            with open(path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                gzipped = fh.read(2) == b"\x1f\x8b"
                cut, lines = (0, 0) if gzipped else cut_of(fh, part[0], size, tail, CHUNK_BYTES)
            if gzipped and tail:
                return  # not split: the head reads it whole
            if gzipped:
                part = None
            elif tail:
                first_line += lines
            else:
                partial = cut < size
        if part is None:
            data: bytes | bytearray = _read(path, decoder)
        else:
            data = _read(path, decoder, cut, None) if tail else _read(path, decoder, 0, cut)
    except OSError as exc:
        if not tail:
            problems.append(LogProblem(name, None, f"cannot read file ({exc})"))
        return
    if data[:2] == b"\x1f\x8b" and part is None:
        data = _gunzip(data, name, problems)
    if not data or data.isspace():
        if partial:  # is the rest blank too? A read of the whole file tells
            yield from read_records(path, problems, decoder)
            yield FileRecords(name, [], [], None, whole_file=True)
        elif not tail:
            problems.append(LogProblem(name, None, "empty file (no records)"))
        return
    pos, end = 0, len(data)
    while pos < end:
        stop = next_cut(data, pos, end, CHUNK_BYTES)
        typed = decode_typed(data, pos, stop, decoder)  # fastest path: one known shape, typed
        if typed is not None:
            kind, records = typed
            numbers = range(first_line, first_line + len(records))
            yield FileRecords(name, records, numbers, None, kind)  # hints: from the attributes
            first_line += len(records)
            pos = stop
            continue
        chunk = bytes(data[pos:stop])
        raw_lines = chunk.split(b"\n")
        newlines = len(raw_lines) - 1
        at_start = pos == 0 and not tail
        result = _read_lines(name, chunk, raw_lines, first_line, stop >= end, problems, at_start)
        if result is None:  # multi-line records: scan the whole file instead
            del raw_lines, chunk
            if partial:
                try:
                    data = _read(path, None)
                except OSError as exc:
                    problems.append(LogProblem(name, None, f"cannot read file ({exc})"))
                    return
            whole = _scan_multiline(name, bytes(data), problems)
            whole.whole_file = True
            yield whole
            return
        del raw_lines, chunk
        yield result
        first_line += newlines
        pos = stop


def _read_lines(
    name: str,
    data: bytes,
    raw_lines: list[bytes],
    first_line: int,
    at_end: bool,
    problems: list[LogProblem],
    may_be_multiline: bool,
) -> FileRecords | None:
    if raw_lines and not raw_lines[-1]:
        raw_lines.pop()
    try:  # fast path: every line one record
        fast = list(map(_decode_record, raw_lines))
    except (msgspec.DecodeError, RecursionError):  # bad or too deeply nested lines
        pass
    else:
        mentions = _lines_with(data, _TOKENS)
        return FileRecords(name, fast, range(first_line, first_line + len(fast)), mentions)
    ends_clean = data.endswith(b"\n") or not at_end
    last_index = len(raw_lines) - 1
    records: list[Any] = []
    lines: list[int] = []
    hints: list[int] = []
    bad: list[tuple[int, bytes, Exception]] = []
    for index, line in enumerate(raw_lines):
        try:
            try:
                obj = _decode_record(line)
            except msgspec.ValidationError:  # not an object: JSON (reported later) or junk
                obj = _decode_any(line)
        except (msgspec.DecodeError, RecursionError) as exc:
            obj = _decode_extended(line)  # NaN tokens, lone surrogates: the stdlib reads them
            if obj is None:
                obj = _decode_prefixed(line)
            if obj is None:
                if line.strip():
                    bad.append((index, line, exc))
                continue
        if b"okens" in line:
            hints.append(len(records))
        records.append(obj)
        lines.append(index + first_line)
    if may_be_multiline and bad and any(line.strip() in (b"{", b"[") for _, line, _ in bad):
        return None
    for listed, (index, line, error) in enumerate(bad):
        if listed >= MAX_PROBLEMS_PER_FILE:
            more = len(bad) - listed
            problems.append(LogProblem(name, None, f"{more} more unreadable lines not listed"))
            break
        last = index == last_index and not ends_clean
        reason = _bad_line_reason(line, last, error)
        problems.append(LogProblem(name, index + first_line, reason))
    return FileRecords(name, records, lines, hints)


def _scan_multiline(name: str, data: bytes, problems: list[LogProblem]) -> FileRecords:
    """Records written one after another, each possibly spanning lines (pretty-printed)."""
    text = data.decode("utf-8", errors="replace")
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(pos: int) -> int:
        return bisect.bisect_right(starts, pos)

    records: list[Any] = []
    lines: list[int] = []
    pos, end = 0, len(text)
    while True:
        match = _SPACE.match(text, pos)
        pos = match.end() if match else pos
        if pos >= end:
            break
        if text[pos] in "{[":
            try:
                obj, after = _DECODER.raw_decode(text, pos)
            except RecursionError:
                nxt = _RECORD_START.search(text, pos + 1)
                problems.append(
                    LogProblem(name, line_of(pos), "JSON nested too deeply to read; skipped")
                )
                if nxt is None:
                    break
                pos = nxt.end()
                continue
            except json.JSONDecodeError as exc:
                nxt = _RECORD_START.search(text, pos + 1)
                if nxt is None:
                    reason = (
                        "truncated record at end of file"
                        if exc.pos >= end - 1
                        else f"not valid JSON ({exc.msg})"
                    )
                    problems.append(LogProblem(name, line_of(pos), reason))
                    break
                problems.append(
                    LogProblem(
                        name,
                        line_of(pos),
                        f"not valid JSON ({exc.msg}, line {exc.lineno}); "
                        f"skipped to line {line_of(nxt.end())}",
                    )
                )
                pos = nxt.end()
                continue
            records.append(obj)
            lines.append(line_of(pos))
            pos = after
            continue
        nxt = _RECORD_START.search(text, pos)
        stop = nxt.end() if nxt is not None else end
        snippet = text[pos : min(stop, pos + 40)].splitlines()[0] if stop > pos else ""
        reason = "binary data, not JSON" if "\x00" in text[pos:stop] else "not JSON"
        problems.append(LogProblem(name, line_of(pos), f"{reason}: {snippet!r}"))
        pos = stop
    return FileRecords(name, records, lines, None)
