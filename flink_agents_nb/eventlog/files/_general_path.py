"""The general path for lines the typed decode refused: one record a line, decoded one by
one (extended JSON, logging-layout prefixes, junk reported with its line), and files of
pretty-printed records spanning lines, scanned whole. Nothing here raises on bad content.
"""

from __future__ import annotations

import bisect
import json
import re
from typing import Any

import msgspec
import numpy as np

from flink_agents_nb.eventlog.files._foreign import MORE_NOT_LISTED, opens_record
from flink_agents_nb.eventlog.files._records import FileRecords, decode_any, decode_record
from flink_agents_nb.eventlog.files._sources import LogProblem

#: At most this many problems are listed per chunk of a file; the rest are summarised in one.
MAX_PROBLEMS_PER_FILE = 1000

_RECORD_START = re.compile(r"\n(?=\{)")
#: Token usage names (promptTokens, input_tokens, ...) and the rest of their line.
_TOKENS = re.compile(rb"okens[^\n]*")
_SPACE = re.compile(r"\s*")
_MALFORMED = re.compile(r"JSON is malformed: (.*) \(byte (\d+)\)")
_DECODER = json.JSONDecoder()


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
        return decode_record(line[start:])
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


def _opens_record(line: bytes) -> bool:
    """Whether a line that is no record opens a pretty-printed one (``{`` or ``[`` alone,
    or ``{`` after a logging layout's prefix)."""
    stripped = line.strip()
    return stripped in (b"{", b"[") or stripped.endswith(b" {")


def read_lines(
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
        fast = list(map(decode_record, raw_lines))
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
                obj = decode_record(line)
            except msgspec.ValidationError:  # not an object: JSON (reported later) or junk
                obj = decode_any(line)
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
    if may_be_multiline and bad and any(_opens_record(line) for _, line, _ in bad):
        return None
    for listed, (index, line, error) in enumerate(bad):
        if listed >= MAX_PROBLEMS_PER_FILE:
            more = len(bad) - listed
            problems.append(LogProblem(name, None, MORE_NOT_LISTED.format(more)))
            break
        last = index == last_index and not ends_clean
        reason = _bad_line_reason(line, last, error)
        problems.append(LogProblem(name, index + first_line, reason, at_record=opens_record(line)))
    return FileRecords(name, records, lines, hints)


def _prefixed_object(text: str, pos: int, end: int) -> tuple[Any, int] | None:
    """The object and where it ends, when the line at ``pos`` is a logging layout's prefix
    ending in the ``{`` of a pretty-printed record (``2026-11-02 10:00:00,123 INFO
    org.apache.flink.agents.TraceLog [] - {``, then the record's lines); else ``None``."""
    eol = text.find("\n", pos, end)
    line = text[pos : end if eol < 0 else eol].rstrip()
    if len(line) < 2 or not line.endswith("{"):
        return None
    try:
        obj, after = _DECODER.raw_decode(text, pos + len(line) - 1)
    except (json.JSONDecodeError, RecursionError):
        return None
    return (obj, after) if isinstance(obj, dict) else None


def scan_multiline(name: str, data: bytes, problems: list[LogProblem]) -> FileRecords:
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
        prefixed = _prefixed_object(text, pos, end)
        if prefixed is not None:  # a pretty-printed record behind a logging layout's prefix
            records.append(prefixed[0])
            lines.append(line_of(pos))
            pos = prefixed[1]
            continue
        nxt = _RECORD_START.search(text, pos)
        stop = nxt.end() if nxt is not None else end
        snippet = text[pos : min(stop, pos + 40)].splitlines()[0] if stop > pos else ""
        reason = "binary data, not JSON" if "\x00" in text[pos:stop] else "not JSON"
        problems.append(LogProblem(name, line_of(pos), f"{reason}: {snippet!r}"))
        pos = stop
    return FileRecords(name, records, lines, None)
