"""A part of a read, as the worker sends it to the reader and the reader merges it.

The worker (:mod:`._parallel`) reads its pieces into columns (:class:`..columns._columns._Columns`)
and numbers their ids (:class:`..ids._numbering.RowIds`); :func:`pack_segment` packs each part
for the pipe (:mod:`._transfer`), the reader unpacks them (:func:`unpack_segments`) and
appends them after its own rows (:func:`merge`), as reading them itself would have.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from flink_agents_nb.eventlog.columns._columns import _Columns
from flink_agents_nb.eventlog.files._sources import LogProblem
from flink_agents_nb.eventlog.files._transfer import pack_column, packed_rows, unpack_column
from flink_agents_nb.eventlog.ids._numbering import RowIds, WorkerIds, worker_part
from flink_agents_nb.eventlog.trace import _trace


class Segment(NamedTuple):
    """What the worker read of some pieces: packed columns (:func:`._transfer.pack_column`,
    one array per column), the files they came from (their codes' categories), whether any
    record was a trace record, the problems met, the file whose tail it is (``None``:
    whole files), its rows' ids as codes per column of :data:`..ids._ids.ID_COLUMNS` (``int32``,
    the worker's numbering; ``None``: not numbered), the values this segment added to that
    numbering per family (at their codes, after the earlier segments' values) and their
    keys (see :mod:`..ids._numbering`, :mod:`..ids._strkeys`). An id column whose values
    all are strings or ``None`` is sent as its codes only (packed ``("ids", name)``)."""

    columns: dict[str, tuple[Any, ...]]
    files: list[str]
    traced: bool
    problems: list[LogProblem]
    tail_of: str | None
    ids: dict[str, np.ndarray] | None = None
    distinct: dict[str, np.ndarray] | None = None
    keys: dict[str, np.ndarray] | None = None


def rows_of(columns: _Columns) -> int:
    """How many rows ``columns`` holds."""
    return sum(len(part) for part in columns.parts["line"])


def pack_segment(
    columns: _Columns,
    problems: list[LogProblem],
    tail_of: str | None,
    ids: RowIds,
    before: dict[str, int],
    after: dict[str, int] | None = None,
) -> Segment:
    """The worker's segment of what it read into ``columns`` (emptied: each column's
    arrays go as soon as it is packed, unless kept elsewhere: see ``_parallel._work``), its
    ids numbered into ``ids`` (whose numbering held ``before`` values per family before,
    ``after`` after: see :func:`..ids._numbering.worker_part`)."""
    numbered = worker_part(ids, before, columns.parts, after)
    codes, distinct, value_keys, coded = numbered or (None, None, None, set())
    packed: dict[str, tuple[Any, ...]] = {}
    for name, parts in columns.parts.items():
        if parts and name in coded:
            packed[name] = ("ids", name)
        elif parts:
            packed[name] = pack_column(name, parts)
        parts.clear()
    return Segment(
        packed, columns.files, columns.traced, problems, tail_of, codes, distinct, value_keys
    )


def unpack_segments(
    segments: list[Segment], kept: list[Segment]
) -> tuple[list[dict[str, np.ndarray]], WorkerIds | None] | None:
    """The columns of the ``kept`` segments unpacked, and the worker's ids (checked;
    ``None``: unusable) from every segment, a dropped one's too (later segments' codes
    count its values); ``None`` when an id column sent as codes cannot be rebuilt. Raises
    when another column cannot be unpacked."""
    worker_ids = WorkerIds.of([(s.ids, s.distinct, s.keys, _rows(s)) for s in segments])
    unpacked = []
    for segment in kept:
        columns = {}
        for name, packed in segment.columns.items():
            if type(packed) is tuple and packed[:1] == ("ids",):  # sent as codes only
                if worker_ids is None or segment.ids is None or name not in segment.ids:
                    return None
                columns[name] = worker_ids.values(name, segment.ids[name])
            else:
                columns[name] = unpack_column(packed)
        unpacked.append(columns)
    return unpacked, worker_ids


def _rows(segment: Segment) -> int:
    """How many rows a segment holds (by its ``line`` column; -1: unreadable)."""
    line = segment.columns.get("line")
    return 0 if line is None else packed_rows(line)


def merge(columns: _Columns, segment: Segment, parts: dict[str, np.ndarray]) -> int:
    """Append a worker's segment (its columns unpacked: ``parts``) to ``columns`` as
    :meth:`_Columns.add` would have appended its chunks (file codes renumbered, trace
    columns filled with ``None`` where one side had no trace records); its rows."""
    n = len(parts["line"]) if "line" in parts else 0
    if not n:
        return 0
    p = columns.parts
    before = sum(len(x) for x in p["line"])
    codes = []
    for file in segment.files:
        if file not in columns.files:
            columns.files.append(file)
        codes.append(columns.files.index(file))
    parts["file"] = np.asarray(codes, dtype=np.int32)[parts["file"]]
    if segment.traced and not columns.traced and before:
        for name in _trace.TRACE_COLUMNS:
            p[name].append(np.full(before, None, dtype=object))
    for name, values in parts.items():
        p.setdefault(name, []).append(values)
    if columns.traced and not segment.traced:
        for name in _trace.TRACE_COLUMNS:
            p[name].append(np.full(n, None, dtype=object))
    columns.traced |= segment.traced
    return n
