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


def _str(value: Any) -> Any:
    return value if type(value) is str else None


def _meta(value: Any, name: str) -> Any:
    if type(value) is not dict:
        return None
    found = value.get(name)
    return found if type(found) is str else None


def convert(table: np.ndarray, fields: dict[str, int], rows: np.ndarray) -> list[str | None]:
    """Rewrite the trace records at ``rows`` of a chunk's field ``table`` (in place) into the
    fields our own records use; return, per row, ``None`` or why the record is unusable."""
    sub = table[rows]

    def col(name: str) -> list[Any]:
        return sub[:, fields[name]].tolist()

    etypes, names, statuses = col("entityType"), col("entityName"), col("status")
    metas, attrs = col("entityMetadata"), col("attributes")
    parents, keys = col("parentExecutionId"), col("businessKey")
    problems: list[str | None] = []
    rtype: list[Any] = []
    status: list[Any] = []
    event_id: list[Any] = []
    event_type: list[Any] = []
    action: list[Any] = []
    up_id: list[Any] = []
    up_action: list[Any] = []
    parent: list[Any] = []
    error: list[Any] = []
    for etype, name, stat, meta, attr, par, categ in zip(
        etypes, names, statuses, metas, attrs, parents, col("problemCategory"), strict=True
    ):
        problem = None
        if type(etype) is not str or not etype:
            problem = "not a trace record (entityType is not a non-empty string)"
        stat = _str(stat)
        is_event = etype == "event"
        problems.append(problem)
        if is_event:
            rtype.append("event")
            status.append(None)
        elif stat in _ENDED:
            rtype.append("action" if etype == "action" else "call")
            status.append(_STATUS[stat])
        else:  # started, created (events only), or unknown: a lifecycle mark
            rtype.append("start")
            status.append(_STATUS.get(stat or "", stat))
        name = _str(name)
        event_id.append(_meta(meta, "eventId") if is_event else _meta(meta, "triggerEventId"))
        event_type.append(name if is_event else None)
        action.append(name if etype == "action" else None)
        up_id.append(_meta(meta, "upstreamEventId"))
        up_action.append(_meta(meta, "upstreamActionName"))
        par = _str(par)
        if par is None and is_event:  # an event's parent: the execution that sent it
            par = _meta(meta, "producerExecutionId")
        parent.append(par)
        if stat == "failed":
            message = None
            if type(attr) is dict:
                message = attr.get("error", attr.get("message", attr.get("errorMessage")))
            error.append(message if message is not None else _str(categ))
        else:
            error.append(None)
    for name, values in (
        ("recordType", rtype),
        ("status", status),
        ("eventId", event_id),
        ("eventType", event_type),
        ("actionName", action),
        ("upstreamEventId", up_id),
        ("upstreamActionName", up_action),
        ("parentExecutionId", parent),
        ("error", error),
        ("key", keys),
    ):
        column = np.empty(len(values), dtype=object)
        column[:] = values
        table[rows, fields[name]] = column
    models = [_meta(m, "model") for m in metas]
    column = np.empty(len(models), dtype=object)
    column[:] = models
    table[rows, fields["model"]] = column
    return problems


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


