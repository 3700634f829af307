"""Charts of a run or an event log (plotly ``go.Figure``), aggregated before plotting.

Every chart takes anything with a record frame (``Run``, ``EventLog``, a frame; see
:func:`~flink_agents_nb._source.record_frame_of`) and reduces it with numpy first (counts per
time bucket, percentiles per action, token sums), so a million records become a few hundred
points and plot in seconds. Names and keys from records are untrusted: every label and hover
text is HTML-escaped (plotly renders a subset of HTML in labels).

Units: time axes are seconds since the first record; durations are milliseconds; throughput
is records per second.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from flink_agents_nb._html import esc
from flink_agents_nb._prices import cost_of
from flink_agents_nb._source import record_frame_of, timestamps_ns

#: Time buckets per throughput chart (at most).
MAX_BUCKETS = 120
_NICE_S = (
    0.001,
    0.002,
    0.005,
    0.01,
    0.02,
    0.05,
    0.1,
    0.2,
    0.5,
    1,
    2,
    5,
    10,
    30,
    60,
    300,
    600,
    1800,
    3600,
)


def _bucket_s(span_s: float) -> float:
    for b in _NICE_S:
        if span_s / b <= MAX_BUCKETS:
            return b
    return _NICE_S[-1] * max(1, int(span_s / (_NICE_S[-1] * MAX_BUCKETS)) + 1)


def _elapsed_s(frame: pd.DataFrame) -> np.ndarray:
    ts = timestamps_ns(frame)
    valid = ts != np.iinfo(np.int64).min
    t0 = ts[valid].min() if valid.any() else 0
    return np.where(valid, (ts - t0) / 1e9, np.nan)


# -- throughput ------------------------------------------------------------------------
def throughput_traces(frame: pd.DataFrame) -> list[go.Scatter]:
    """One line per event type (``event: T``) and per action (``action: A``): records per
    second in each time bucket."""
    t = _elapsed_s(frame)
    is_event = frame["record_type"].to_numpy() == "event"
    label = np.where(is_event, frame["event_type"].to_numpy(), frame["action"].to_numpy())
    codes, names = pd.factorize(pd.Series(label, dtype=object))
    ok = ~np.isnan(t) & (codes >= 0)
    if not ok.any():
        return []
    span = float(np.nanmax(t)) if len(t) else 0.0
    b = _bucket_s(span)
    nb = int(span // b) + 1
    bucket = (t[ok] // b).astype(np.int64)
    counts = np.bincount(codes[ok] * nb + bucket, minlength=len(names) * nb).reshape(-1, nb)
    kinds = pd.Series(is_event[ok]).groupby(codes[ok]).first()
    x = np.arange(nb) * b
    width = np.full(nb, b)
    width[-1] = max(span - (nb - 1) * b, b / 10)  # the last bucket is partly covered
    traces = []
    for code, name in enumerate(names):
        kind = "event" if kinds.get(code, True) else "action"
        label_text = f"{kind}: {esc(name)}"
        traces.append(
            go.Scatter(
                x=x,
                y=counts[code] / width,
                mode="lines",
                name=label_text,
                hovertemplate=f"{label_text}<br>t=%{{x:.3f}}s<br>%{{y:,.1f}}/s<extra></extra>",
            )
        )
    return traces


def throughput(source: Any) -> go.Figure:
    """Events and actions per second over time, one line per event type and action."""
    fig = go.Figure(throughput_traces(record_frame_of(source)))
    fig.update_layout(
        title="Throughput", xaxis_title="seconds since start", yaxis_title="records per second"
    )
    return fig


# -- latency ---------------------------------------------------------------------------
def latency_stats(frame: pd.DataFrame) -> pd.DataFrame:
    """Per action: ``count``, ``mean``, ``min``, ``p25``, ``p50``, ``p75``, ``p95``, ``p99``,
    ``max`` of ``duration_ms`` (all attempts)."""
    acts = frame.loc[frame["record_type"] == "action", ["action", "duration_ms"]].dropna()
    qs = [0.25, 0.5, 0.75, 0.95, 0.99]
    if acts.empty:
        return pd.DataFrame(
            columns=["count", "mean", "min", "p25", "p50", "p75", "p95", "p99", "max"]
        )
    g = acts.groupby("action", sort=True)["duration_ms"]
    q = g.quantile(qs).unstack()
    q.columns = ["p25", "p50", "p75", "p95", "p99"]
    out = pd.concat(
        [
            g.count().rename("count"),
            g.mean().rename("mean"),
            g.min().rename("min"),
            q,
            g.max().rename("max"),
        ],
        axis=1,
    )
    return out


def latency_traces(frame: pd.DataFrame) -> list[Any]:
    """A box per action from precomputed quartiles, plus p95/p99 markers; the hover shows
    p50/p95/p99 and the count."""
    stats = latency_stats(frame)
    names = [esc(a) for a in stats.index]
    hover = [
        f"{n}<br>n={int(r['count'])}<br>p50={r['p50']:.3f} ms<br>p95={r['p95']:.3f} ms"
        f"<br>p99={r['p99']:.3f} ms<br>max={r['max']:.3f} ms"
        for n, (_, r) in zip(names, stats.iterrows(), strict=True)
    ]
    box = go.Box(
        x=names,
        q1=stats["p25"],
        median=stats["p50"],
        q3=stats["p75"],
        lowerfence=stats["min"],
        upperfence=stats["max"],
        mean=stats["mean"],
        name="duration",
        boxpoints=False,
        showlegend=False,
        hoverinfo="skip",
    )
    p95 = go.Scatter(
        x=names,
        y=stats["p95"],
        mode="markers",
        name="p95",
        marker_symbol="diamond",
        text=hover,
        hovertemplate="%{text}<extra>p95</extra>",
    )
    p99 = go.Scatter(
        x=names,
        y=stats["p99"],
        mode="markers",
        name="p99",
        marker_symbol="x",
        text=hover,
        hovertemplate="%{text}<extra>p99</extra>",
    )
    return [box, p95, p99]


def latency(source: Any) -> go.Figure:
    """Action latency per action: box (min, quartiles, max) with p95/p99 markers, in ms."""
    fig = go.Figure(latency_traces(record_frame_of(source)))
    fig.update_layout(title="Action latency", yaxis_title="duration (ms)", yaxis_type="log")
    return fig


# -- tokens ----------------------------------------------------------------------------
def token_table(frame: pd.DataFrame, prices: Any = None) -> pd.DataFrame:
    """Token totals per ``model`` and ``action`` (the action that sent the response):
    ``prompt_tokens``, ``completion_tokens``, ``responses`` and ``cost`` (NaN where the
    model's price is unknown)."""
    ev = frame[
        (frame["record_type"] == "event")
        & (frame["prompt_tokens"].notna() | frame["completion_tokens"].notna())
    ]
    cols = ["model", "action", "prompt_tokens", "completion_tokens", "responses", "cost"]
    if ev.empty:
        return pd.DataFrame(columns=cols)
    t = pd.DataFrame(
        {
            "model": ev["model"].fillna("(unknown)").astype(str).to_numpy(),
            "action": ev["upstream_action"].fillna("(input)").astype(str).to_numpy(),
            "prompt_tokens": ev["prompt_tokens"].fillna(0).astype("int64").to_numpy(),
            "completion_tokens": ev["completion_tokens"].fillna(0).astype("int64").to_numpy(),
        }
    )
    out = (
        t.groupby(["model", "action"], sort=True)
        .agg(
            prompt_tokens=("prompt_tokens", "sum"),
            completion_tokens=("completion_tokens", "sum"),
            responses=("prompt_tokens", "size"),
        )
        .reset_index()
    )
    out["cost"] = [
        cost_of(m, p, c, prices)
        for m, p, c in zip(
            out["model"], out["prompt_tokens"], out["completion_tokens"], strict=True
        )
    ]
    return out[cols]


def tokens(source: Any, prices: Any = None) -> go.Figure:
    """Prompt and completion tokens: cumulative over time per model, totals per model and
    per action; the title gives the cost where prices are known (``conf/prices.yaml``)."""
    frame = record_frame_of(source)
    fig = make_subplots(rows=1, cols=3, subplot_titles=("over time", "per model", "per action"))
    for trace, col in token_traces(frame, prices):
        fig.add_trace(trace, row=1, col=col)
    fig.update_layout(title=_token_title(frame, prices), barmode="stack")
    fig.update_xaxes(title_text="seconds since start", row=1, col=1)
    fig.update_yaxes(title_text="tokens", row=1, col=1)
    return fig


def _token_title(frame: pd.DataFrame, prices: Any) -> str:
    table = token_table(frame, prices)
    total = int(table["prompt_tokens"].sum() + table["completion_tokens"].sum())
    title = f"Tokens: {total:,} total"
    if len(table) and table["cost"].notna().any():
        title += f", cost ${table['cost'].sum(min_count=1):,.4f}"
        if table["cost"].isna().any():
            title += " (some models unpriced)"
    return title


def token_traces(frame: pd.DataFrame, prices: Any = None) -> list[tuple[Any, int]]:
    """``(trace, column)`` pairs for the three token panels (columns 1..3)."""
    ev = frame[
        (frame["record_type"] == "event")
        & (frame["prompt_tokens"].notna() | frame["completion_tokens"].notna())
    ]
    out: list[tuple[Any, int]] = []
    if ev.empty:
        return out
    t = _elapsed_s(frame)[ev.index.to_numpy()] if frame.index.is_unique else _elapsed_s(ev)
    models = ev["model"].fillna("(unknown)").astype(str).to_numpy()
    prompt = ev["prompt_tokens"].fillna(0).to_numpy(dtype=np.int64)
    completion = ev["completion_tokens"].fillna(0).to_numpy(dtype=np.int64)
    order = np.argsort(t, kind="stable")
    for model in pd.unique(models):
        sel = order[models[order] == model]
        cum = np.cumsum(prompt[sel] + completion[sel])
        step = max(1, len(sel) // 500)  # downsample the cumulative line
        idx = np.unique(np.r_[np.arange(0, len(sel), step), len(sel) - 1])
        name = esc(model)
        out.append(
            (
                go.Scatter(
                    x=t[sel][idx],
                    y=cum[idx],
                    mode="lines",
                    name=f"{name} total",
                    hovertemplate=f"{name}<br>t=%{{x:.3f}}s<br>%{{y:,}} tokens<extra></extra>",
                ),
                1,
            )
        )
    table = token_table(frame, prices)
    for part in ("prompt_tokens", "completion_tokens"):
        per_model = table.groupby("model")[part].sum()
        per_action = table.groupby("action")[part].sum()
        label = part.replace("_tokens", "")
        color = _TOKEN_COLORS[label]
        out.append(
            (
                go.Bar(
                    x=[esc(m) for m in per_model.index],
                    y=per_model.to_numpy(),
                    name=f"{label} tokens",
                    legendgroup=label,
                    marker_color=color,
                ),
                2,
            )
        )
        out.append(
            (
                go.Bar(
                    x=[esc(a) for a in per_action.index],
                    y=per_action.to_numpy(),
                    name=f"{label} tokens",
                    legendgroup=label,
                    marker_color=color,
                    showlegend=False,
                ),
                3,
            )
        )
    return out


_TOKEN_COLORS = {"prompt": "#636efa", "completion": "#ffa15a"}


# -- waterfall -------------------------------------------------------------------------
def waterfall_traces(frame: pd.DataFrame, key: Any = None, input_seq: Any = None) -> list[Any]:
    """Bars of the actions of one input (``input_seq``) or one key's inputs (``key``; default:
    the first input), on a time axis in ms, indented by lineage depth, plus event markers."""
    sel = _select_input(frame, key, input_seq)
    if sel.empty:
        return []
    t = _elapsed_s(sel)
    t0 = np.nanmin(t)
    start_ms = (t - t0) * 1000
    is_event = (sel["record_type"] == "event").to_numpy()
    depth: dict[Any, int] = {}
    for eid, up in zip(sel["event_id"][is_event], sel["upstream_event_id"][is_event], strict=True):
        depth[eid] = depth.get(up, -1) + 1 if isinstance(up, str) else 0
    labels, bases, widths, hover, ev_y, ev_x, ev_hover = [], [], [], [], [], [], []
    for i, (_, r) in enumerate(sel.iterrows()):
        d = depth.get(r["event_id"], 0)
        if is_event[i]:
            ev_y.append(len(labels) - 0.5 if labels else 0)
            ev_x.append(start_ms[i])
            ev_hover.append(f"event {esc(r['event_type'])} (key {esc(r['key'])})")
            continue
        labels.append("· " * d + esc(r["action"]))
        bases.append(start_ms[i])
        widths.append(float(r["duration_ms"]) if pd.notna(r["duration_ms"]) else 0.0)
        hover.append(
            f"{esc(r['action'])} on {esc(r['event_type'])}<br>"
            f"{widths[-1]:.3f} ms, {esc(r['status'])}"
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
    )
    marks = go.Scatter(
        x=ev_x,
        y=ev_y,
        mode="markers",
        name="events sent",
        marker_symbol="diamond",
        text=ev_hover,
        hovertemplate="%{text}<br>t=%{x:.3f} ms<extra></extra>",
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
    _label_waterfall(fig, traces)
    what = (
        f"input {input_seq}"
        if input_seq is not None
        else (f"key {esc(key)}" if key is not None else "first input")
    )
    fig.update_layout(title=f"Waterfall of {what}", xaxis_title="ms since the input arrived")
    return fig


def _label_waterfall(fig: go.Figure, traces: list[Any], **where: Any) -> None:
    if traces:
        labels = traces[0].meta["ticktext"]
        fig.update_yaxes(
            tickvals=list(range(len(labels))), ticktext=labels, autorange="reversed", **where
        )


# -- dashboard -------------------------------------------------------------------------
def slowest_input(frame: pd.DataFrame) -> Any:
    """The ``input_seq`` whose actions took longest in total (``None`` without actions)."""
    acts = frame[frame["record_type"] == "action"]
    if acts.empty:
        return None
    seqs = acts["input_seq"].to_numpy(dtype=np.int64, na_value=-1)
    ok = seqs >= 0
    totals = np.bincount(seqs[ok], weights=acts["duration_ms"].fillna(0).to_numpy()[ok])
    return int(np.argmax(totals))


def dashboard(source: Any, prices: Any = None) -> go.Figure:
    """Throughput, latency, tokens per model and the waterfall of the slowest input."""
    frame = record_frame_of(source)
    slow = slowest_input(frame)
    fig = make_subplots(
        rows=2,
        cols=2,
        subplot_titles=(
            "throughput (records/s)",
            "action latency (ms)",
            "tokens per model",
            f"waterfall of the slowest input ({slow})",
        ),
    )
    for tr in throughput_traces(frame):
        fig.add_trace(tr, row=1, col=1)
    for tr in latency_traces(frame):
        fig.add_trace(tr, row=1, col=2)
    for tr, col in token_traces(frame, prices):
        if col == 2:
            fig.add_trace(tr, row=2, col=1)
    wf = waterfall_traces(frame, input_seq=slow) if slow is not None else []
    for tr in wf:
        fig.add_trace(tr, row=2, col=2)
    _label_waterfall(fig, wf, row=2, col=2)
    fig.update_yaxes(type="log", row=1, col=2)
    n_ev = int((frame["record_type"] == "event").sum())
    title = f"{n_ev:,} events, {len(frame) - n_ev:,} actions. {_token_title(frame, prices)}"
    fig.update_layout(title=title, barmode="stack", height=750)
    return fig


class PlotAccessor:
    """``run.plot.<chart>()``: the charts of one source (a ``Run`` or an ``EventLog``)."""

    def __init__(self, source: Any) -> None:
        self._source = source

    def throughput(self) -> go.Figure:
        """See :func:`throughput`."""
        return throughput(self._source)

    def latency(self) -> go.Figure:
        """See :func:`latency`."""
        return latency(self._source)

    def tokens(self, prices: Any = None) -> go.Figure:
        """See :func:`tokens`."""
        return tokens(self._source, prices)

    def waterfall(self, key: Any = None, input_seq: Any = None) -> go.Figure:
        """See :func:`waterfall`."""
        return waterfall(self._source, key, input_seq)

    def dashboard(self, prices: Any = None) -> go.Figure:
        """See :func:`dashboard`."""
        return dashboard(self._source, prices)
