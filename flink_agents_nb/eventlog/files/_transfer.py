"""Sending a part of a read from the worker process to the reader, cheaply.

What a worker read (:mod:`._parallel`) is columns of the record frame, the files they came
from, whether trace records were among them and the problems met. Pickled as they are, the
lazy attribute cells (:class:`._attributes.Attributes`) cost most: a Python ``__reduce__``
call per cell to dump and a constructor call per cell to load (~3 s per 1M records). So an
object column is sent as where its cells are and their JSON bytes (a list of ``bytes``:
pickled and unpickled by C loops) and where and what its few other values are, and the
reader makes the cells again from the bytes (undecoded, as the reader made them). The shared
empty cell (:data:`._attributes.EMPTY`) stays that one object. Numeric columns go as their
buffers (pickle protocol 5). Strings that repeat as one object (the shared columns) go once
each, with codes (``int8`` for a few). A column of one value (one object, or all NaN: a
format's unused columns) goes as that value and its length: a fifth of nested 0.3.1's
payload was such columns. A column is packed from its parts (one array per chunk read): they
are joined only to be sent as they are.

The payload does not wait for the reader: where the system has anonymous files in memory
(``os.memfd_create``, Linux), :func:`shared_file` makes one before the fork, the worker writes
its payload there as soon as its part is read (while the reader still reads its own) and then
says so through the pipe (:func:`done`: a marker and the payload's size); the reader unpickles
the file from memory. Elsewhere, or when the file cannot take the payload, the payload streams
through the pipe as it is pickled (the worker then waits for the reader to take it). The file's
pages belong to neither process' resident set: they are the read's memory from the worker's
write until the reader closes the file, right after unpickling it.

A payload is ``pickle`` read by an unpickler that builds data only (:class:`_DataOnly`), and
only ever from a pipe or an anonymous file shared with a child this process forked (never a
named file or another user's), so nothing in it comes from outside the read.
"""

from __future__ import annotations

import io
import os
import pickle
import select
import time
from collections.abc import Sequence
from itertools import repeat
from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.eventlog._attributes import EMPTY, Attributes
from flink_agents_nb.eventlog.columns._arrays import addresses, joined

_raw = attrgetter("_raw")  # (the slot itself: the property is a Python call per cell)
#: The columns that may hold :class:`Attributes` cells (any other is pickled as it is: right,
#: only slower, should one hold cells some day).
CELL_COLUMNS = frozenset({"attributes"})
#: A column is sent as its distinct objects + codes when a run of this many of its rows
#: holds one object twice (the shared columns: job, task, status...; the trace ids a run's
#: records repeat): identity kept, as the reader's later steps count on (``_arrays.codes``).
_SAMPLE = 4096


