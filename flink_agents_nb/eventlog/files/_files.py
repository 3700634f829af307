"""Reading event-log files into JSON records, reporting what cannot be read.

Accepts JSON Lines, pretty-printed (multi-line) JSON records one after another, gzip
compression (by content, whatever the name) and junk mixed in. Nothing here raises on bad
content: every unreadable part becomes a :class:`LogProblem` with file, line and reason.
Which files make up a log is :mod:`._sources`' part.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flink_agents_nb.eventlog.files._cut import cut_of, next_cut
from flink_agents_nb.eventlog.files._general_path import read_lines, scan_multiline
from flink_agents_nb.eventlog.files._records import FileRecords
from flink_agents_nb.eventlog.files._sources import LOG_SUFFIXES as LOG_SUFFIXES
from flink_agents_nb.eventlog.files._sources import LogProblem as LogProblem
from flink_agents_nb.eventlog.files._sources import list_log_files as list_log_files
from flink_agents_nb.eventlog.files._sources import not_readable
from flink_agents_nb.eventlog.typed._typed import Decoder, decode_pretty, decode_typed

#: Files are parsed in pieces of about this many bytes (small enough for the column passes
#: over a piece's records to stay in the CPU caches: 4 MB read 1M records ~15% faster than 16).
CHUNK_BYTES = 4 << 20
#: A compressed file is read up to this many decompressed bytes (a gzip bomb is cut there and
#: reported as a problem).
MAX_DECOMPRESSED_BYTES = 2 << 30


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


def _read(path: Path, decoder: Decoder | None, start: int = 0, stop: int | None = None) -> Any:
    """The file's bytes ``start:stop`` (in the decoder's reused buffer when given)."""
    if decoder is not None:
        return decoder.scratch.read(path, start, stop)
    with open(path, "rb") as fh:
        fh.seek(start)
        return fh.read(-1 if stop is None else max(0, stop - start))


def _pretty(
    path: Path, data: bytes | bytearray, decoder: Decoder | None, partial: bool
) -> tuple[str, list[Any], list[int], int] | None:
    """:func:`._typed.decode_pretty` of the whole file (``data``, or read whole when only
    its head is in ``data``), and the number of records to a chunk (about
    :data:`CHUNK_BYTES` of them)."""
    if partial:
        try:
            data = _read(path, None)
        except OSError:
            return None  # (reported by the general way)
    decoded = decode_pretty(data, decoder)
    if decoded is None:
        return None
    kind, records, starts = decoded
    return kind, records, starts, max(1, len(records) * CHUNK_BYTES // max(1, len(data)))


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
        if pos == 0 and not tail and data[:2] == b"{\n":  # pretty-printed records?
            pretty = _pretty(path, data, decoder, partial)
            if pretty is not None:  # in chunks of a chunk's records (bounded columns)
                kind, records, starts, size = pretty
                while len(records) > size:
                    yield FileRecords(name, records[:size], starts[:size], None, kind)
                    del records[:size], starts[:size]  # (their structs freed once read)
                yield FileRecords(name, records, starts, None, kind, whole_file=True)
                return
        chunk = bytes(data[pos:stop])
        raw_lines = chunk.split(b"\n")
        newlines = len(raw_lines) - 1
        at_start = pos == 0 and not tail
        result = read_lines(name, chunk, raw_lines, first_line, stop >= end, problems, at_start)
        if result is None:  # multi-line records: scan the whole file instead
            del raw_lines, chunk
            if partial:
                try:
                    data = _read(path, None)
                except OSError as exc:
                    problems.append(LogProblem(name, None, f"cannot read file ({exc})"))
                    return
            whole = scan_multiline(name, bytes(data), problems)
            whole.whole_file = True
            yield whole
            return
        del raw_lines, chunk
        yield result
        first_line += newlines
        pos = stop
