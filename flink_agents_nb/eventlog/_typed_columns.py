"""Frame columns of a chunk decoded by :mod:`._typed`, built column-wise.

Each builder gives what the general path (:class:`._columns._Columns`) gives for the same
records: the same values, with ``None`` for missing. The typed decoding already guarantees
the JSON types, so no per-value checks are needed here.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd
from msgspec.structs import astuple
from pandas._libs.lib import to_object_array_tuples

from flink_agents_nb.eventlog import _trace
from flink_agents_nb.eventlog._arrays import floats, objects, shared, timestamps, usage_columns
from flink_agents_nb.eventlog._typed import NOT_GIVEN, Ours

Columns = dict[str, np.ndarray]


def _field(records: list[Any], name: str) -> np.ndarray:
    return np.fromiter(map(attrgetter(name), records), dtype=object, count=len(records))


def _interned(values: Any) -> np.ndarray:
    """As :func:`._arrays.shared` for scalars: equal values become one object (the first
    seen; ``1`` and ``True`` are equal, as there), cheaper than factorising."""
    seen: dict[Any, Any] = {}
    return np.fromiter(map(seen.setdefault, values, values), dtype=object, count=len(values))


def _shared_field(records: list[Any], name: str) -> np.ndarray:
    return _interned(list(map(attrgetter(name), records)))


def _subtasks(records: list[Any]) -> np.ndarray:
    """``subtaskIndex``, or ``subtaskId`` where it is absent."""
    index = list(map(attrgetter("subtaskIndex"), records))
    if NOT_GIVEN in index:  # nan is NOT_GIVEN itself: ``in`` matches it by identity
        ids = map(attrgetter("subtaskId"), records)
        index = [i if i is not NOT_GIVEN else j for i, j in zip(index, ids, strict=True)]
    return floats(index)


def _nan(n: int) -> np.ndarray:
    return np.full(n, np.nan)


def _nothing(n: int) -> np.ndarray:
    return np.full(n, None, dtype=object)


def typed_columns(
    kind: str, records: list[Any], hints: list[int] | None
) -> tuple[Columns, Columns | None]:
    """The frame columns of ``records`` (all of shape ``kind``) but ``file`` and ``line``,
    and the trace-only columns (``None`` unless ``kind`` is ``trace``)."""
    if kind == "ours":
        return _ours(records, hints), None
    if kind == "nested":
        return _nested(records, hints), None
    return _trace_records(records, hints)


def _common(records: list[Any], key: str = "key") -> Columns:
    return {
        "timestamp": timestamps(list(map(attrgetter("timestamp"), records))),
        "job": _shared_field(records, "jobId"),
        "task": _shared_field(records, "taskName"),
        "key": _shared_field(records, key),
    }


_OURS = {name: j for j, name in enumerate(Ours.__struct_fields__)}
_ACTION_ATTRS = ("attempt", "error", "sentEventIds", "memoryWrites")


def _ours(records: list[Any], hints: list[int] | None) -> Columns:
    table = to_object_array_tuples(list(map(astuple, records)))  # one C pass: every field

    def col(name: str) -> np.ndarray:
        return table[:, _OURS[name]]

    is_event = col("recordType") == "event"
    attrs = col("eventAttributes").copy()
    acts = np.flatnonzero(~is_event)
    if len(acts):  # an action's attributes: its attempt, error, sent events and writes
        fields = table[acts][:, [_OURS[name] for name in _ACTION_ATTRS]].T.tolist()
        attrs[acts] = objects(
            [
                {"attempt": a, "error": e, "sentEventIds": s, "memoryWrites": m}
                for a, e, s, m in zip(*fields, strict=True)
            ]
        )
    prompt, completion, model = usage_columns(attrs, is_event, hints)
    return {
        "timestamp": timestamps(col("timestamp").tolist()),
        "job": shared(col("jobId"), nan=False),
        "task": shared(col("taskName"), nan=False),
        "key": shared(col("key"), nan=False),
        "record_type": col("recordType"),  # two objects: msgspec returns the Literal's own
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


def _nested(records: list[Any], hints: list[int] | None) -> Columns:
    n = len(records)
    cols = _common(records)
    events = [r.event for r in records]
    types = [e.eventType or e.type or r.eventType for e, r in zip(events, records, strict=True)]
    is_event = np.ones(n, dtype=bool)
    attrs = objects([e.attributes for e in events])
    prompt, completion, model = usage_columns(attrs, is_event, hints)
    cols |= {
        "record_type": np.full(n, "event", dtype=object),
        "attributes": attrs,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "model": model,
        "subtask": _subtasks(records),
        "duration_ms": _nan(n),
        "seq": _nan(n),
        "input_seq": _nan(n),
        "attempt": _nan(n),
        "event_id": objects([e.id for e in events]),
        "event_type": _interned(types),
        "upstream_event_id": _field(records, "upstreamEventId"),
        "upstream_action": _shared_field(records, "upstreamActionName"),
        "action": _nothing(n),
        "status": _nothing(n),
        "error": _nothing(n),
    }
    return cols


_NO_META = (None,) * 6
_STATUS_OF = {**_trace._STATUS}


def _trace_records(records: list[Any], hints: list[int] | None) -> tuple[Columns, Columns]:
    """As :func:`._trace.convert` followed by the general column extraction."""
    n = len(records)
    cols = _common(records, key="businessKey")
    etype = _field(records, "entityType")
    status = _field(records, "status")
    names = _field(records, "entityName")
    parent = _field(records, "parentExecutionId")
    attrs = _field(records, "attributes")
    meta = to_object_array_tuples(
        [_NO_META if m is None else astuple(m) for m in
         map(attrgetter("entityMetadata"), records)]
    )  # fmt: skip
    meta = meta.reshape(n, len(_NO_META))
    is_event = etype == "event"
    is_action = etype == "action"
    codes, values = _codes(status)
    ended = np.array([v in _trace._ENDED for v in values], dtype=bool)[codes]
    failed = np.flatnonzero(np.array([v == "failed" for v in values], dtype=bool)[codes])
    kinds = np.where(is_action, "action", "call")
    rtype = np.where(is_event, "event", np.where(ended, kinds, "start")).astype(object)
    shown = objects([_STATUS_OF.get(v, v) if v is not None else None for v in values])[codes]
    shown[is_event] = None
    orphan = is_event & (parent == None)  # noqa: E711 - elementwise
    parent[orphan] = meta[orphan, 4]
    error = _nothing(n)
    if len(failed):
        category = _field(records, "problemCategory")
        error[failed] = [_trace._error_of(attrs[i], category[i]) for i in failed.tolist()]
    prompt, completion, model = usage_columns(attrs, is_event, hints)
    own = meta[:, 5]
    use = (model == None) & (own != None)  # noqa: E711 - elementwise
    model[use] = own[use]
    nothing = _nothing(n)
    cols |= {
        "record_type": _interned(rtype.tolist()),
        "attributes": attrs,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "model": model,
        "subtask": _subtasks(records),
        "duration_ms": _nan(n),
        "seq": _nan(n),
        "input_seq": _nan(n),
        "attempt": _nan(n),
        "event_id": np.where(is_event, meta[:, 0], meta[:, 1]),
        "event_type": _interned(np.where(is_event, names, nothing).tolist()),
        "upstream_event_id": meta[:, 2].copy(),
        "upstream_action": _interned(meta[:, 3].tolist()),
        "action": _interned(np.where(is_action, names, nothing).tolist()),
        "status": _interned(shown.tolist()),
        "error": error,
    }
    trace = {
        "run_id": _field(records, "inputRunId"),
        "entity_type": etype,
        "entity_name": names,
        "execution_id": _field(records, "executionId"),
        "parent_execution_id": parent,
        "problem_category": _field(records, "problemCategory"),
    }
    return cols, trace


def _codes(values: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Codes and distinct values (``None`` included) of a column of few distinct strings."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes, [None if u is None or u != u else u for u in uniques]
