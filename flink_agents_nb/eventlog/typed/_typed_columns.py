"""Frame columns of a chunk decoded by :mod:`._typed`, built column-wise from the structs'
fields (:mod:`._slots`: read from their memory, or laid out by ``astuple``).

Each builder gives what the general path (:class:`..columns._columns._Columns`) gives for the same
records: the same values, with ``None`` for missing. Every column kept is a new array, never
a view of the chunk's field table: a view would keep the whole table alive, and with it every
string the shared columns replaced (hundreds of MB per 1M records). The typed decoding
already guarantees the JSON types, so no per-value checks are needed here.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from flink_agents_nb.eventlog._attributes import action_cells, cells, plain
from flink_agents_nb.eventlog._usage import raw_usage_columns
from flink_agents_nb.eventlog.columns._arrays import (
    addresses,
    floats,
    is_none,
    shared,
)
from flink_agents_nb.eventlog.trace import _trace
from flink_agents_nb.eventlog.typed._slots import Fields, Table, Tuples, fields, table
from flink_agents_nb.eventlog.typed._trace_chunk import Few, stamps, trace_cells
from flink_agents_nb.eventlog.typed._typed import (
    NO_META,
    NOT_GIVEN,
    Nested,
    NestedEvent,
    Ours,
    Trace,
    TraceMeta,
)

Columns = dict[str, np.ndarray]


def _subtasks(index: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``subtaskIndex``, or ``subtaskId`` where it is absent (:data:`NOT_GIVEN`)."""
    given = addresses(index) != id(NOT_GIVEN)
    return floats(index if given.all() else np.where(given, index, ids))


def _nan(n: int) -> np.ndarray:
    return np.full(n, np.nan)


def _same(value: str, n: int) -> np.ndarray:
    """``value`` ``n`` times, one object (``np.full`` makes a new str per row)."""
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def _nothing(n: int) -> np.ndarray:
    return np.full(n, None, dtype=object)


def typed_columns(kind: str, records: list[Any]) -> tuple[Columns, Columns | None]:
    """The frame columns of ``records`` (all of shape ``kind``) but ``file`` and ``line``,
    and the trace-only columns (``None`` unless ``kind`` is ``trace``). The attributes stay
    raw (:mod:`._attributes`); token usage is searched in those whose bytes mention tokens."""
    if kind == "ours":
        return _ours(records), None
    if kind == "nested":
        return _nested(records), None
    return _trace_records(records)


#: The event type of chat responses (Flink Agents', ours).
_CHAT_RESPONSE = "_chat_response_event"
_OURS_FIELDS: tuple[str, ...] = Ours.__struct_fields__
_ACTION_FIELDS = ("attempt", "error", "sentEventIds", "memoryWrites")


def _ours(records: list[Any]) -> Columns:
    top = table(records, _OURS_FIELDS)  # the structs' fields, from their memory if it can
    col = top.objects
    record_type = col("recordType")  # two objects: msgspec returns the Literal's own
    is_event = record_type == "event"
    n = len(records)
    attrs = np.full(n, None, dtype=object)
    events = np.flatnonzero(is_event)
    mentions, said_raws = events[:0], []
    if len(events):
        raws = top.take("eventAttributes", events).tolist()
        attrs[events], said = cells(raws)
        mentions = events[said]
        said_raws = list(map(raws.__getitem__, np.flatnonzero(said).tolist()))
    acts = np.flatnonzero(~is_event)
    if len(acts):  # an action's attributes: its attempt, error, sent events and writes
        fields_of = [top.take(name, acts).tolist() for name in _ACTION_FIELDS]
        attrs[acts] = action_cells(*fields_of)
    chat = top.take("eventType", mentions) == _CHAT_RESPONSE
    prompt, completion, model = raw_usage_columns(n, mentions, said_raws, chat)
    return {
        "timestamp": stamps(col("timestamp").tolist()),
        "job": shared(col("jobId"), nan=False),
        "task": shared(col("taskName"), nan=False),
        "key": shared(col("key"), nan=False),
        "record_type": record_type,
        "attributes": attrs,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "model": model,
        "subtask": floats(col("subtaskIndex")),
        "duration_ms": floats(col("durationNs")) / 1e6,
        "seq": floats(col("seq")),
        "input_seq": floats(col("inputSeq")),
        "attempt": floats(col("attempt")),
        "event_id": col("eventId"),
        "event_type": shared(col("eventType"), nan=False),
        "upstream_event_id": col("upstreamEventId"),
        "upstream_action": shared(col("upstreamActionName"), nan=False),
        "action": shared(col("actionName"), nan=False),
        "status": shared(col("status"), nan=False),
        "error": col("error"),
    }


_NESTED_FIELDS: tuple[str, ...] = Nested.__struct_fields__
_EVENT_FIELDS: tuple[str, ...] = NestedEvent.__struct_fields__


