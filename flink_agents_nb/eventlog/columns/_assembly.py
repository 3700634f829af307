"""Assembling the record frame from the column parts the reader accumulated.

:class:`._columns._Columns` collects each column as parts, chunk by chunk, in the order read
(files one after another, the worker's part last). :func:`assemble` makes the frame of them
in its final order, building each column once: the time order comes from the numeric parts
(time, file code, line) before any object column exists; each object column's references
are moved straight into its row of the frame's one object block, in that order, without
touching the objects (:mod:`._moved`; where that declines, they are taken, pandas' C take
loop); each numeric column is taken from its parts joined in a reused scratch buffer; and
the frame is made of those blocks without copying them again. The frame built in the
order read and then taken, as before, wrote every object twice and held both frames at
once; on this VM each fresh 8 MB array also costs several ms of page faults, so fresh
arrays are kept few.

The order applied is returned, for arrays of the rows kept beside the frame (per-row codes).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.eventlog.columns._arrays import frame_of as _frame_of
from flink_agents_nb.eventlog.columns._arrays import ints as _ints
from flink_agents_nb.eventlog.columns._arrays import take_objects as _take_objects
from flink_agents_nb.eventlog.columns._moved import move_columns
from flink_agents_nb.eventlog.trace import _trace
from flink_agents_nb.run._frames import RECORD_COLUMNS

COLUMNS = RECORD_COLUMNS
_INTS = ("subtask", "seq", "input_seq", "attempt", "prompt_tokens", "completion_tokens")
_NOT_OBJECTS = (*_INTS, "timestamp", "duration_ms", "file", "line")
_OBJECTS = tuple(c for c in COLUMNS if c not in _NOT_OBJECTS)


def assemble(
    parts: dict[str, list[Any]],
    files_read: list[str],
    traced: bool,
    sort: bool = True,
    order: np.ndarray | None = None,
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The frame of the column ``parts`` (consumed: each column is taken out of the dict
    as it is built, its arrays freed then) and the permutation applied to the rows read
    (``None``: none). ``files_read`` are the file codes' names; ``traced``: the trace-only
    columns are added (last). The rows go in time order (``sort``: see :func:`time_order`),
    or in ``order`` when given (the frame's row ``i`` is row ``order[i]`` read; ``sort`` is
    then not looked at), else as read."""
    p = parts
    n = sum(len(part) for part in p["line"])
    gather = _Gather(n)
    stamps = gather.joined(p.pop("timestamp"), _NS)  # the order's key, then the column
    code = np.int8 if len(files_read) < 127 else np.int32  # int8: pandas' own (no copy)
    files = gather.joined(p.pop("file"), code)
    lines = gather.joined(p.pop("line"), np.int64)
    if order is None and sort:
        order = _time_order(stamps, files, lines, gather.scratch(np.int64))
    elif order is not None:  # an internal contract (the reader's own callers)
        assert len(order) == n, f"the order has {len(order)} rows, the columns {n}"
    gather.order = order
    names = [*_OBJECTS, *(_trace.TRACE_COLUMNS if traced else ())]  # trace ones last
    columns = [p.pop(name, []) for name in names]
    block = move_columns(columns, order, n)  # one block: no consolidation copy
    if block is None:  # (cannot move here: copies)
        block = np.empty((len(names), n), dtype=object)
        for j, column in enumerate(columns):
            gather.objects(column, block[j])
    del columns
    numeric: dict[str, Any] = {}
    for name in COLUMNS:
        if name in _OBJECTS:
            continue
        if name == "timestamp":
            numeric[name] = _utc(gather.ordered([stamps], _NS))
        elif name == "file":
            codes = gather.ordered([files], code)
            numeric[name] = pd.Categorical.from_codes(codes, categories=files_read)
        elif name == "line":
            numeric[name] = gather.ordered([lines], np.int64)
        elif name in _INTS:
            numeric[name] = _ints(gather.ordered(p.pop(name), np.float64, scratch=True))
        else:  # duration_ms
            numeric[name] = gather.ordered(p.pop(name), np.float64)
    return _framed(block, names, numeric), order


def _framed(block: np.ndarray, names: list[str], numeric: dict[str, Any]) -> pd.DataFrame:
    """The frame of the object ``block`` (one row per column ``names``) and the ``numeric``
    columns, in the frame's column order (:data:`COLUMNS`, then trace columns)."""
    order = [*(c for c in COLUMNS if c in numeric or c in names), *names[len(_OBJECTS) :]]
    return _frame_of(block, names, numeric, order)


