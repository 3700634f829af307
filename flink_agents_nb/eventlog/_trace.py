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

and six columns only a trace log has (appended after ``line``): ``run_id``
(``inputRunId``), ``entity_type``, ``entity_name``, ``execution_id``,
``parent_execution_id`` (events: the producing execution when the record has no parent)
and ``problem_category``. Nothing here raises on bad records: a record whose
``entityType`` is not a string is reported and skipped; odd values elsewhere read as
missing.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd
from pandas._libs.lib import to_object_array_tuples

#: The columns a trace log adds to the frame, in order.
TRACE_COLUMNS = (
    "run_id",
    "entity_type",
    "entity_name",
    "execution_id",
    "parent_execution_id",
    "problem_category",
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
    orphan = is_event & pd.isna(parent)  # an event's parent: the execution that sent it
    parent[orphan] = meta[orphan, 4]
    error = np.full(len(rows), None, dtype=object)
    failed = np.flatnonzero(failed_rows)
    if len(failed):
        attrs, categ = col("attributes"), _only_str(col("problemCategory"))
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
    message = None
    if type(attrs) is dict:
        message = attrs.get("error", attrs.get("message", attrs.get("errorMessage")))
    return message if message is not None else category


def trace_columns(table: np.ndarray, fields: dict[str, int]) -> dict[str, np.ndarray]:
    """The trace-only columns of a (converted) chunk table; ``None`` where absent."""
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
        ),
        strict=True,
    ):
        values = table[:, fields[field]].copy()
        values[pd.isna(values)] = None
        out[column] = values
    return out


