"""Apache Flink Agents 0.4 Trace Log records into the columns of ``EventLog.frame``.

A 0.4 record (``traces-{jobId}-{taskName}-{subtaskId}.log`` or the SLF4J
``*.trace-log.log``) is one JSON object a line::

    {"timestamp", "detail", "inputRunId", "businessKey", "agentName", "entityType",
     "entityName", "executionId", "parentExecutionId", "entityMetadata": {"eventId",
     "producerExecutionId", "upstreamEventId", "upstreamActionName", "triggerEventId",
     "model", ...}, "status", "problemCategory", "attributes"}

Each record stays one row. Where it lands in the frame's columns:

============== ========================================================================
record_type    ``event`` for ``entityType`` ``event``; ``action`` for an action that
               ended (``success``, ``failed``, ``reused``); ``call`` for any other
               entity (``llm``, ``tool``, ``parser``, ...) that ended; ``start`` for a
               ``started`` record of any entity
status         ``success`` -> ``ok``, ``failed`` -> ``failed``, ``reused`` ->
               ``replayed``, ``started`` -> ``started``; events (``created``): ``None``
key            ``businessKey``
event_id       events: ``entityMetadata.eventId``; actions: the handled event
               (``triggerEventId``); calls: their action's handled event
event_type     events: ``entityName``; actions and calls: the handled event's type
action         actions: ``entityName``; calls: the name of the action around them
timestamp      actions and calls that ended: the time of their ``started`` record when
               the log has it (as our action records: start time), else their own
duration_ms    from the ``started``/ended pair of one ``executionId``
input_seq      the input runs (``inputRunId``) numbered in order of their first record
model          llm records: ``entityMetadata.model``; a ``_chat_response_event``
               without one: the model of the llm call made by the action that sent it
error          failed records: ``attributes.error`` (or ``message``), else
               ``problemCategory``
attributes     the record's attributes (actions: with ``sentEventIds``, the events
               the execution sent)
============== ========================================================================

and seven columns only a trace log has (appended after ``line``): ``run_id``
(``inputRunId``), ``entity_type``, ``entity_name``, ``execution_id``,
``parent_execution_id`` (events: the producing execution when the record has no parent),
``problem_category`` and ``agent_name`` (``agentName``: the agent whose work the record
is, a sub-agent's inside its caller's run; ``None`` in records without one). Nothing here
raises on bad records: a record whose ``entityType`` is not a string is reported and
skipped; odd values elsewhere read as missing. What needs other records of the log
(durations and start times from ``started``/ended pairs, handled event types, actions
around calls, sent events, input numbers) is filled after reading, column-wise, by
:func:`link` (:mod:`._trace_link`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd
from pandas._libs.lib import to_object_array_tuples

from flink_agents_nb.eventlog.columns._arrays import is_none, take_objects
from flink_agents_nb.eventlog.files._foreign import LOG_SUFFIX
from flink_agents_nb.eventlog.trace._trace_link import _Column
from flink_agents_nb.eventlog.trace._trace_link import link as link  # the reader's entry point
from flink_agents_nb.eventlog.trace._trace_link import link_coded as link_coded

#: The columns a trace log adds to the frame, in order.
TRACE_COLUMNS = (
    "run_id",
    "entity_type",
    "entity_name",
    "execution_id",
    "parent_execution_id",
    "problem_category",
    "agent_name",
)
#: 0.4 record fields the reader decodes (beside ``timestamp``, ``status``, ``attributes``);
#: ``model`` is no record field: the conversion puts ``entityMetadata.model`` there.
TRACE_FIELDS = (
    "inputRunId",
    "businessKey",
    "agentName",
    "entityType",
    "entityName",
    "executionId",
    "parentExecutionId",
    "entityMetadata",
    "problemCategory",
    "model",
)
_STATUS = {"success": "ok", "failed": "failed", "reused": "replayed", "started": "started"}
_ENDED = ("success", "failed", "reused")


def _only_str(values: np.ndarray) -> np.ndarray:
    """``values`` (object, 1-D or 2-D) with ``None`` for what is not a str (C-level type
    checks; a copy only when something is replaced)."""
    flat = values.reshape(-1)
    kinds = np.fromiter(map(type, flat.tolist()), dtype=object, count=len(flat))
    bad = kinds != str  # noqa: E721 - elementwise over an array of types
    if not bad.any():
        return values
    out = flat.copy()
    out[bad] = None
    return out.reshape(values.shape)


def _categories(values: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Codes and distinct values of a column of few distinct values (types, statuses);
    unhashable values (junk) count as one ``None`` category."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        return codes, list(uniques)
    except TypeError:
        clean = _only_str(values)
        codes, uniques = pd.factorize(clean, use_na_sentinel=False)
        return codes, list(uniques)


_META = ("eventId", "triggerEventId", "upstreamEventId", "upstreamActionName",
         "producerExecutionId", "model")  # fmt: skip
_NO_META = (None,) * len(_META)


def _objects(values: Any) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def convert(table: np.ndarray, fields: dict[str, int], rows: np.ndarray) -> list[str | None]:
    """Rewrite the trace records at ``rows`` of a chunk's field ``table`` (in place) into the
    fields our own records use; return, per row, ``None`` or why the record is unusable.

    Column-wise: one pass over the ``entityMetadata`` dicts, numpy for the rest."""
    sub = table[rows]

    def col(name: str) -> np.ndarray:
        return sub[:, fields[name]]

    business = _business_events(sub, fields)
    if business.any():  # pre-0.4 flat records: make them read as 0.4 event records
        _as_event_records(table, fields, rows[business])
        sub = table[rows]
    type_codes, kinds = _categories(col("entityType"))
    usable = np.array([type(k) is str and k != "" for k in kinds], dtype=bool)[type_codes]
    is_event = type_codes == (kinds.index("event") if "event" in kinds else -1)
    is_action = type_codes == (kinds.index("action") if "action" in kinds else -1)
    stat_codes, stats = _categories(col("status"))
    stats = [v if type(v) is str else None for v in stats]
    ended = np.array([v in _ENDED for v in stats], dtype=bool)[stat_codes]
    failed_rows = np.array([v == "failed" for v in stats], dtype=bool)[stat_codes]
    rtype = np.where(
        is_event, "event", np.where(ended, np.where(is_action, "action", "call"), "start")
    )
    status = _objects([_STATUS.get(v, v) if v is not None else None for v in stats])[stat_codes]
    status[is_event] = None
    metas = col("entityMetadata").tolist()
    meta = to_object_array_tuples(
        [
            (m.get("eventId"), m.get("triggerEventId"), m.get("upstreamEventId"),
             m.get("upstreamActionName"), m.get("producerExecutionId"), m.get("model"))
            if type(m) is dict
            else _NO_META
            for m in metas
        ]
    ).reshape(len(metas), len(_META))  # fmt: skip
    meta = _only_str(meta)
    names = _only_str(col("entityName"))
    parent = _only_str(col("parentExecutionId"))
    event_id = np.where(is_event, meta[:, 0], meta[:, 1])
    if business.any():  # their ids and lineage are top-level fields
        event_id[business] = _only_str(col("eventId")[business])
        meta[business, 2] = _only_str(col("upstreamEventId")[business])
        meta[business, 3] = _only_str(col("upstreamActionName")[business])
    orphan = is_event & pd.isna(parent)  # an event's parent: the execution that sent it
    parent[orphan] = meta[orphan, 4]
    error = np.full(len(rows), None, dtype=object)
    failed = np.flatnonzero(failed_rows)
    if len(failed):
        attrs, categ = col("attributes").copy(), _only_str(col("problemCategory"))
        flat = pd.isna(attrs)  # pre-0.4 lifecycle records: ``eventAttributes``
        attrs[flat] = col("eventAttributes")[flat]
        error[failed] = [_error_of(attrs[i], categ[i]) for i in failed.tolist()]
    nothing = np.full(len(rows), None, dtype=object)
    for name, values in (
        ("recordType", rtype.astype(object)),
        ("status", status),
        ("eventId", event_id),
        ("eventType", np.where(is_event, names, nothing)),
        ("actionName", np.where(is_action, names, nothing)),
        ("upstreamEventId", meta[:, 2]),
        ("upstreamActionName", meta[:, 3]),
        ("parentExecutionId", parent),
        ("error", error),
        ("key", col("businessKey")),
        ("model", meta[:, 5]),
    ):
        table[rows, fields[name]] = values
    why = "not a trace record (entityType is not a non-empty string)"
    if usable.all():
        return [None] * len(rows)
    return [None if ok else why for ok in usable.tolist()]


def _error_of(attrs: Any, category: Any) -> Any:
    """A failed record's error: ``attributes.error`` (or ``message``), else Flink Agents'
    ``errorType: errorMessage`` (either alone when only one is there), else ``category``."""
    message = None
    if isinstance(attrs, Mapping):  # lazily decoded attributes too
        message = attrs.get("error", attrs.get("message"))
        if message is None:
            kind, text = attrs.get("errorType"), attrs.get("errorMessage")
            message = f"{kind}: {text}" if kind and text is not None else (text or kind)
    return message if message is not None else category


#: Event types of the execution lifecycle records written before 0.4 (with
#: ``event-log.trace.enabled``): they are entity records; other events are events.
LIFECYCLE_TYPES = frozenset(
    {"_execution_started_event", "_execution_finished_event", "_execution_failed_event",
     "_execution_reused_event"}
)  # fmt: skip


def _business_events(sub: np.ndarray, fields: dict[str, int]) -> np.ndarray:
    """Which rows of ``sub`` are events in Flink Agents' pre-0.4 flat form with trace
    context (``eventType`` beside ``inputRunId``/``entityType``; main of 2026-08, Agent
    Trace in the Event Log): an event's record carries the context of the action
    execution that sent it (``executionId``, ``entityType`` ``action``), not its own."""
    types = sub[:, fields["eventType"]]
    flat = np.fromiter(map(type, types.tolist()), dtype=object, count=len(types)) == str  # noqa: E721 - elementwise
    if not flat.any():
        return flat
    flat[flat] = [t not in LIFECYCLE_TYPES for t in types[flat].tolist()]
    return flat


def _as_event_records(table: np.ndarray, fields: dict[str, int], rows: np.ndarray) -> None:
    """Rewrite the pre-0.4 flat event records at ``rows`` in place into the 0.4 event
    record's fields: entity ``event`` named by the event type, no execution of its own,
    the sending execution as its parent (ids and lineage stay top-level)."""
    sender = table[rows, fields["executionId"]]
    table[rows, fields["entityType"]] = "event"
    table[rows, fields["entityName"]] = table[rows, fields["eventType"]]
    table[rows, fields["parentExecutionId"]] = sender
    table[rows, fields["executionId"]] = None
    table[rows, fields["entityMetadata"]] = None


def trace_columns(table: np.ndarray, fields: dict[str, int]) -> dict[str, np.ndarray]:
    """The trace-only columns of a (converted) chunk table; ``None`` where absent or not a
    string (a list or an object there read as missing, as elsewhere in a trace record)."""
    out = {}
    for column, field in zip(
        TRACE_COLUMNS,
        (
            "inputRunId",
            "entityType",
            "entityName",
            "executionId",
            "parentExecutionId",
            "problemCategory",
            "agentName",
        ),
        strict=True,
    ):
        out[column] = _only_str(table[:, fields[field]]).copy()
    return out


#: ``traces-{jobId}-{taskName}-{subtaskId}.log`` (and the pre-0.4 ``events-``): the subtask
#: ends it for sure; where the job ends is told by :func:`job_and_task`. Gzip and rotated
#: copies (``.log.gz``, ``.log.1``) too: the suffixes the directory listing takes
#: (:data:`.._foreign.LOG_SUFFIX`).
_FILE_NAME = re.compile(r"(?:traces|events)-(.+)-(\d+)" + LOG_SUFFIX)
#: A Flink job id (``JobID``'s hex form: what upstream's writers and the kit's Flink jobs put
#: in the name), then the task name (Flink's, which may hold dashes and spaces).
_FLINK_JOB = re.compile(r"([0-9a-f]{32})-(.+)")
#: The kit's local runs: task ``local``; the job (a run id ``run-YYYYmmddTHHMMSS-xxxxxx``, a
#: job name or a user's ``job-identifier``) may hold dashes.
_LOCAL_RUN = re.compile(r"(.+)-(local)")


def job_and_task(middle: str) -> tuple[str | None, str | None]:
    """The job and the task in the ``{jobId}-{taskName}`` part of a trace file name, where
    they can be told apart: a Flink job id (32 hex digits) first, the kit's local task
    ``local`` last, or a single dash between them. Otherwise (dashes in both, say a
    user's ``job-identifier`` beside a task name with dashes) ``(None, None)``: the name
    cannot say where the job ends, and a guess would put wrong values in the frame."""
    for form in (_FLINK_JOB, _LOCAL_RUN):
        found = form.fullmatch(middle)
        if found is not None:
            return found[1], found[2]
    job, dash, task = middle.partition("-")
    if dash and job and task and "-" not in task:
        return job, task
    return None, None


def where_from_file_names(frame: pd.DataFrame, own: bool = False) -> None:
    """Rows without ``job``/``task``/``subtask`` get them from a
    ``traces-{jobId}-{taskName}-{subtaskId}.log`` file name (0.4 FILE records do not carry
    them), as far as the name tells them (:func:`job_and_task`; the subtask always). A
    record's own ``jobId``/``taskName``/``subtaskId`` (the SLF4J form) wins. Column-wise:
    each file name is matched once, rows take their file's values by code.
    ``own``: the frame is the reader's own, written in place where pandas lets it (its
    object block stays one block; else each filled column is a copy set back)."""
    if "file" not in frame.columns or not len(frame):
        return
    codes = frame["file"].cat.codes.to_numpy()  # -1 (no file): the last slot, nothing
    names = [_FILE_NAME.fullmatch(PurePath(str(n)).name) for n in frame["file"].cat.categories]
    if not any(names):
        return
    parts = [(None, None) if m is None else job_and_task(m[1]) for m in names]
    for group, column in ((0, "job"), (1, "task")):
        per_file = np.empty(len(names) + 1, dtype=object)
        per_file[:] = [part[group] for part in parts] + [None]
        missing = is_none(frame[column].to_numpy()) & ~is_none(per_file)[codes]
        if not missing.any():
            continue
        with _Column(frame, column, own) as values:
            if missing.all():  # (0.4 logs: every row) one pass, pandas' C take loop
                take_objects(per_file, np.where(codes < 0, len(names), codes), values)
            else:
                values[missing] = per_file[codes[missing]]
    subtasks = np.array([-1 if m is None else int(m[2]) for m in names] + [-1], dtype=np.int64)
    given = frame["subtask"].array
    missing = given.isna() & (subtasks[codes] >= 0)
    if not missing.any():
        return
    if own and type(given) is pd.arrays.IntegerArray:  # the frame's own array: in place
        given._data[missing] = subtasks[codes[missing]]
        given._mask[missing] = False
        return
    given = given.astype("Int64")
    data, mask = given.to_numpy(dtype=np.int64, na_value=0), given.isna()
    data[missing] = subtasks[codes[missing]]
    mask[missing] = False
    frame["subtask"] = pd.arrays.IntegerArray(data, mask)
