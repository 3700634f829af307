"""Turning parsed event-log records into the columns of ``EventLog.frame``.

See :mod:`flink_agents_nb.eventlog._reader` for the columns and their meaning. Records are
processed chunk by chunk, column-wise: C-speed passes (msgspec's ``astuple``, pandas'
``to_object_array_tuples``) lay a chunk's records out as a 2-D object array of the fields any
accepted shape uses (a missing field is NaN, a JSON ``null`` is ``None``), and every column
is then derived from it with vectorised operations. Only the rare shapes need per-record
Python work: Flink Agents 0.3.1 nested records (flattened first), records that are not
objects (reported), action attributes (one dict per action) and token usage (only for
records whose text mentions tokens).
Repeated strings are shared to keep memory down. Chunks of one common shape (ours, 0.3.1
nested, 0.4 trace) that decode with the expected JSON types take the typed path instead
(:mod:`.typed._typed`, :mod:`.typed._typed_columns`), which gives the same columns.
"""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np
import pandas as pd
from pandas._libs.lib import infer_dtype, to_object_array_tuples

from flink_agents_nb.eventlog._shapes import NESTED_SKIP, nested_plain
from flink_agents_nb.eventlog._usage import usage_columns
from flink_agents_nb.eventlog.columns._arrays import floats as _floats
from flink_agents_nb.eventlog.columns._arrays import none as _none
from flink_agents_nb.eventlog.columns._arrays import nones as _nones
from flink_agents_nb.eventlog.columns._arrays import objects as _objects
from flink_agents_nb.eventlog.columns._arrays import shared as _shared
from flink_agents_nb.eventlog.columns._arrays import timestamps as _timestamps
from flink_agents_nb.eventlog.columns._assembly import (
    COLUMNS as COLUMNS,  # the column names, in order
)
from flink_agents_nb.eventlog.columns._assembly import assemble, beside, parts_time_order
from flink_agents_nb.eventlog.columns._assembly import time_order as time_order  # re-exported
from flink_agents_nb.eventlog.files._records import (
    MISSING,
    RECORD_FIELDS,
    FileRecords,
    LogRecord,
    as_record,
    present_fields,
)
from flink_agents_nb.eventlog.files._sources import LogProblem
from flink_agents_nb.eventlog.trace import _trace
from flink_agents_nb.eventlog.typed._typed_columns import typed_columns

try:  # C loop over dicts: row i, column j = dicts[i].get(columns[j], NaN)
    from pandas._libs.lib import dicts_to_array as _dicts_to_array
except ImportError:  # pragma: no cover - a pandas without it: the same in Python

    def _dicts_to_array(dicts: list[dict[str, Any]], columns: list[str]) -> np.ndarray:
        out = np.empty((len(dicts), len(columns)), dtype=object)
        for j, name in enumerate(columns):
            out[:, j] = [d.get(name, np.nan) for d in dicts]
        return out


_astuple = msgspec.structs.astuple

_NESTED_SKIP = NESTED_SKIP
_ACTION_FIELDS = ("attempt", "error", "sentEventIds", "memoryWrites")


def _from_nested(rec: dict[str, Any]) -> dict[str, Any]:
    """A Flink Agents 0.3.1 nested record as a flat one."""
    event = rec["event"]
    attrs = event.get("attributes")
    attrs = dict(attrs) if isinstance(attrs, dict) else {}
    for name, value in event.items():  # old Python events keep fields beside attributes
        if name not in _NESTED_SKIP and name not in attrs:
            attrs[name] = value
    return {
        "timestamp": rec.get("timestamp"),
        "recordType": "event",
        "eventId": event.get("id"),
        "eventType": event.get("eventType") or event.get("type") or rec.get("eventType"),
        "upstreamEventId": event.get("upstreamEventId", rec.get("upstreamEventId")),
        "upstreamActionName": event.get("upstreamActionName", rec.get("upstreamActionName")),
        "eventAttributes": attrs,
        "key": rec.get("key"),
        "jobId": rec.get("jobId"),
        "taskName": rec.get("taskName"),
        "subtaskIndex": rec.get("subtaskIndex", rec.get("subtaskId")),
    }