def _find(
    keys: np.ndarray, values: np.ndarray, query: np.ndarray, last: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``values`` by ``keys`` (the first, or last, of equal keys; missing keys never match)
    looked up at ``query``: (values, found mask; values where not found are arbitrary).
    One hash pass over keys and query together."""
    if not len(keys) or not len(query):
        return np.empty(len(query), dtype=values.dtype), np.zeros(len(query), dtype=bool)
    codes, uniques = pd.factorize(np.concatenate([keys, query]), use_na_sentinel=True)
    key_codes, query_codes = codes[: len(keys)], codes[len(keys) :]
    at = np.full(len(uniques) + 1, -1, dtype=np.int64)  # slot -1: missing query keys
    step = -1 if last else 1
    ordered = key_codes[::step]
    distinct, where = np.unique(ordered, return_index=True)  # first occurrence of each
    positions = np.arange(len(keys))[::step][where]
    ok = distinct >= 0
    at[distinct[ok]] = positions[ok]
    pos = at[query_codes]
    found = pos >= 0
    return values[np.where(found, pos, 0)], found


def link(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill what needs other records of the log: durations and start times from
    started/ended pairs, handled event types, actions around calls, models of chat
    responses, events sent per action, input numbers. Returns the frame (re-sorted by time
    when start times moved rows). Column-wise: hash lookups, no per-row Python but the
    per-action lists of sent events."""
    if "execution_id" not in frame.columns or frame["entity_type"].isna().all():
        return frame
    rtype = frame["record_type"].to_numpy()
    etype = frame["entity_type"].to_numpy()
    execs = frame["execution_id"].to_numpy()
    has_exec = pd.notna(execs)
    stamps = frame["timestamp"].to_numpy(dtype="datetime64[ns]")
    starts = np.flatnonzero((rtype == "start") & has_exec)
    ended = np.flatnonzero(((rtype == "action") | (rtype == "call")) & has_exec)
    if len(starts) and len(ended):
        began, found = _find(execs[starts], stamps[starts], execs[ended])
        rows = ended[found]
        if len(rows):
            start_ns = began[found].astype("datetime64[ns]")
            duration = frame["duration_ms"].to_numpy().copy()
            duration[rows] = (stamps[rows] - start_ns) / np.timedelta64(1, "ms")
            frame["duration_ms"] = duration
            stamps = stamps.copy()
            stamps[rows] = start_ns
            frame["timestamp"] = pd.Series(stamps).dt.tz_localize("UTC").array
    event_ids = frame["event_id"].to_numpy()
    events = np.flatnonzero(rtype == "event")
    others = np.flatnonzero(rtype != "event")
    types = frame["event_type"].to_numpy().copy()
    # Calls (and starts of calls): the action execution around them, and its handled event.
    acts = np.flatnonzero((etype == "action") & has_exec)
    inner = np.flatnonzero((rtype != "event") & (etype != "action"))
    if len(acts) and len(inner):
        names = frame["entity_name"].to_numpy()
        parents = frame["parent_execution_id"].to_numpy()[inner]
        action_col = frame["action"].to_numpy().copy()
        found_names, found = _find(execs[acts], names[acts], parents)
        action_col[inner[found]] = found_names[found]
        frame["action"] = action_col
        handled, found = _find(execs[acts], event_ids[acts], parents)
        event_ids = event_ids.copy()
        event_ids[inner[found]] = handled[found]
        frame["event_id"] = event_ids
    if len(others):
        handled_types, found = _find(event_ids[events], types[events], event_ids[others])
        types[others] = handled_types
        types[others[~found]] = None
        frame["event_type"] = types
    _models_of_responses(frame, rtype, etype)
    _sent_events(frame, rtype, events, execs)
    if not frame["timestamp"].is_monotonic_increasing:
        order = np.argsort(frame["timestamp"].to_numpy(dtype="datetime64[ns]"), kind="stable")
        frame = frame.take(order)
        frame.index = pd.RangeIndex(len(frame))
    # input_seq: the input runs numbered in order of their first record (views select by it)
    runs = frame["run_id"]
    missing = frame["input_seq"].isna().to_numpy() & runs.notna().to_numpy()
    if missing.any():
        codes, _ = pd.factorize(runs)
        seqs = frame["input_seq"].to_numpy(dtype=float, na_value=np.nan)
        seqs[missing] = codes[missing]
        frame["input_seq"] = pd.array(seqs, dtype="Float64").astype("Int64")
    return frame


def _models_of_responses(frame: pd.DataFrame, rtype: np.ndarray, etype: np.ndarray) -> None:
    """A chat response event without a model gets the model of the llm call made by the
    execution that sent it (the last one, if it made several)."""
    model = frame["model"].to_numpy()
    llm = np.flatnonzero((etype == "llm") & pd.notna(model))
    if not len(llm):
        return
    parents = frame["parent_execution_id"].to_numpy()
    tokens = (
        frame["prompt_tokens"].notna().to_numpy() | frame["completion_tokens"].notna().to_numpy()
    )
    want = np.flatnonzero((rtype == "event") & pd.isna(model) & tokens)
    if len(want):
        found_models, found = _find(parents[llm], model[llm], parents[want], last=True)
        model = model.copy()
        model[want[found]] = found_models[found]
        frame["model"] = model


def _sent_events(
    frame: pd.DataFrame, rtype: np.ndarray, events: np.ndarray, execs: np.ndarray
) -> None:
    """Action rows that ended: ``attributes`` gains ``sentEventIds``."""
    rows = np.flatnonzero(rtype == "action")
    if not len(rows):
        return
    parents = frame["parent_execution_id"].to_numpy()[events]
    ids = frame["event_id"].to_numpy()[events]
    keep = pd.notna(parents) & pd.notna(ids)
    codes, uniques = pd.factorize(parents[keep])
    order = np.argsort(codes, kind="stable")
    sorted_ids = ids[keep][order].tolist()
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1)).tolist()
    groups = [sorted_ids[bounds[i] : bounds[i + 1]] for i in range(len(uniques))]
    pos = pd.Index(uniques).get_indexer(execs[rows]).tolist() if len(uniques) else [-1] * len(rows)
    attrs = frame["attributes"].to_numpy().copy()
    new = np.empty(len(rows), dtype=object)
    new[:] = [
        {**(a if type(a) is dict else {}), "sentEventIds": groups[p] if p >= 0 else []}
        for a, p in zip(attrs[rows].tolist(), pos, strict=True)
    ]
    attrs[rows] = new
    frame["attributes"] = attrs


_FILE_NAME = re.compile(r"traces-([^-]+)-(.+)-(\d+)\.log(?:\.gz)?")


def where_from_file_names(frame: pd.DataFrame) -> None:
    """Rows without ``job``/``task``/``subtask`` get them from a
    ``traces-{jobId}-{taskName}-{subtaskId}.log`` file name (0.4 records do not carry them)."""
    if "file" not in frame.columns or not len(frame):
        return
    codes = frame["file"].cat.codes.to_numpy()
    for code, name in enumerate(frame["file"].cat.categories):
        found = _FILE_NAME.fullmatch(PurePath(str(name)).name)
        if found is None:
            continue
        rows = codes == code
        for column, value in (("job", found[1]), ("task", found[2])):
            missing = rows & frame[column].isna().to_numpy()
            if missing.any():
                frame.loc[missing, column] = value
        missing = rows & frame["subtask"].isna().to_numpy()
        if missing.any():
            frame.loc[missing, "subtask"] = int(found[3])