def _nested(records: list[Any]) -> Columns:
    n = len(records)
    top = table(records, _NESTED_FIELDS)  # the structs' fields, from their memory if it can
    col = top.objects
    found = fields(records, top.at("event")) if isinstance(top, Fields) else None
    events: Table = Tuples(col("event").tolist(), _EVENT_FIELDS) if found is None else found
    types = events.objects("eventType")  # the event's type, or its "type", or the
    for fallback in (events.objects("type"), col("eventType")):  # record's (falsy: next)
        empty = is_none(types) | (types == "")
        if not empty.any():
            break
        types[empty] = fallback[empty]
    raws = events.objects("attributes").tolist()
    attrs, said = cells(raws, objects_only=True)
    mentions = np.flatnonzero(said)
    said_raws = list(map(raws.__getitem__, mentions.tolist()))
    chat = types[mentions] == _CHAT_RESPONSE  # (a hint: which to read as chat responses)
    prompt, completion, model = raw_usage_columns(n, mentions, said_raws, chat)
    return {
        "timestamp": stamps(col("timestamp").tolist()),
        "job": shared(col("jobId"), nan=False),
        "task": shared(col("taskName"), nan=False),
        "key": shared(col("key"), nan=False),
        "record_type": _same("event", n),
        "attributes": attrs,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "model": model,
        "subtask": _subtasks(col("subtaskIndex"), col("subtaskId")),
        "duration_ms": _nan(n),
        "seq": _nan(n),
        "input_seq": _nan(n),
        "attempt": _nan(n),
        "event_id": events.objects("id"),
        "event_type": shared(types, nan=False),
        "upstream_event_id": col("upstreamEventId"),
        "upstream_action": shared(col("upstreamActionName"), nan=False),
        "action": _nothing(n),
        "status": _nothing(n),
        "error": _nothing(n),
    }


_TRACE_FIELDS: tuple[str, ...] = Trace.__struct_fields__
_META_FIELDS: tuple[str, ...] = TraceMeta.__struct_fields__


def _metas(top: Table, records: list[Any]) -> Table:
    """The ``entityMetadata`` of each record (absent: the one :data:`NO_META`; ``null``,
    ``None``: the same, all its fields ``None``), as a table."""
    if isinstance(top, Fields):
        pointers = top.at("entityMetadata")
        pointers = np.where(pointers == id(None), id(NO_META), pointers)
        found = fields(records, pointers)  # (the records hold their metadata)
        if found is not None:
            return found
    metas = top.objects("entityMetadata").tolist()
    if None in metas:
        metas = [NO_META if m is None else m for m in metas]
    return Tuples(metas, _META_FIELDS)


def _few(table: Table, name: str) -> Few:
    return Few.of(table.at(name), partial(table.take, name))


def _one_or_few(table: Table, name: str) -> np.ndarray:
    """The column ``name`` (few values), as :meth:`Few.column` gives it; a chunk of one
    object (a learned value: one agent's records) filled with it, no codes made (~6x
    cheaper)."""
    at = table.at(name)
    if len(at) and (at == at[0]).all():
        return _same(table.take(name, np.zeros(1, dtype=np.intp))[0], len(at))
    return _few(table, name).column()


def _trace_records(records: list[Any]) -> tuple[Columns, Columns]:
    """As :func:`._trace.convert` followed by the general column extraction."""
    n = len(records)
    top = table(records, _TRACE_FIELDS)  # the structs' fields, from their memory if it can
    meta = _metas(top, records)
    raws = top.objects("attributes").tolist()
    attrs, said = trace_cells(raws)
    kinds, stats, names = _few(top, "entityType"), _few(top, "status"), _few(top, "entityName")
    is_event, is_action = kinds.mask("event".__eq__), kinds.mask("action".__eq__)
    ended = stats.mask(_trace._ENDED.__contains__)
    rtype = _same("start", n)  # four objects: no strings made per row
    rtype[ended] = "call"
    rtype[ended & is_action] = "action"
    rtype[is_event] = "event"
    parent = top.objects("parentExecutionId")
    orphan = np.flatnonzero(is_event & (top.at("parentExecutionId") == id(None)))
    if len(orphan):  # an event's parent: the execution that sent it
        parent[orphan] = meta.take("producerExecutionId", orphan)
    error = _nothing(n)
    failed = np.flatnonzero(stats.mask("failed".__eq__))
    if len(failed):
        category = top.take("problemCategory", failed).tolist()
        error[failed] = [
            _trace._error_of(plain(attrs[i]), c)
            for i, c in zip(failed.tolist(), category, strict=True)
        ]
    usage_rows = np.flatnonzero(said & is_event)
    usage_raws = list(map(raws.__getitem__, usage_rows.tolist()))
    prompt, completion, model = raw_usage_columns(n, usage_rows, usage_raws)
    del raws
    use = np.flatnonzero(is_none(model) & (meta.at("model") != id(None)))
    if len(use):  # a record's own model (llm records) where its attributes name none
        model[use] = meta.take("model", use)
    unplaced = (  # 0.4 records carry neither (the file name tells)
        (top.at("subtaskIndex") == id(NOT_GIVEN)).all() and (top.at("subtaskId") == id(None)).all()
    )
    subtask = (
        _nan(n) if unplaced else _subtasks(top.objects("subtaskIndex"), top.objects("subtaskId"))
    )
    cols = {
        "timestamp": stamps(top.objects("timestamp").tolist()),
        "job": shared(top.objects("jobId"), nan=False),
        "task": shared(top.objects("taskName"), nan=False),
        "key": shared(top.objects("businessKey"), nan=False),
        "record_type": rtype,
        "attributes": attrs,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "model": model,
        "subtask": subtask,
        "duration_ms": _nan(n),
        "seq": _nan(n),
        "input_seq": _nan(n),
        "attempt": _nan(n),
        "event_id": meta.chosen(is_event, "eventId", "triggerEventId"),
        "event_type": names.column(is_event),
        "upstream_event_id": meta.objects("upstreamEventId"),
        "upstream_action": shared(meta.objects("upstreamActionName"), nan=False),
        "action": names.column(is_action),
        "status": stats.mapped(_trace._STATUS, where=~is_event),
        "error": error,
    }
    trace = {
        "run_id": shared(top.objects("inputRunId"), nan=False),
        "entity_type": kinds.column(),
        "entity_name": names.column(),
        "execution_id": top.objects("executionId"),
        "parent_execution_id": shared(parent, nan=False),
        "problem_category": _few(top, "problemCategory").column(),
        "agent_name": _one_or_few(top, "agentName"),  # one value per agent
    }
    return cols, trace
