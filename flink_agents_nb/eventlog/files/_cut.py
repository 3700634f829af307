"""Where a file read in two parts (by two processes, see :mod:`._parallel`) is cut.

A file is parsed in chunks of about ``chunk_bytes`` (:data:`._files.CHUNK_BYTES`), each
ending after the first newline ``chunk_bytes`` or more from its start. A file is cut only
at one of these chunk boundaries, so that its head and its tail are parsed in the very
chunks a read of the whole file has (the problems listed per chunk, a truncated last line,
which chunks take the typed path: all the same).
"""

from __future__ import annotations

import io

#: Bytes read at a time while looking for the cut.
_BLOCK = 1 << 20


def next_cut(data: bytes | bytearray, pos: int, end: int, chunk_bytes: int) -> int:
    """Where the chunk of ``data`` starting at ``pos`` ends (after a newline, or ``end``)."""
    cut = data.find(b"\n", pos + chunk_bytes)
    return end if cut < 0 else cut + 1


def split_point(data: bytes | bytearray, at: int, chunk_bytes: int) -> int:
    """The first chunk boundary at or after byte ``at`` of ``data`` (a whole file)."""
    pos, end = 0, len(data)
    while pos < end and pos < at:
        pos = next_cut(data, pos, end, chunk_bytes)
    return pos


def cut_of(
    fh: io.BufferedReader, at: int, size: int, count: bool, chunk_bytes: int
) -> tuple[int, int]:
    """:func:`split_point` of the file open as ``fh`` (``size`` bytes) and, when ``count``,
    the newlines before it (0 else): read in blocks, never the whole file in memory."""
    block = bytearray(_BLOCK)
    pos = lines = 0
    while pos < size and pos < at:
        stop, look = size, pos + chunk_bytes  # the chunk ends after a newline from there
        while look < size:
            fh.seek(look)
            got = fh.readinto(block)
            newline = block.find(b"\n", 0, got)
            if got <= 0 or newline >= 0:
                stop = look + newline + 1 if got > 0 else size
                break
            look += got
        if count:
            fh.seek(pos)
            left = stop - pos
            while left > 0:
                got = fh.readinto(memoryview(block)[: min(left, _BLOCK)])
                if got <= 0:
                    break
                lines += block.count(b"\n", 0, got)
                left -= got
        pos = stop
    return pos, lines
