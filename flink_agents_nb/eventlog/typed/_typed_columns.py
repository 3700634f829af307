"""Frame columns of a chunk decoded by :mod:`._typed`, built column-wise.

Each builder gives what the general path (:class:`._columns._Columns`) gives for the same
records: the same values, with ``None`` for missing. Every column kept is a new array, never
a view of the chunk's field table: a view would keep the whole table alive, and with it every
string the shared columns replaced (hundreds of MB per 1M records). The typed decoding
already guarantees the JSON types, so no per-value checks are needed here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from msgspec.structs import astuple
from pandas._libs.lib import to_object_array_tuples

from flink_agents_nb.eventlog._arrays import (
    addresses,
    floats,
    is_none,
    shared,
    timestamps,
)
from flink_agents_nb.eventlog._attributes import action_cells, cells, plain
from flink_agents_nb.eventlog._usage import raw_usage_columns
from flink_agents_nb.eventlog.trace import _trace
from flink_agents_nb.eventlog.typed._trace_chunk import Few, stamps, trace_cells
from flink_agents_nb.eventlog.typed._typed import (
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


_OURS = {name: j for j, name in enumerate(Ours.__struct_fields__)}
_ACTION_COLUMNS = np.array(
    [_OURS[name] for name in ("attempt", "error", "sentEventIds", "memoryWrites")]
)


def _ours(records: list[Any]) -> Columns:
    table = to_object_array_tuples(list(map(astuple, records)))  # one C pass: every field

    def col(name: str) -> np.ndarray:
        return table[:, _OURS[name]]

    is_event = col("recordType") == "event"
    n = len(records)
    attrs = np.full(n, None, dtype=object)
    events = np.flatnonzero(is_event)
    mentions, said_raws = events[:0], []
    if len(events):
        raws = col("eventAttributes")[events].tolist()
        attrs[events], said = cells(raws)
        mentions = events[said]
        said_raws = list(map(raws.__getitem__, np.flatnonzero(said).tolist()))
    acts = np.flatnonzero(~is_event)
    if len(acts):  # an action's attributes: its attempt, error, sent events and writes
        fields = table[acts[:, None], _ACTION_COLUMNS].T.tolist()  # only these cells
        attrs[acts] = action_cells(*fields)
    prompt, completion, model = raw_usage_columns(n, mentions, said_raws)
    return {
        "timestamp": timestamps(col("timestamp").tolist()),
        "job": shared(col("jobId"), nan=False),
        "task": shared(col("taskName"), nan=False),
        "key": shared(col("key"), nan=False),
        "record_type": col("recordType").copy(),  # two objects: msgspec returns the Literal's own
        "attributes": attrs,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "model": model,
        "subtask": floats(col("subtaskIndex")),
        "duration_ms": floats(col("durationNs")) / 1e6,
        "seq": floats(col("seq")),
        "input_seq": floats(col("inputSeq")),
        "attempt": floats(col("attempt")),
        "event_id": col("eventId").copy(),
        "event_type": shared(col("eventType"), nan=False),
        "upstream_event_id": col("upstreamEventId").copy(),
        "upstream_action": shared(col("upstreamActionName"), nan=False),
        "action": shared(col("actionName"), nan=False),
        "status": shared(col("status"), nan=False),
        "error": col("error").copy(),
    }


_NESTED = {name: j for j, name in enumerate(Nested.__struct_fields__)}
_EVENT = {name: j for j, name in enumerate(NestedEvent.__struct_fields__)}


def _nested(records: list[Any]) -> Columns:
    n = len(records)
    table = to_object_array_tuples(list(map(astuple, records)))  # one C pass: every field

    def col(name: str) -> np.ndarray:
        return table[:, _NESTED[name]]

    events = to_object_array_tuples(list(map(astuple, col("event").tolist())))
    events = events.reshape(n, len(_EVENT))
    types = events[:, _EVENT["eventType"]].copy()  # the event's type, or its "type", or the
    for fallback in (events[:, _EVENT["type"]], col("eventType")):  # record's (falsy: next)
        empty = is_none(types) | (types == "")
        if not empty.any():
            break
        types[empty] = fallback[empty]
    raws = events[:, _EVENT["attributes"]].tolist()
    attrs, said = cells(raws, objects_only=True)
    mentions = np.flatnonzero(said)
    said_raws = list(map(raws.__getitem__, mentions.tolist()))
    prompt, completion, model = raw_usage_columns(n, mentions, said_raws)
    return {
        "timestamp": timestamps(col("timestamp").tolist()),
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
        "event_id": events[:, _EVENT["id"]].copy(),
        "event_type": shared(types, nan=False),
        "upstream_event_id": col("upstreamEventId").copy(),
        "upstream_action": shared(col("upstreamActionName"), nan=False),
        "action": _nothing(n),
        "status": _nothing(n),
        "error": _nothing(n),
    }


_TRACE = {name: j for j, name in enumerate(Trace.__struct_fields__)}
_META = {name: j for j, name in enumerate(TraceMeta.__struct_fields__)}
_NO_META = (None,) * len(_META)


def _trace_records(records: list[Any]) -> tuple[Columns, Columns]:
    """As :func:`._trace.convert` followed by the general column extraction."""
    n = len(records)
    table = to_object_array_tuples(list(map(astuple, records)))  # one C pass: every field

    def col(name: str) -> np.ndarray:
        return table[:, _TRACE[name]]

    raws = col("attributes").tolist()
    attrs, said = trace_cells(raws)
    metas = col("entityMetadata").tolist()  # absent: the one NO_META (null: None)
    meta = to_object_array_tuples(
        [_NO_META if m is None else astuple(m) for m in metas]
        if None in metas
        else list(map(astuple, metas))
    ).reshape(n, len(_NO_META))

    def field(name: str) -> np.ndarray:
        return meta[:, _META[name]]

    kinds, stats, names = Few(col("entityType")), Few(col("status")), Few(col("entityName"))
    is_event, is_action = kinds.mask("event".__eq__), kinds.mask("action".__eq__)
    ended = stats.mask(_trace._ENDED.__contains__)
    rtype = _same("start", n)  # four objects: no strings made per row
    rtype[ended] = "call"
    rtype[ended & is_action] = "action"
    rtype[is_event] = "event"
    parent = col("parentExecutionId")  # (filled in the table: shared() makes it anew)
    orphan = is_event & is_none(parent)  # an event's parent: the execution that sent it
    parent[orphan] = field("producerExecutionId")[orphan]
    error = _nothing(n)
    failed = np.flatnonzero(stats.mask("failed".__eq__))
    if len(failed):
        category = col("problemCategory")
        error[failed] = [_trace._error_of(plain(attrs[i]), category[i]) for i in failed.tolist()]
    usage_rows = np.flatnonzero(said & is_event)
    usage_raws = list(map(raws.__getitem__, usage_rows.tolist()))
    prompt, completion, model = raw_usage_columns(n, usage_rows, usage_raws)
    del raws
    own = field("model")
    use = is_none(model) & ~is_none(own)
    model[use] = own[use]
    unplaced = (  # 0.4 records carry neither (the file name tells)
        (addresses(col("subtaskIndex")) == id(NOT_GIVEN)).all() and is_none(col("subtaskId")).all()
    )
    cols = {
        "timestamp": stamps(col("timestamp").tolist()),
        "job": shared(col("jobId"), nan=False),
        "task": shared(col("taskName"), nan=False),
        "key": shared(col("businessKey"), nan=False),
        "record_type": rtype,
        "attributes": attrs,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "model": model,
        "subtask": _nan(n) if unplaced else _subtasks(col("subtaskIndex"), col("subtaskId")),
        "duration_ms": _nan(n),
        "seq": _nan(n),
        "input_seq": _nan(n),
        "attempt": _nan(n),
        "event_id": np.where(is_event, field("eventId"), field("triggerEventId")),
        "event_type": names.column(is_event),
        "upstream_event_id": field("upstreamEventId").copy(),
        "upstream_action": shared(field("upstreamActionName"), nan=False),
        "action": names.column(is_action),
        "status": stats.mapped(_trace._STATUS, where=~is_event),
        "error": error,
    }
    trace = {
        "run_id": shared(col("inputRunId"), nan=False),
        "entity_type": kinds.column(),
        "entity_name": names.column(),
        "execution_id": col("executionId").copy(),
        "parent_execution_id": shared(parent, nan=False),
        "problem_category": Few(col("problemCategory")).column(),
    }
    return cols, trace
