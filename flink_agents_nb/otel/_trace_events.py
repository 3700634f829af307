"""A trace log's business events on its spans (the column-wise builder's part, see
:mod:`._trace_spans`): each event as a span event on the span of the action execution that
sent it (its ``parent_execution_id``; else its run's root), and the event ids on the spans
(the root's input event, each action's handled event), so the causal tree comes back.

A span event's attributes are :func:`._span_spec.span_event`'s, as columns: on an action's
span, its upstream event and action written only where they differ from the span's event
id and action."""

from __future__ import annotations

from typing import Any

import numpy as np

from flink_agents_nb.otel._names import (
    ACTION_NAME,
    EVENT_ID,
    EVENT_UPSTREAM_ACTION,
    EVENT_UPSTREAM_ID,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
)
from flink_agents_nb.otel._span_spec import NAT, given_texts, implied_columns, upstream_written
from flink_agents_nb.otel._span_table import EventColumns, SpanTable, object_array


def under_parent(keys: np.ndarray, rows: Any, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For the rows at positions ``at`` (of a ``_trace_rows.Rows``): where each one's
    parent execution key sits in the sorted ``keys``, and whether it is there (a row without
    a parent never is)."""
    query = rows.parent_key[at]
    place = np.minimum(np.searchsorted(keys, query), max(len(keys) - 1, 0))
    if not len(keys):
        return place, np.zeros(len(at), dtype=bool)
    return place, (keys[place] == query) & rows.has_parent[at]


def _event_ids(ids: list[Any]) -> np.ndarray:
    return object_array(given_texts(ids))


def _column(table: SpanTable, key: str) -> np.ndarray:
    return next((values for k, values in table.columns if k == key), np.full(len(table), None))


def attach_events(
    rows: Any,
    firsts: np.ndarray,
    is_event: np.ndarray,
    roots: SpanTable,
    actions: tuple[np.ndarray, SpanTable],
    keyed: tuple[np.ndarray, np.ndarray],
) -> None:
    """Add the event id columns and the span events to the span tables of a trace frame.

    ``rows``: the frame's rows sorted by run (``._trace_rows.Rows``); ``firsts``: each
    run's first sorted row; ``is_event``: which sorted rows are events; ``roots``: the
    runs' root spans; ``actions``: the sorted positions of action rows and their spans;
    ``keyed``: the sorted (run, execution id) keys of the action spans and the action
    table's row of each."""
    ids = rows.col("event_id")
    first_is_event = is_event[firsts]
    input_ids = [
        e if f else None for e, f in zip(ids[firsts].tolist(), first_is_event, strict=True)
    ]
    roots.columns.append((EVENT_ID, _event_ids(input_ids)))
    at, action_table = actions
    action_table.columns.append((EVENT_ID, _event_ids(ids[at].tolist())))
    events = np.flatnonzero(is_event)
    events = events[~np.isin(events, firsts[first_is_event])]  # not a run's input event
    keys, keyed_rows = keyed
    found, sent = under_parent(keys, rows, events)
    on_action = keyed_rows[found[sent]] if len(keys) else np.zeros(0, dtype=np.int64)
    runs = rows.run_of[events]
    stamps = rows.stamps[events]
    for table, mine, on in (
        (roots, np.flatnonzero(~sent), runs[~sent]),
        (action_table, np.flatnonzero(sent), on_action),
    ):
        starts = np.asarray(table.starts, dtype=np.int64)[on] if len(on) else on
        times = np.where(stamps[mine] != NAT, stamps[mine], starts).tolist()
        table.events = _event_columns(rows, events[mine], on, times, table)


def _event_columns(
    rows: Any, at: np.ndarray, on: np.ndarray, times: list[int], table: SpanTable
) -> EventColumns:
    """The span events of the event rows at sorted positions ``at``, on the rows ``on`` of
    ``table`` (their span's event id and action imply their upstream's)."""
    event_ids, types, up_ids, up_actions, models = (
        rows.col(name)[at].tolist()
        for name in ("event_id", "event_type", "upstream_event_id", "upstream_action", "model")
    )
    implied_ids, implied_actions = implied_columns(
        _column(table, EVENT_ID)[on].tolist(),
        _column(table, ACTION_NAME)[on].tolist(),  # (a root names none)
    )
    columns: list[tuple[str, list[Any]]] = [
        (EVENT_ID, given_texts(event_ids)),
        (EVENT_UPSTREAM_ID, _written(up_ids, implied_ids)),
        (EVENT_UPSTREAM_ACTION, _written(up_actions, implied_actions)),
    ]
    for key, name in (
        (GEN_AI_USAGE_INPUT_TOKENS, "prompt_tokens"),
        (GEN_AI_USAGE_OUTPUT_TOKENS, "completion_tokens"),
    ):
        counts = rows.floats(name)[at].tolist()
        columns.append((key, [int(c) if c == c else None for c in counts]))
    columns.append((GEN_AI_RESPONSE_MODEL, given_texts(models)))
    objects = [(key, object_array(values)) for key, values in columns]
    names = [t or "" for t in given_texts(types)]
    return EventColumns(on, times, names, objects)


def _written(values: list[Any], implied: list[Any]) -> list[str | None]:
    return [upstream_written(t, s) for t, s in zip(given_texts(values), implied, strict=True)]
