"""A trace log's start times and final order, computed before its frame is built.

An ended action or call of a Flink Agents 0.4 Trace Log is shown at its ``started``
record's time (see :mod:`._trace_link`), which moves rows: the frame's final order is by
those times. :func:`start_times` moves them on the columns read (``_Columns.parts``) and
gives the final order, so the frame is assembled in it once (``_Columns.frame(order=...)``)
instead of being reordered after (~0.3 s of CPU per million rows).
"""

from __future__ import annotations

import copy
from typing import Any, NamedTuple

import numpy as np

from flink_agents_nb.eventlog.columns._arrays import joined
from flink_agents_nb.eventlog.ids._ids import Kinds, lookup


class Timed(NamedTuple):
    """What :func:`start_times` did before the frame was built: the rows read in their
    final order (``None``: as read), per row of that order its rank in the time order (the
    linking's "frame order"; ``None``: its position), whether there is anything to link
    (``False``: no row has an entity type), and the record and entity types as
    :class:`..ids._ids.Kinds`, per row of the final order (``None``: not made)."""

    final: np.ndarray | None
    rank: np.ndarray | None
    linked: bool
    record: Kinds | None = None
    entity: Kinds | None = None


def start_times(
    parts: dict[str, list[Any]], exec_code: np.ndarray, order: np.ndarray | None
) -> Timed:
    """:func:`link_coded`'s first step on the columns of a read before its frame is built
    (``parts``: a ``_Columns.parts`` with trace columns, rows in the order read;
    ``exec_code``: the execution ids as codes per row; ``order``: the time order, see
    ``_Columns.time_order``): ended actions and calls get their start time and duration
    (``timestamp`` and ``duration_ms`` rewritten in ``parts``), and the final order comes
    back, so the frame is built in it and never reordered (reordering a million rows of
    object columns costs ~0.3 s). Hand the frame, its ids in that order and this to
    :func:`link_coded` (``timed``)."""
    rank = inverse(order)
    entity = Kinds(joined(parts["entity_type"], object))
    if entity.all_none:  # nothing moves: the time order (ranks in it: positions)
        return Timed(order, None, False)
    record = Kinds(joined(parts["record_type"], object))
    stamps = joined(parts["timestamp"], _NS)
    has_exec = exec_code >= 0
    starts = np.flatnonzero(record.of("start") & has_exec)
    if rank is not None:
        starts = starts[np.argsort(rank[starts], kind="stable")]
    found = moved(stamps, starts, exec_code, record)
    if found is not None:
        rows, start_ns = found
        duration = joined(parts["duration_ms"], np.float64).copy()
        duration[rows] = (stamps[rows] - start_ns) / np.timedelta64(1, "ms")
        stamps = stamps.copy()
        stamps[rows] = start_ns
        parts["timestamp"], parts["duration_ms"] = [stamps], [duration]
    final = final_of(stamps, rank)
    record, entity = _in_order(record, final), _in_order(entity, final)
    if final is None:
        return Timed(None, None, True, record, entity)
    return Timed(final, final if rank is None else rank[final], True, record, entity)


def _in_order(kinds: Kinds, order: np.ndarray | None) -> Kinds:
    """``kinds`` of the rows read, for the rows in ``order`` (``None``: as read)."""
    if order is None:
        return kinds
    moved = copy.copy(kinds)
    moved.codes = kinds.codes[order]
    return moved


_NS = np.dtype("datetime64[ns]")


def inverse(order: np.ndarray | None) -> np.ndarray | None:
    """The ranks of a permutation (``rank[order[i]] == i``); ``None`` for ``None``."""
    if order is None:
        return None
    rank = np.empty(len(order), dtype=np.intp)
    rank[order] = np.arange(len(order))
    return rank


def final_of(stamps: np.ndarray, rank: np.ndarray | None) -> np.ndarray | None:
    """:func:`._trace_link._final_order` of the times ``stamps`` (``datetime64[ns]``)."""
    if rank is None:
        if _increasing(stamps):
            return None
        return np.argsort(stamps, kind="stable")
    key = stamps.view(np.int64).copy()
    key[np.isnat(stamps)] = np.iinfo(np.int64).max
    return np.lexsort((rank, key))


def _increasing(stamps: np.ndarray) -> bool:
    """Whether ``stamps`` never decrease and hold no NaT (as pandas'
    ``is_monotonic_increasing`` of the frame's times)."""
    return not np.isnat(stamps).any() and bool(np.all(stamps[1:] >= stamps[:-1]))


def moved(
    stamps: np.ndarray, starts: np.ndarray, exec_code: np.ndarray, record: Kinds
) -> tuple[np.ndarray, np.ndarray] | None:
    """The ended actions and calls that have a ``started`` record (the first of ``starts``
    with their execution id) and its time (``datetime64[ns]``); ``None``: none."""
    ended = np.flatnonzero(record.of("action", "call") & (exec_code >= 0))
    if not len(starts) or not len(ended):
        return None
    began, found = lookup(exec_code[starts], stamps[starts], exec_code[ended])
    rows = ended[found]
    if not len(rows):
        return None
    return rows, began[found].astype("datetime64[ns]")
