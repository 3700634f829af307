"""Path -> record frame + problems: the plain reading step under :class:`EventLog`.

:func:`load_log` reads an event-log file or a directory of them into the record frame
(columns in :mod:`flink_agents_nb.eventlog._reader`), the problems met and the files read.
It knows nothing of the views (stepper, charts, report), so they may read logs through it.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from flink_agents_nb.eventlog._lineage import check_links
from flink_agents_nb.eventlog.columns._columns import _Columns, time_order
from flink_agents_nb.eventlog.files._files import LogProblem, list_log_files
from flink_agents_nb.eventlog.files._parallel import read_files
from flink_agents_nb.eventlog.files._sources import fold_own_lines, is_otlp_file
from flink_agents_nb.eventlog.ids._ids import EventCodes
from flink_agents_nb.eventlog.ids._numbering import RowIds
from flink_agents_nb.eventlog.trace import _trace
from flink_agents_nb.eventlog.trace._trace_times import start_times
from flink_agents_nb.eventlog.typed._vocab import Vocabulary


class LoadedLog(NamedTuple):
    """What :func:`load_log` read: the record frame, the problems, the files (in order)."""

    frame: pd.DataFrame
    problems: list[LogProblem]
    files: list[str]


def load_log(
    path: str | os.PathLike[str],
    *,
    workers: int | None = None,
    min_parallel_bytes: int | None = None,
) -> LoadedLog:
    """Read an event-log file or a directory of them (merged in time order).

    Raises :class:`LogNotFoundError` (a ``FileNotFoundError``) only when ``path`` does not
    exist; bad content and broken causal links are reported in ``problems``.

    A large log is read by two processes (:mod:`._parallel`; the same result): ``workers``
    (1: one process; default: ``FLINK_AGENTS_NB_READ_WORKERS``, else 2) and
    ``min_parallel_bytes`` (the smallest log read so; default
    :data:`._parallel.MIN_PARALLEL_BYTES`) choose.
    """
    problems: list[LogProblem] = []
    text_logs: dict[str, str] = {}  # in a directory: other programs' logs holding records
    files = list_log_files("" if str(path) == "" else Path(path), problems, text_logs)
    columns = _Columns()
    vocabulary = Vocabulary()  # the typed decoders learn the log's repeated values
    gc_was_on = gc.isenabled()
    gc.disable()  # millions of new dicts, no cycles: collections would only cost time
    try:
        ids = RowIds()  # each process numbers the ids of the rows it read, as it ends
        read_files(files, columns, problems, vocabulary, workers, min_parallel_bytes, ids)
        if text_logs:  # their own lines: one problem each, not one per line
            fold_own_lines(problems, text_logs)
        del vocabulary  # its buffers (a file's size) go before the frame's peak
        row_ids = ids.codes()  # per row, in the order read; None: hashed below as before
        del ids  # its hash tables
        if row_ids is not None and any(len(c) != _rows(columns) for c in row_ids.values()):
            row_ids = None  # cannot be; hashing anew is right whatever happened
        codes = None  # the event ids as codes: check_links hashes nothing
        record = None  # the record types as Kinds (trace: made before the frame)
        if columns.traced and row_ids is not None:  # Flink Agents 0.4 Trace Log records
            # start times first, on the columns read: the frame is built in its final order
            timed = start_times(columns.parts, row_ids["execution_id"], columns.time_order())
            frame = columns.frame(sort=False, order=timed.final)
            row_ids = _taken(row_ids, timed.final)
            frame, codes = _trace.link_coded(frame, ids=row_ids, timed=timed)
            _trace.where_from_file_names(frame, own=True)
            record = timed.record
        elif columns.traced:  # (ids not numbered: the linking hashes them, sorts once)
            frame = columns.frame(sort=False)
            frame, codes = _trace.link_coded(frame, time_order(frame))
            _trace.where_from_file_names(frame, own=True)
        else:
            frame = columns.frame()
            row_ids = _taken(row_ids, columns.order)
        if codes is None and row_ids is not None:
            codes = EventCodes(row_ids["event_id"], row_ids["upstream_event_id"])
        problems.extend(check_links(frame, codes, record))
    finally:
        if gc_was_on:
            # Everything allocated meanwhile is young; the first collection after enabling
            # would walk the millions of kept attribute dicts (~0.4 s per 1M records).
            # freeze+unfreeze moves all tracked objects to the oldest generation unwalked,
            # where full collections find them as usual.
            gc.freeze()
            gc.unfreeze()
            gc.enable()
    if not len(frame) and problems:
        problems.extend(_otlp_hints(files))
    return LoadedLog(frame, problems, [str(f) for f in files])


def _otlp_hints(files: list[Path]) -> list[LogProblem]:
    """A problem for each of ``files`` (a log that gave no rows) that is an OpenTelemetry
    trace file, saying how to read it: its lines were each reported as not an event-log
    record."""
    why = "an OpenTelemetry trace file (OTLP JSON Lines), not an event log: read it with"
    why += " fa.read_otlp"
    return [LogProblem(str(file), None, why) for file in files if is_otlp_file(file)]


def _rows(columns: _Columns) -> int:
    return sum(len(part) for part in columns.parts["line"])


def _taken(
    row_ids: dict[str, np.ndarray] | None, order: np.ndarray | None
) -> dict[str, np.ndarray] | None:
    """The per-row codes ``row_ids`` (rows read) in the frame's ``order``."""
    if row_ids is None or order is None:
        return row_ids
    return {name: codes[order] for name, codes in row_ids.items()}