class _Gather:
    """Puts columns of ``n`` rows, given as parts in the order read, in their final order
    (:attr:`order`, a permutation; ``None``: the order read) with as few fresh arrays as
    possible: numeric parts are joined in one reused scratch buffer."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.order: np.ndarray | None = None
        self._buffers: list[np.ndarray] = []

    def scratch(self, dtype: Any, which: int = 0) -> np.ndarray:
        """A reused buffer of ``n`` values of ``dtype`` (at most 8 bytes each): scratch
        ``which`` (its contents are those last written)."""
        while len(self._buffers) <= which:
            self._buffers.append(np.empty(self.n * 8, dtype=np.uint8))
        return self._buffers[which][: self.n * np.dtype(dtype).itemsize].view(dtype)

    def joined(self, parts: list[np.ndarray], dtype: Any) -> np.ndarray:
        """``parts`` as one array of ``dtype`` (a part itself when it is the only one: not
        to be handed out, see :meth:`ordered`)."""
        if len(parts) == 1 and parts[0].dtype == dtype:
            return parts[0]
        if not parts:
            return np.zeros(self.n, dtype=dtype)  # only when n == 0
        return np.concatenate(parts, dtype=dtype, casting="unsafe")

    def ordered(self, parts: list[np.ndarray], dtype: Any, scratch: bool = False) -> np.ndarray:
        """A column's values (``parts``, as ``dtype``, consumed) in final order: an array
        of its own, or (``scratch``) one valid until the next call that asks for scratch."""
        order = self.order
        if order is None or not self.n:
            one = parts[0] if len(parts) == 1 else None
            if one is not None and one.dtype == dtype and one.flags.owndata and one.flags.writeable:
                return one  # nothing else views its memory
            return np.concatenate(parts, dtype=dtype) if parts else np.zeros(self.n, dtype)
        if len(parts) == 1 and parts[0].dtype == dtype:
            source = parts[0]
        else:
            source = self.scratch(dtype)
            np.concatenate(parts, out=source, casting="unsafe")
        out = self.scratch(dtype, 1) if scratch else np.empty(self.n, dtype=dtype)
        return np.take(source, order, out=out, mode="clip")  # "raise" copies out first

    def objects(self, parts: list[np.ndarray], row: np.ndarray) -> None:
        """Write an object column's ``parts`` (consumed) into ``row``, in final order
        (``None`` throughout when there are none): joined, then taken into the row."""
        if not parts:
            return
        if self.order is None:
            np.concatenate(parts, out=row)
            return
        joined = parts[0] if len(parts) == 1 else np.concatenate(parts)
        del parts[:]  # the parts go as soon as they are joined
        _take_objects(joined, self.order, row)


_NS = np.dtype("datetime64[ns]")
_UTC = pd.DatetimeTZDtype("ns", "UTC")


def _utc(stamps: np.ndarray) -> Any:
    """Naive UTC ``datetime64[ns]`` values as the frame's ``datetime64[ns, UTC]`` array,
    sharing ``stamps`` (pandas' public ways copy them once more)."""
    try:
        return pd.arrays.DatetimeArray._simple_new(stamps, dtype=_UTC)
    except (AttributeError, TypeError):  # pragma: no cover - a pandas without it
        return pd.Series(stamps, dtype=_UTC).array


def _joined(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    """The parts as one array of ``dtype`` (no parts: an empty one)."""
    return _Gather(sum(len(part) for part in parts)).joined(parts, dtype)


def _time_order(
    stamps: np.ndarray, files: np.ndarray, lines: np.ndarray, key: np.ndarray | None = None
) -> np.ndarray | None:
    """:func:`time_order` of the rows whose time (``datetime64[ns]``), file code and line
    these are (``key``: a buffer of as many int64 for the time key)."""
    if key is None:
        key = np.empty(len(stamps), dtype=np.int64)
    np.copyto(key, stamps.view(np.int64))
    key[np.isnat(stamps)] = np.iinfo(np.int64).max
    if len(key) < 2:
        return None
    by_file = bool(np.all(files[1:] >= files[:-1]))
    if by_file and np.all(key[1:] >= key[:-1]):
        return None
    if by_file and np.all((lines[1:] > lines[:-1]) | (files[1:] != files[:-1])):
        # read by file then line (as the reader reads): a stable sort by time alone keeps
        # equal times in that order (a merge of the files' runs: ~5x faster than lexsort)
        return np.argsort(key, kind="stable")
    return np.lexsort((lines, files, key))


def beside(parts: dict[str, list[Any]], order: np.ndarray | None) -> dict[str, np.ndarray]:
    """The ``parts`` :func:`assemble` left (names that are not frame columns: per-row
    arrays kept beside the frame, such as id codes), each joined and put in ``order`` (the
    permutation :func:`assemble` applied; ``None``: as read)."""
    out = {}
    for name, column in parts.items():
        if column:
            joined = column[0] if len(column) == 1 else np.concatenate(column)
            out[name] = joined if order is None else joined[order]
    return out


def parts_time_order(parts: dict[str, list[Any]]) -> np.ndarray | None:
    """:func:`time_order` of the rows of the column ``parts`` (not consumed)."""
    stamps = _joined(parts["timestamp"], _NS)
    files = _joined(parts["file"], np.int32)
    return _time_order(stamps, files, _joined(parts["line"], np.int64))


def time_order(frame: pd.DataFrame) -> np.ndarray | None:
    """The permutation that puts the rows of a frame made by :func:`assemble` in
    time order (stable: by time, then file, then line; missing times last), ``None`` when
    they are in it already."""
    return _time_order(
        frame["timestamp"].to_numpy(dtype="datetime64[ns]"),
        frame["file"].cat.codes.to_numpy(),
        frame["line"].to_numpy(),
    )
