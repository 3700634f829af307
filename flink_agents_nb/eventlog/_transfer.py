"""Sending a part of a read from the worker process to the reader, cheaply.

What a worker read (:mod:`._parallel`) is columns of the record frame, the files they came
from, whether trace records were among them and the problems met. Pickled as they are, the
lazy attribute cells (:class:`._attributes.Attributes`) cost most: a Python ``__reduce__``
call per cell to dump and a constructor call per cell to load (~3 s per 1M records). So an
object column is sent as the column without its cells plus the cells' JSON bytes (a list of
``bytes``: pickled and unpickled by C loops), and the reader makes the cells again from the
bytes (undecoded, as the reader made them). The shared empty cell (:data:`._attributes.EMPTY`)
stays that one object. Numeric columns go as their buffers (pickle protocol 5). Strings that
repeat as one object (the shared columns) are pickled once each (pickle's memo).

A payload is ``pickle``: it is only ever read from a pipe to a child this process forked
(never from a file or another user), so nothing in it comes from outside the read.
"""

from __future__ import annotations

import io
import pickle
from itertools import repeat
from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.eventlog._arrays import addresses
from flink_agents_nb.eventlog._attributes import EMPTY, Attributes

_raw = attrgetter("raw")
#: The columns that may hold :class:`Attributes` cells (any other is pickled as it is: right,
#: only slower, should one hold cells some day).
CELL_COLUMNS = frozenset({"attributes"})
#: A column is sent as distinct objects + codes when at most this share of a sample of its
#: rows are distinct objects (the shared columns: job, task, status...).
_SHARED_SHARE = 0.5
_SAMPLE = 4096


def pack_column(name: str, values: np.ndarray) -> tuple[Any, ...]:
    """``values`` (the frame column ``name``) in the form :func:`unpack_column` takes back."""
    if values.dtype != object or not len(values):
        return ("array", values)
    if name in CELL_COLUMNS:
        return _pack_cells(values)
    sample = addresses(values[:: max(1, len(values) // _SAMPLE)])
    if len(np.unique(sample)) > _SHARED_SHARE * len(sample):
        return ("array", values)
    by_object, _ = pd.factorize(addresses(values))
    one_each = np.empty(by_object.max() + 1, dtype=np.intp)
    one_each[by_object] = np.arange(len(values))  # a row of each distinct object
    return ("shared", values[one_each], by_object.astype(np.int32))


def _pack_cells(values: np.ndarray) -> tuple[Any, ...]:
    n = len(values)
    kinds = np.fromiter(map(type, values), dtype=object, count=n)  # alive while viewed
    cells = addresses(kinds) == id(Attributes)
    del kinds
    empty = addresses(values) == id(EMPTY)
    if not cells.any():
        return ("array", values)
    cells &= ~empty
    rest = values.copy()
    rest[cells | empty] = None
    raws = list(map(_raw, values[cells]))
    return ("cells", rest, np.flatnonzero(cells), raws, np.flatnonzero(empty))


def unpack_column(packed: tuple[Any, ...]) -> np.ndarray:
    """The column :func:`pack_column` packed (cells made again, undecoded)."""
    if packed[0] == "array":
        values: np.ndarray = packed[1]
        return values
    if packed[0] == "shared":
        distinct: np.ndarray = packed[1]
        return distinct[packed[2]]
    _, out, at, raws, empty = packed
    out[at] = np.fromiter(map(Attributes, raws), dtype=object, count=len(raws))
    out[empty] = np.fromiter(repeat(EMPTY, len(empty)), dtype=object, count=len(empty))
    return out


def dumps(value: Any) -> bytes:
    """``value`` as bytes: pickle protocol 5 (array buffers copied once), without pickle's
    memo of every object (5x faster on a column of strings; the objects repeated in a
    column were made distinct ones by :func:`pack_column`; JSON values have no cycles)."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=5)
    pickler.fast = True
    pickler.dump(value)
    return out.getvalue()


def loads(data: bytes | bytearray | memoryview) -> Any:
    """What :func:`dumps` made (only ever this process' own worker's bytes)."""
    return pickle.loads(data)  # our own forked child's output, never stored data