def link(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill what needs other records of the log: durations and start times from
    started/ended pairs, handled event types, actions around calls, models of chat
    responses, events sent per action. Returns the frame (re-sorted by time if needed)."""
    if "execution_id" not in frame.columns or frame["entity_type"].isna().all():
        return frame
    rtype = frame["record_type"].to_numpy()
    exec_id = frame["execution_id"]
    stamps = frame["timestamp"]
    starts = frame[(rtype == "start") & exec_id.notna().to_numpy()]
    start_of = starts.drop_duplicates("execution_id").set_index("execution_id")["timestamp"]
    ended = np.flatnonzero(((rtype == "action") | (rtype == "call")) & exec_id.notna().to_numpy())
    if len(ended) and len(start_of):
        began = exec_id.iloc[ended].map(start_of)
        have = began.notna().to_numpy()
        rows = ended[have]
        b = began[have]
        end_ns = stamps.iloc[rows].to_numpy(dtype="datetime64[ns]")
        start_ns = pd.Series(b.to_numpy()).dt.tz_convert("UTC").dt.tz_localize(None)
        start_ns = start_ns.to_numpy(dtype="datetime64[ns]")
        duration = (end_ns - start_ns) / np.timedelta64(1, "ms")
        frame.loc[rows, "duration_ms"] = np.asarray(duration, dtype=float)
        frame.loc[rows, "timestamp"] = b.to_numpy()
    events = frame[rtype == "event"]
    type_of = events.drop_duplicates("event_id").set_index("event_id")["event_type"]
    acts = rtype != "event"
    handled = frame.loc[acts, "event_id"].map(type_of)
    frame.loc[acts, "event_type"] = handled.where(handled.notna(), None)
    # Calls (and starts of calls): the action execution around them.
    action_rows = frame[(frame["entity_type"] == "action").to_numpy() & exec_id.notna().to_numpy()]
    by_exec = action_rows.drop_duplicates("execution_id").set_index("execution_id")
    inner = (rtype != "event") & (frame["entity_type"] != "action").to_numpy()
    if inner.any() and len(by_exec):
        parents = frame.loc[inner, "parent_execution_id"]
        names = parents.map(by_exec["entity_name"])
        frame.loc[inner, "action"] = names.where(names.notna(), None)
        handled_ids = parents.map(by_exec["event_id"])
        frame.loc[inner, "event_id"] = handled_ids.where(handled_ids.notna(), None)
        types = frame.loc[inner, "event_id"].map(type_of)
        frame.loc[inner, "event_type"] = types.where(types.notna(), None)
    _models_of_responses(frame)
    _sent_events(frame)
    if not frame["timestamp"].is_monotonic_increasing:
        order = np.argsort(frame["timestamp"].to_numpy(dtype="datetime64[ns]"), kind="stable")
        frame = frame.take(order).reset_index(drop=True)
    # input_seq: the input runs numbered in order of their first record (views select by it)
    runs = frame["run_id"]
    missing = frame["input_seq"].isna().to_numpy() & runs.notna().to_numpy()
    if missing.any():
        codes, _ = pd.factorize(runs)
        seqs = frame["input_seq"].to_numpy(dtype=float, na_value=np.nan)
        seqs[missing] = codes[missing]
        frame["input_seq"] = pd.array(seqs, dtype="Float64").astype("Int64")
    return frame


def _models_of_responses(frame: pd.DataFrame) -> None:
    """A chat response event without a model gets the model of the llm call made by the
    execution that sent it (the last one, if it made several)."""
    llm = frame[(frame["entity_type"] == "llm").to_numpy() & frame["model"].notna().to_numpy()]
    if not len(llm):
        return
    model_by_exec = llm.drop_duplicates("parent_execution_id", keep="last").set_index(
        "parent_execution_id"
    )["model"]
    want = (
        (frame["record_type"] == "event")
        & frame["model"].isna()
        & (frame["prompt_tokens"].notna() | frame["completion_tokens"].notna())
    ).to_numpy()
    if want.any():
        found = frame.loc[want, "parent_execution_id"].map(model_by_exec)
        frame.loc[want, "model"] = found.where(found.notna(), None)


def _sent_events(frame: pd.DataFrame) -> None:
    """Action rows that ended: ``attributes`` gains ``sentEventIds``."""
    events = frame[(frame["record_type"] == "event").to_numpy()]
    sent = events.dropna(subset=["parent_execution_id"]).groupby("parent_execution_id")["event_id"]
    sent_by = {k: [v for v in ids if v is not None] for k, ids in sent}
    rows = np.flatnonzero((frame["record_type"] == "action").to_numpy())
    if not len(rows):
        return
    attrs = frame["attributes"].to_numpy()
    execs = frame["execution_id"].to_numpy()
    new = np.empty(len(rows), dtype=object)
    new[:] = [
        {
            **(attrs[r] if isinstance(attrs[r], dict) else {}),
            "sentEventIds": sent_by.get(execs[r], []),
        }
        for r in rows.tolist()
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
