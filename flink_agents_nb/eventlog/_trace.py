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
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd
from pandas._libs.lib import to_object_array_tuples

from flink_agents_nb.eventlog._arrays import codes as codes_of
from flink_agents_nb.eventlog._arrays import is_none

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


def _codes(*columns: np.ndarray) -> list[np.ndarray]:
    """The values of ``columns`` numbered together (one hash pass over all of them): equal
    values get equal codes, missing ones -1. The ``None`` gaps are left out first: on the
    strings alone pandas hashes them encoded, about twice as fast as Python objects."""
    values = np.concatenate(columns)
    given = np.flatnonzero(~is_none(values))
    codes = np.full(len(values), -1, dtype=np.intp)
    codes[given] = pd.factorize(values[given], use_na_sentinel=True)[0]
    out, at = [], 0
    for column in columns:
        out.append(codes[at : at + len(column)])
        at += len(column)
    return out


def _find(
    key_codes: np.ndarray, values: np.ndarray, query_codes: np.ndarray, last: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``values`` by key (codes from :func:`_codes`; the first, or last, of equal keys;
    missing keys never match) looked up at ``query_codes``: (values, found mask; values
    where not found are arbitrary)."""
    if not len(key_codes) or not len(query_codes):
        return np.empty(len(query_codes), dtype=values.dtype), np.zeros(len(query_codes), bool)
    size = int(max(key_codes.max(), query_codes.max())) + 2  # slot -1: missing keys
    at = np.full(size, -1, dtype=np.int64)
    step = -1 if last else 1
    distinct, where = np.unique(key_codes[::step], return_index=True)  # first occurrences
    positions = np.arange(len(key_codes))[::step][where]
    ok = distinct >= 0
    at[distinct[ok]] = positions[ok]
    pos = at[query_codes]
    found = pos >= 0
    return values[np.where(found, pos, 0)], found


def link(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill what needs other records of the log: durations and start times from
    started/ended pairs, handled event types, actions around calls, models of chat
    responses, events sent per action, input numbers. Returns the frame (re-sorted by time
    when start times moved rows). Column-wise: execution ids and event ids are each hashed
    once, lookups run on their codes; no per-row Python but the per-action lists of sent
    events."""
    if "execution_id" not in frame.columns or is_none(frame["entity_type"].to_numpy()).all():
        return frame
    rtype = frame["record_type"].to_numpy()
    etype = frame["entity_type"].to_numpy()
    execs = frame["execution_id"].to_numpy()
    exec_code, parent_code = _codes(execs, frame["parent_execution_id"].to_numpy())
    has_exec = exec_code >= 0
    stamps = frame["timestamp"].to_numpy(dtype="datetime64[ns]")
    starts = np.flatnonzero((rtype == "start") & has_exec)
    ended = np.flatnonzero(((rtype == "action") | (rtype == "call")) & has_exec)
    if len(starts) and len(ended):
        began, found = _find(exec_code[starts], stamps[starts], exec_code[ended])
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
    (event_code,) = _codes(event_ids)
    events = np.flatnonzero(rtype == "event")
    others = np.flatnonzero(rtype != "event")
    types = frame["event_type"].to_numpy().copy()
    # Calls (and starts of calls): the action execution around them, and its handled event.
    acts = np.flatnonzero((etype == "action") & has_exec)
    inner = np.flatnonzero((rtype != "event") & (etype != "action"))
    if len(acts) and len(inner):
        names = frame["entity_name"].to_numpy()
        parents = parent_code[inner]
        action_col = frame["action"].to_numpy().copy()
        found_names, found = _find(exec_code[acts], names[acts], parents)
        action_col[inner[found]] = found_names[found]
        frame["action"] = action_col
        rows = np.arange(len(frame))
        handled, found = _find(exec_code[acts], rows[acts], parents)  # the action's row
        event_ids = event_ids.copy()
        event_ids[inner[found]] = event_ids[handled[found]]
        event_code = event_code.copy()
        event_code[inner[found]] = event_code[handled[found]]
        frame["event_id"] = event_ids
    if len(others):
        handled_types, found = _find(event_code[events], types[events], event_code[others])
        types[others] = handled_types
        types[others[~found]] = None
        frame["event_type"] = types
    _models_of_responses(frame, rtype, etype, parent_code)
    _sent_events(frame, rtype, events, exec_code, parent_code)
    if not frame["timestamp"].is_monotonic_increasing:
        order = np.argsort(frame["timestamp"].to_numpy(dtype="datetime64[ns]"), kind="stable")
        frame = frame.take(order)
        frame.index = pd.RangeIndex(len(frame))
    # input_seq: the input runs numbered in order of their first record (views select by it)
    runs = frame["run_id"]
    missing = frame["input_seq"].isna().to_numpy() & ~is_none(runs.to_numpy())
    if missing.any():
        codes = codes_of(runs.to_numpy())  # shared strings: hashed once per object
        seqs = frame["input_seq"].to_numpy(dtype=float, na_value=np.nan)
        seqs[missing] = codes[missing]
        frame["input_seq"] = pd.array(seqs, dtype="Float64").astype("Int64")
    return frame


def _models_of_responses(
    frame: pd.DataFrame, rtype: np.ndarray, etype: np.ndarray, parent_code: np.ndarray
) -> None:
    """A chat response event without a model gets the model of the llm call made by the
    execution that sent it (the last one, if it made several)."""
    model = frame["model"].to_numpy()
    present = ~is_none(model)
    llm = np.flatnonzero((etype == "llm") & present)
    if not len(llm):
        return
    tokens = (
        frame["prompt_tokens"].notna().to_numpy() | frame["completion_tokens"].notna().to_numpy()
    )
    want = np.flatnonzero((rtype == "event") & ~present & tokens)
    if len(want):
        found_models, found = _find(parent_code[llm], model[llm], parent_code[want], last=True)
        model = model.copy()
        model[want[found]] = found_models[found]
        frame["model"] = model


def _sent_events(
    frame: pd.DataFrame,
    rtype: np.ndarray,
    events: np.ndarray,
    exec_code: np.ndarray,
    parent_code: np.ndarray,
) -> None:
    """Action rows that ended: ``attributes`` gains ``sentEventIds``."""
    rows = np.flatnonzero(rtype == "action")
    if not len(rows):
        return
    ids = frame["event_id"].to_numpy()[events]
    parents = parent_code[events]
    keep = (parents >= 0) & ~is_none(ids)
    kept = parents[keep]
    order = np.argsort(kept, kind="stable")
    sorted_ids = ids[keep][order].tolist()
    size = int(max(kept.max(initial=-1), exec_code.max(initial=-1))) + 1
    bounds = np.searchsorted(kept[order], np.arange(size + 1)).tolist()
    attrs = frame["attributes"].to_numpy().copy()
    new = np.empty(len(rows), dtype=object)
    new[:] = [  # attributes are a Mapping (lazily decoded ones too, see _attributes)
        {
            **(a if isinstance(a, Mapping) else {}),
            "sentEventIds": sorted_ids[bounds[c] : bounds[c + 1]],
        }
        if c >= 0
        else {**(a if isinstance(a, Mapping) else {}), "sentEventIds": []}
        for a, c in zip(attrs[rows].tolist(), exec_code[rows].tolist(), strict=True)
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
            missing = rows & is_none(frame[column].to_numpy())
            if missing.any():
                frame.loc[missing, column] = value
        missing = rows & frame["subtask"].isna().to_numpy()
        if missing.any():
            frame.loc[missing, "subtask"] = int(found[3])
