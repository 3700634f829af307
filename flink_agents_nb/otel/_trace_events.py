"""A trace log's business events on its spans (the column-wise builder's part, see
:mod:`._trace_spans`): each event as a span event on the span of the action execution that
sent it (its ``parent_execution_id``; else its run's root), and the event ids on the spans
(the root's input event, each action's handled event), so the causal tree comes back."""

from __future__ import annotations

from typing import Any

import numpy as np

from flink_agents_nb.otel._names import EVENT_ID
from flink_agents_nb.otel._span_spec import SpanSpec, _none, span_event

_NAT = np.iinfo(np.int64).min


def under_parent(keys: np.ndarray, rows: Any, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For the rows at positions ``at`` (of a ``_trace_spans._Rows``): where each one's
    parent execution key sits in the sorted ``keys``, and whether it is there (a row without
    a parent never is)."""
    query = rows.parent_key[at]
    place = np.minimum(np.searchsorted(keys, query), max(len(keys) - 1, 0))
    if not len(keys):
        return place, np.zeros(len(at), dtype=bool)
    return place, (keys[place] == query) & rows.has_parent[at]


def _mark(spans: list[SpanSpec], ids: list[Any]) -> None:
    for span, event_id in zip(spans, ids, strict=True):
        if _none(event_id) is not None:
            span.attributes[EVENT_ID] = str(event_id)


def attach_events(
    rows: Any,
    firsts: np.ndarray,
    is_event: np.ndarray,
    roots: list[SpanSpec],
    actions: tuple[np.ndarray, list[SpanSpec]],
    keyed: tuple[np.ndarray, list[SpanSpec]],
) -> None:
    """Add the event ids and span events to the spans of a trace frame.

    ``rows``: the frame's rows sorted by run (``._trace_spans._Rows``); ``firsts``: each
    run's first sorted row; ``is_event``: which sorted rows are events; ``roots``: each
    run's root span; ``actions``: the sorted positions of action rows and their spans;
    ``keyed``: the sorted (run, execution id) keys of the action spans and those spans."""
    ids = rows.col("event_id")
    first_is_event = is_event[firsts]
    _mark(
        roots, [e if f else None for e, f in zip(ids[firsts].tolist(), first_is_event, strict=True)]
    )
    at, spans = actions
    _mark(spans, ids[at].tolist())
    events = np.flatnonzero(is_event)
    events = events[~np.isin(events, firsts[first_is_event])]  # not a run's input event
    if not len(events):
        return
    keys, keyed_spans = keyed
    found, sent = under_parent(keys, rows, events)
    stamps = rows.stamps[events].tolist()
    columns = [
        rows.col(name)[events].tolist()
        for name in ("event_id", "event_type", "upstream_event_id", "upstream_action", "model")
    ]
    prompt = rows.floats("prompt_tokens")[events].tolist()
    completion = rows.floats("completion_tokens")[events].tolist()
    runs = rows.run_of[events].tolist()
    for j, (f, s) in enumerate(zip(found.tolist(), sent.tolist(), strict=True)):
        on = keyed_spans[f] if s else roots[runs[j]]
        time_ns = stamps[j] if stamps[j] != _NAT else on.start_ns
        event_id, event_type, up_id, up_action, model = (col[j] for col in columns)
        on.events.append(
            span_event(
                event_id,
                event_type,
                time_ns,
                (up_id, up_action),
                (prompt[j], completion[j], model),
                on.attributes,
            )
        )
