"""The waterfall chart: one input's (or key's) actions as bars on a time axis, by lineage.

Times are milliseconds since the input arrived; each row is one action run, labelled with the
event it handled (its depth in the cause chain is in the hover). Labels and hovers are
HTML-escaped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from flink_agents_nb._html import esc
from flink_agents_nb.run._source import elapsed_s, record_frame_of


def action_label(action: str, event_type: str) -> str:
    """A waterfall row label: the action and, in grey, the event it handled (both escaped
    by the caller): ``answer on chat_response``."""
    return f"{action} <span style='color:#888'>on {event_type}</span>"


def waterfall_traces(
    frame: pd.DataFrame, key: Any = None, input_seq: Any = None, **trace: Any
) -> list[Any]:
    """Bars of the actions of one input (``input_seq``) or one key's inputs (``key``; default:
    the first input), on a time axis in ms, one row per action run labelled with the event it
    handled (the hover gives its depth in the cause chain), plus event markers. A trace log's
    calls get rows of their own (``llm qwen in chat_model_action``); its ``started`` marks
    none (the ended action's bar spans from its start)."""
    sel = _select_input(frame, key, input_seq)
    if sel.empty:
        return []
    t = elapsed_s(sel)
    t0 = np.nanmin(t)
    start_ms = (t - t0) * 1000
    is_event = (sel["record_type"] == "event").to_numpy()
    depth: dict[Any, int] = {}
    for eid, up in zip(sel["event_id"][is_event], sel["upstream_event_id"][is_event], strict=True):
        depth[eid] = depth.get(up, -1) + 1 if isinstance(up, str) else 0
    labels: list[str] = []
    bases: list[float] = []
    widths: list[float] = []
    hover: list[str] = []
    ev_y: list[float] = []
    ev_x: list[float] = []
    ev_hover: list[str] = []
    rtype = sel["record_type"].to_numpy()
    calls = "entity_type" in sel.columns
    for i, (_, r) in enumerate(sel.iterrows()):
        d = depth.get(r["event_id"], 0)
        if is_event[i]:
            ev_y.append(len(labels) - 0.5 if labels else 0)
            ev_x.append(start_ms[i])
            ev_hover.append(f"event {esc(r['event_type'])} (key {esc(r['key'])})")
            continue
        if rtype[i] == "start":  # a trace log's "started" mark: its action's bar has the span
            continue
        if rtype[i] == "call" and calls:  # an llm/tool/parser call inside its action
            what = f"{esc(r['entity_type'])} {esc(r['entity_name'])}"
            labels.append(f"{what} <span style='color:#888'>in {esc(r['action'])}</span>")
        else:
            labels.append(action_label(esc(r["action"]), esc(r["event_type"])))
        bases.append(start_ms[i])
        widths.append(float(r["duration_ms"]) if pd.notna(r["duration_ms"]) else 0.0)
        hover.append(
            f"{esc(r['action'])} on {esc(r['event_type'])} (cause depth {d})<br>"
            f"started at {start_ms[i]:.3f} ms, took {widths[-1]:.3f} ms, {esc(r['status'])}"
        )
    y = list(range(len(labels)))
    bars = go.Bar(
        y=y,
        x=widths,
        base=bases,
        orientation="h",
        name="actions",
        text=hover,
        hovertemplate="%{text}<extra></extra>",
        textposition="none",
        **trace,
    )
    marks = go.Scatter(
        x=ev_x,
        y=ev_y,
        mode="markers",
        name="events sent",
        marker_symbol="diamond",
        text=ev_hover,
        hovertemplate="%{text}<br>t=%{x:.3f} ms<extra></extra>",
        **trace,
    )
    bars.meta = {"ticktext": labels}
    return [bars, marks]


def _select_input(frame: pd.DataFrame, key: Any, input_seq: Any) -> pd.DataFrame:
    if input_seq is not None:
        return frame[frame["input_seq"] == input_seq]
    if key is not None:
        keys = frame["key"]
        return frame[(keys == key) | (keys.astype(str) == str(key))]
    if frame.empty:
        return frame
    return frame[frame["input_seq"] == frame["input_seq"].iloc[0]]


def waterfall(source: Any, key: Any = None, input_seq: Any = None) -> go.Figure:
    """Each action of one input (or key) as a bar on a time axis, nested by lineage."""
    traces = waterfall_traces(record_frame_of(source), key, input_seq)
    fig = go.Figure(traces)
    label_waterfall(fig, traces)
    what = (
        f"input #{input_seq}"
        if input_seq is not None
        else (f"key {esc(key)}" if key is not None else "the first input")
    )
    fig.update_layout(
        title=f"Waterfall of {what}: each action as a bar, nested under the action that caused it",
        xaxis_title="ms since the input arrived",
        yaxis_title="action",
    )
    return fig


def label_waterfall(fig: go.Figure, traces: list[Any], **where: Any) -> None:
    """Put the action labels of :func:`waterfall_traces` on the y axis (``where``: subplot)."""
    if traces:
        labels = traces[0].meta["ticktext"]
        fig.update_yaxes(
            tickvals=list(range(len(labels))), ticktext=labels, autorange="reversed", **where
        )


def describe_input(frame: pd.DataFrame, input_seq: Any) -> str:
    """``"input #12 (key t5), 3.2 ms in 4 actions"``: which input, its key and its actions'
    total time (escaped)."""
    acts = frame[(frame["record_type"] == "action") & (frame["input_seq"] == input_seq)]
    keys = frame.loc[frame["input_seq"] == input_seq, "key"]
    key = f" (key {esc(keys.iloc[0])})" if len(keys) else ""
    total = float(acts["duration_ms"].fillna(0).sum())
    shown = f"{total:,.1f}" if total >= 1 else f"{total:.3f}"  # a sub-ms input: not "0.0"
    return f"input #{esc(input_seq)}{key}, {shown} ms in {len(acts)} actions"


def slowest_input(frame: pd.DataFrame) -> Any:
    """The ``input_seq`` whose actions took longest in total (``None`` without actions)."""
    acts = frame[frame["record_type"] == "action"]
    if acts.empty:
        return None
    seqs = acts["input_seq"].to_numpy(dtype=np.int64, na_value=-1)
    ok = seqs >= 0
    totals = np.bincount(seqs[ok], weights=acts["duration_ms"].fillna(0).to_numpy()[ok])
    return int(np.argmax(totals))