def pack_column(name: str, values: np.ndarray | Sequence[np.ndarray]) -> tuple[Any, ...]:
    """``values`` (the frame column ``name``: one array, or its parts in order) in the form
    :func:`unpack_column` takes back: a column of one value (one object, or equal bits: all
    NaN, say) as that value and its length, the shared columns' codes in the smallest
    integer type that holds them. An object column's parts are joined only when it is sent
    as it is: the other forms are found from the objects' addresses, without touching the
    objects (each a cache miss in a column of a million)."""
    parts = [values] if isinstance(values, np.ndarray) else list(values)
    n = sum(len(part) for part in parts)
    if not n:
        return ("array", joined(parts, parts[0].dtype if parts else object))
    if parts[0].dtype != object:
        values = joined(parts, parts[0].dtype)
        if values.ndim == 1 and _one_value(values):
            return ("fill", values[:1].copy(), len(values))
        return ("array", values)
    if name in CELL_COLUMNS:
        return _pack_cells(parts)
    at = _addresses(parts)
    middle = max(0, n // 2 - _SAMPLE // 2)
    sample = at[middle : middle + _SAMPLE]
    if len(np.unique(sample)) == len(sample):  # distinct objects (ids): pickled as they are
        return ("array", joined(parts, parts[0].dtype))
    by_object, _ = pd.factorize(at)
    del at
    distinct = by_object.max() + 1
    if distinct == n:
        return ("array", joined(parts, parts[0].dtype))
    first = _rows_of(parts, np.zeros(1, np.intp))
    if distinct == 1:
        return ("fill", first, n)
    one_each = np.empty(distinct, dtype=np.intp)
    one_each[by_object] = np.arange(n)  # a row of each distinct object
    return ("shared", _rows_of(parts, one_each), by_object.astype(_code_type(distinct)))


def _addresses(parts: list[np.ndarray]) -> np.ndarray:
    """The addresses of the objects of an object column's ``parts``, joined."""
    return addresses(parts[0]) if len(parts) == 1 else np.concatenate(list(map(addresses, parts)))


def _rows_of(parts: list[np.ndarray], rows: np.ndarray) -> np.ndarray:
    """The values at ``rows`` (of the parts joined) of an object column's ``parts``,
    without joining them."""
    if len(parts) == 1:
        out: np.ndarray = parts[0][rows]
        return out
    ends = np.cumsum([len(part) for part in parts])
    which = np.searchsorted(ends, rows, side="right")
    out = np.empty(len(rows), dtype=object)
    for j, part in enumerate(parts):
        here = np.flatnonzero(which == j)
        if len(here):
            out[here] = part[rows[here] - (ends[j] - len(part))]
    return out


def _one_value(values: np.ndarray) -> bool:
    """Whether a numeric column's values all have the first one's bits."""
    size = values.dtype.itemsize
    if size not in (1, 2, 4, 8) or not values.flags.c_contiguous:
        return False
    bits = values.view(f"u{size}")
    return bool((bits == bits[0]).all())


def _code_type(distinct: int) -> type[np.signedinteger[Any]]:
    """The smallest integer type numbering ``distinct`` objects 0, 1...: the payload and
    the reader's unpickled codes a quarter of ``int32``'s for the few-valued columns."""
    return np.int8 if distinct <= 1 << 7 else np.int16 if distinct <= 1 << 15 else np.int32


def packed_rows(packed: tuple[Any, ...]) -> int:
    """How many rows a column :func:`pack_column` packed holds (-1: not a packed column)."""
    kind = packed[0] if type(packed) is tuple and packed else None
    if kind == "array" and len(packed) == 2:
        return len(packed[1])
    if kind == "fill" and len(packed) == 3 and type(packed[2]) is int:
        return packed[2]
    if kind == "shared" and len(packed) == 3:
        return len(packed[2])
    if kind == "cells" and len(packed) == 7 and type(packed[1]) is int:
        return packed[1]
    return -1


def _pack_cells(parts: list[np.ndarray]) -> tuple[Any, ...]:
    """An attributes column (its ``parts``) as its rows, where its cells are and their
    bytes, where the shared empty cell is, and where and what its other values are (the
    rows of none of these hold ``None``: most rows are cells, and a column of ``None``
    costs ~30 ms per 400k rows to pickle and unpickle). Each object is touched once, its
    part at a time (a joined copy would touch each twice more)."""
    rows = sum(len(part) for part in parts)
    flags: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    raws: list[bytes] = []
    for part in parts:
        kinds = np.fromiter(map(type, part), dtype=object, count=len(part))  # alive while viewed
        cells = addresses(kinds) == id(Attributes)
        del kinds
        at = addresses(part)
        empty = at == id(EMPTY)
        cells &= ~empty
        raws += map(_raw, part[cells])
        flags.append((cells, empty, ~(cells | empty) & (at != id(None))))
    cells, empty, others = (np.concatenate(column) for column in zip(*flags, strict=True))
    if not cells.any() and not empty.any():
        return ("array", joined(parts, parts[0].dtype))
    others = np.flatnonzero(others)
    values = _rows_of(parts, others)
    return ("cells", rows, others, values, np.flatnonzero(cells), raws, np.flatnonzero(empty))


def unpack_column(packed: tuple[Any, ...]) -> np.ndarray:
    """The column :func:`pack_column` packed (cells made again, undecoded)."""
    if packed[0] == "array":
        values: np.ndarray = packed[1]
        return values
    if packed[0] == "shared":
        distinct: np.ndarray = packed[1]
        return distinct[packed[2]]
    if packed[0] == "fill":  # (bits as they were: NaN's too)
        first, n = packed[1], packed[2]
        if type(first) is not np.ndarray or first.shape != (1,) or type(n) is not int or n < 0:
            raise pickle.UnpicklingError("the read's worker sent a column of one value unreadably")
        return np.repeat(first, n)
    _, rows, others, values, at, raws, empty = packed
    if type(rows) is not int or rows < 0:
        raise pickle.UnpicklingError("the read's worker sent an attributes column unreadably")
    out = np.empty(rows, dtype=object)  # (None throughout: numpy fills object arrays so)
    out[others] = values
    out[at] = np.fromiter(map(Attributes, raws), dtype=object, count=len(raws))
    out[empty] = np.fromiter(repeat(EMPTY, len(empty)), dtype=object, count=len(empty))
    return out


def send(value: Any, fd: int) -> None:
    """Write ``value`` to ``fd`` (the pipe or the shared file; closed after) as it is
    pickled: pickle protocol 5
    (array buffers written as they are), without pickle's memo of every object (5x faster
    on a column of strings; the objects repeated in a column were made distinct ones by
    :func:`pack_column`; JSON values have no cycles). Nothing the size of the whole is held
    in memory. Raises ``OSError`` (the reader went away, no memory for the shared file)."""
    with open(fd, "wb", buffering=_BUFFER) as out:
        pickler = pickle.Pickler(out, protocol=5)
        pickler.fast = True
        pickler.dump(value)


def receive(fd: int, deadline: float, shared: int | None = None) -> tuple[Any, int]:
    """What the worker sent through the pipe ``fd`` (only ever this process' own worker's
    bytes), and the bytes it held in the shared file (0: none). Either what :func:`send`
    wrote to the pipe, unpickled as it arrives, or, when the pipe says :func:`done`, what
    :func:`send` wrote to ``shared`` (see :func:`shared_file`), unpickled from memory.
    Raises :class:`WorkerSilent` when nothing comes for long enough to pass ``deadline``
    (``time.monotonic``), an ``EOFError`` or ``pickle.UnpicklingError`` when the writer
    ended early or its end message does not match the shared file."""
    with io.BufferedReader(_PipeReader(fd, deadline), buffer_size=_BUFFER) as stream:
        if shared is not None and stream.peek(1)[:1] == _DONE[:1]:  # (a pickle starts b"\x80")
            message = stream.read(_DONE_BYTES)
            size = int.from_bytes(message[len(_DONE) :], "little")
            if not message.startswith(_DONE) or len(message) != _DONE_BYTES:
                raise pickle.UnpicklingError("the read's worker ended its part unreadably")
            return _load_shared(shared, size), size
        return _DataOnly(stream).load(), 0


def shared_file() -> int | None:
    """A new anonymous file in memory (``os.memfd_create``; closed on exec) for a worker's
    payload, to be made before the fork; ``None`` where the system has none (or no file
    descriptor is left): the payload then goes through the pipe. The caller closes it."""
    make = getattr(os, "memfd_create", None)
    if make is None:
        return None
    try:
        fd: int = make("flink-agents-nb-read", getattr(os, "MFD_CLOEXEC", 0))
    except OSError:
        return None
    return fd


def done(fd: int, size: int) -> None:
    """Tell the reader through the pipe ``fd`` that the whole payload, ``size`` bytes, is in
    the shared file (one write, smaller than the pipe's atomic size: never blocks)."""
    os.write(fd, _DONE + size.to_bytes(8, "little"))


def _load_shared(shared: int, size: int) -> Any:
    """The payload of ``size`` bytes in the shared file, unpickled (read with ``read``, not
    mapped: a file shorter than said is an ``EOFError``, never a bus error)."""
    if os.fstat(shared).st_size != size:
        raise pickle.UnpicklingError("the read's worker's part is not the size it said")
    with open(os.dup(shared), "rb", buffering=_BUFFER) as stream:
        stream.seek(0)  # (the offset is shared with the worker's writes)
        return _DataOnly(stream).load()


#: The only classes a worker's stream may name: numpy arrays and their dtypes, and the
#: reader's own plain records. Anything else is refused (``pickle.UnpicklingError``: the
#: part is read here), so the stream is data, never code, even if something else wrote it.
_ALLOWED = {
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("flink_agents_nb.eventlog.files._segments", "Segment"),
    ("flink_agents_nb.eventlog.files._sources", "LogProblem"),
}


class _DataOnly(pickle.Unpickler):
    """An unpickler that builds only :data:`_ALLOWED` classes and builtin values."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"the read's worker sent {module}.{name}: not data")
        return super().find_class(module, name)


_BUFFER = 1 << 20
#: The worker's end message on the pipe when its payload is in the shared file: this marker,
#: then the payload's size (8 bytes, little-endian).
_DONE = b"FANB:shared:"
_DONE_BYTES = len(_DONE) + 8


class WorkerSilent(TimeoutError):
    """Internal: the worker sent nothing before the deadline. Never leaves the reader:
    :mod:`._parallel` catches it and reads the worker's part itself."""


class _PipeReader(io.RawIOBase):
    """The read end of a pipe, raising :class:`WorkerSilent` past a deadline (the fd is not
    closed with it)."""

    def __init__(self, fd: int, deadline: float) -> None:
        super().__init__()
        self._fd = fd
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0 or not select.select([self._fd], [], [], left)[0]:
            raise WorkerSilent("the read's worker process sent nothing in time")
        return os.readv(self._fd, [buffer])