_FIELDS = RECORD_FIELDS
_F = {name: j for j, name in enumerate(_FIELDS)}


#: Object columns taken as they are: column name -> record field.
_PLAIN = {
    "job": "jobId",
    "task": "taskName",
    "key": "key",
    "event_id": "eventId",
    "event_type": "eventType",
    "upstream_event_id": "upstreamEventId",
    "upstream_action": "upstreamActionName",
    "action": "actionName",
    "status": "status",
    "error": "error",
}
#: Columns whose values repeat a lot: their equal strings are made one object (memory).
_SHARED = ("record_type", "job", "task", "key", "event_type", "upstream_action", "action",
           "status")  # fmt: skip


def _absent(column: np.ndarray) -> np.ndarray:
    """Where a table column has no value: the field was missing (NaN), not ``null``."""
    return pd.isna(column) & (column != None)  # noqa: E711 - elementwise, not identity


class _Columns:
    """Column arrays accumulated chunk by chunk (each chunk's records are freed after it)."""

    def __init__(self) -> None:
        self.parts: dict[str, list[Any]] = {c: [] for c in (*COLUMNS, *_trace.TRACE_COLUMNS)}
        self.files: list[str] = []
        self.traced = False  # whether any record was a 0.4 trace record
        #: the permutation :meth:`frame` applied to the rows read (``None``: none)
        self.order: np.ndarray | None = None
        #: per-row arrays kept beside the frame: parts added under names that are not frame
        #: columns (appended chunk by chunk like the columns), joined in the frame's order
        #: by :meth:`frame`
        self.beside: dict[str, np.ndarray] = {}

    def add(self, chunk: FileRecords, problems: list[LogProblem]) -> None:
        recs, lines, hints = chunk.records, chunk.lines, chunk.hints
        if not recs:
            return
        if chunk.kind is not None:  # one known shape, decoded typed: columns straight away
            self._note_file(chunk.file, lines)
            self.traced |= chunk.kind == "trace"
            self._append(*typed_columns(chunk.kind, recs), share=False)
            return
        if len(set(map(type, recs))) != 1 or type(recs[0]) is not LogRecord:
            recs, lines = self._objects_only(chunk, problems)
            hints = None
            if not recs:
                return
        table = to_object_array_tuples(list(map(_astuple, recs)))
        trace_rows = np.flatnonzero(  # (pre-0.4 flat events with trace context too)
            ~pd.isna(table[:, _F["entityType"]])
            | (~pd.isna(table[:, _F["inputRunId"]]) & ~pd.isna(table[:, _F["eventType"]]))
        )
        trace_bad: dict[int, str] = {}
        if len(trace_rows):  # Flink Agents 0.4 Trace Log records
            self.traced = True
            reasons = _trace.convert(table, _F, trace_rows)
            trace_bad = {
                int(r): why for r, why in zip(trace_rows, reasons, strict=True) if why is not None
            }
        rtypes = table[:, _F["recordType"]]
        known = (rtypes == "event") | (rtypes == "action")
        if len(trace_rows):
            known |= (rtypes == "start") | (rtypes == "call")
            for r in trace_bad:
                known[r] = False
        has_event = ~pd.isna(table[:, _F["event"]])
        if has_event.any():  # Flink Agents 0.3.1 nested records: the plain ones column-wise
            nested = np.flatnonzero(has_event)
            converted = nested[nested_plain(table, nested)]
            has_event[converted] = False
            known[converted] = True  # now plain event records
        if has_event.any() or not known.all():  # other shapes: look at those one by one
            keep = np.ones(len(recs), dtype=bool)
            fixed: list[dict[str, Any]] = []
            fixed_rows: list[int] = []
            for i in (has_event | ~known).nonzero()[0].tolist():
                rec = recs[i]
                if type(rec.event) is dict:
                    fixed.append(_from_nested(present_fields(rec)))
                    fixed_rows.append(i)
                    continue
                if i in trace_bad:
                    problems.append(LogProblem(chunk.file, lines[i], trace_bad[i]))
                    keep[i] = False
                elif rec.eventType is MISSING and rec.recordType is MISSING:
                    reason = "not an event-log record (no eventType, recordType or event)"
                    problems.append(LogProblem(chunk.file, lines[i], reason))
                    keep[i] = False
            if fixed:
                table[fixed_rows] = _dicts_to_array(fixed, list(_FIELDS))
            if not keep.all():
                table = table[keep]
                lines = np.asarray(lines, dtype=np.int64)[keep]
                hints = None
                if not len(table):
                    return
        del recs  # the records themselves are no longer needed
        _fix_identities(table, chunk.file, lines, problems)
        self._note_file(chunk.file, lines)
        self._extract(table, hints)

    def _note_file(self, file: str, lines: Any) -> None:
        """Append the ``file`` and ``line`` columns of a chunk's rows."""
        if file not in self.files:
            self.files.append(file)
        code = self.files.index(file)
        self.parts["file"].append(np.full(len(lines), code, dtype=np.int32))
        self.parts["line"].append(np.asarray(lines, dtype=np.int64))

    @staticmethod
    def _objects_only(
        chunk: FileRecords, problems: list[LogProblem]
    ) -> tuple[list[Any], list[int]]:
        """The chunk's records that are JSON objects, as :data:`LogRecord` (the others are
        reported)."""
        recs: list[Any] = []
        lines: list[int] = []
        for rec, line in zip(chunk.records, chunk.lines, strict=True):
            if type(rec) is LogRecord:
                recs.append(rec)
                lines.append(line)
            elif type(rec) is dict:
                recs.append(as_record(rec))
                lines.append(line)
            else:
                reason = f"not an event-log record (a JSON {type(rec).__name__}, not an object)"
                problems.append(LogProblem(chunk.file, line, reason))
        return recs, lines

    def _extract(self, table: np.ndarray, hints: list[int] | None) -> None:
        n = len(table)

        def col(field: str) -> np.ndarray:
            return table[:, _F[field]]

        # Fallbacks apply where a field is missing, not where it is null.
        attrs = col("eventAttributes").copy()
        fallback = col("attributes")
        if pd.notna(fallback).any():
            missing = _absent(attrs)
            attrs[missing] = fallback[missing]
        subtask = col("subtaskIndex").copy()
        alt = col("subtaskId")
        if pd.notna(alt).any():
            missing = _absent(subtask)
            subtask[missing] = alt[missing]
        # Missing fields are NaN in the table; the frame holds None for missing and null
        # (shared columns get None from _shared).
        attrs[pd.isna(attrs)] = None
        rtypes = col("recordType")
        is_event = rtypes == "event"
        is_action = rtypes == "action"
        if (is_event | is_action).all():  # ours: two values, no hashing needed
            rtypes = np.full(n, "action", dtype=object)
            rtypes[is_event] = "event"
        else:  # ``recordType`` absent or odd: falsy -> event
            rtypes = _shared(_objects([_none(value) or "event" for value in rtypes.tolist()]))
            is_event = rtypes == "event"
            is_action = rtypes == "action"
        traced = ~pd.isna(col("entityType"))
        acts = (is_action & ~traced).nonzero()[0]
        if len(acts):  # an action's attributes: its attempt, error, sent events and writes
            fields = []
            for name in _ACTION_FIELDS:
                values = table[acts, _F[name]]
                values[pd.isna(values)] = None
                fields.append(values.tolist())
            attrs[acts] = _objects(
                [
                    {"attempt": a, "error": e, "sentEventIds": s, "memoryWrites": m}
                    for a, e, s, m in zip(*fields, strict=True)
                ]
            )
        prompt, completion, model = usage_columns(attrs, is_event, hints)
        if traced.any():  # a trace record's own model (llm records) where none was found
            own = col("model")
            use = traced & pd.isna(model) & ~pd.isna(own)
            model[use] = own[use]
        cols = {
            "timestamp": _timestamps(col("timestamp").tolist()),
            "attributes": attrs,
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "subtask": _floats(subtask),
            "duration_ms": _floats(col("durationNs")) / 1e6,
            "seq": _floats(col("seq")),
            "input_seq": _floats(col("inputSeq")),
            "attempt": _floats(col("attempt")),
            "record_type": rtypes,
            "model": model,  # its strings are the attributes' own
        }
        for name, field in _PLAIN.items():
            values = col(field)
            cols[name] = _shared(values) if name in _SHARED else _nones(values)
        trace = _trace.trace_columns(table, _F) if self.traced else None
        self._append(cols, trace)

    def _append(
        self, cols: dict[str, np.ndarray], trace: dict[str, np.ndarray] | None, share: bool = True
    ) -> None:
        """Append a chunk's columns (every frame column but ``file`` and ``line``, already
        appended) and, when given, its trace-only columns (``None``: not a trace chunk;
        ``share``: their values are to be made shared, else they are already)."""
        p = self.parts
        for name, values in cols.items():
            p[name].append(values)
        n = len(cols["record_type"])
        if self.traced:
            before = sum(len(x) for x in p["line"]) - n  # rows of earlier chunks
            done = sum(len(x) for x in p["run_id"])
            if done < before:  # the first trace records came after other records
                for name in _trace.TRACE_COLUMNS:
                    p[name].append(np.full(before - done, None, dtype=object))
            for name in _trace.TRACE_COLUMNS:
                if trace is None:
                    p[name].append(np.full(n, None, dtype=object))
                    continue
                values = trace[name]
                p[name].append(_shared(values) if share and name != "execution_id" else values)

    def time_order(self) -> np.ndarray | None:
        """The permutation that puts the rows added so far in time order (see
        :func:`time_order`), from the numeric parts alone: callable before :meth:`frame`,
        whose ``order`` it may be given as."""
        return parts_time_order(self.parts)

    def frame(self, sort: bool = True, order: np.ndarray | None = None) -> pd.DataFrame:
        """The frame of every chunk added (consumed: call once), in time order (``sort``;
        else in the order read: see :func:`time_order`), or in ``order`` when given (a
        permutation of the rows read: the frame's row ``i`` is row ``order[i]`` read;
        ``sort`` is then not looked at). :attr:`order` is then the permutation applied
        (``None``: the order read), and :attr:`beside` the other per-row parts in the
        frame's order. Each column is assembled once, in its final order
        (:func:`._assembly.assemble`)."""
        parts, self.parts = self.parts, {}
        frame, self.order = assemble(parts, self.files, self.traced, sort, order)
        self.beside = beside(parts, self.order)  # what the frame did not take
        return frame


#: Fields that identify or group records: they must be scalars (a list or object there would
#: break grouping, lineage and the stepper).
_IDENTITY_FIELDS = (
    "key",
    "eventId",
    "upstreamEventId",
    "eventType",
    "actionName",
    "upstreamActionName",
    "status",
    "jobId",
    "taskName",
    "recordType",
)
_SCALAR_KINDS = {"string", "integer", "floating", "boolean", "empty", "mixed-integer-float"}


def _fix_identities(table: np.ndarray, file: str, lines: Any, problems: list[LogProblem]) -> None:
    """Replace a list or object in an identity field by its JSON text (in place), listing a
    problem with file and line; the record is kept. A C-speed type check per column; the
    per-value scan runs only for columns that hold something other than plain scalars."""
    for field in _IDENTITY_FIELDS:
        column = table[:, _F[field]]
        if infer_dtype(column, skipna=True) in _SCALAR_KINDS:
            continue
        for i, value in enumerate(column.tolist()):
            if isinstance(value, (list, dict)):
                kind = "a list" if isinstance(value, list) else "an object"
                text = msgspec.json.encode(value).decode("utf-8", "replace")
                table[i, _F[field]] = text if len(text) <= 200 else text[:200] + "..."
                problems.append(
                    LogProblem(
                        file,
                        int(lines[i]),
                        f"{field} is {kind}, not a string or number; kept as its JSON text",
                    )
                )
