"""Throughput and latency charts (plotly), aggregated with numpy before plotting.

Units: time axes are seconds since the first record; durations are milliseconds; throughput
is records per second. Names from records are HTML-escaped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from flink_agents_nb._html import esc
from flink_agents_nb.run._source import elapsed_s, record_frame_of

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


# -- throughput ------------------------------------------------------------------------
#: Lines a throughput chart shows by default: the busiest series, the rest summed as "other".
TOP_LINES = 6


def throughput_traces(
    frame: pd.DataFrame, top: int | None = None, **trace: Any
) -> list[go.Scatter]:
    """One line per event type (``event: T``) and per action (``action: A``): records per
    second in each time bucket. With ``top``, only the ``top`` busiest series get a line and
    the others are summed into one ``other (N series)`` line."""
    t = elapsed_s(frame)
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
    series: list[tuple[str, np.ndarray]] = []
    for code, name in enumerate(names):
        kind = "event" if kinds.get(code, True) else "action"
        series.append((f"{kind}: {esc(name)}", counts[code]))
    if top is not None and len(series) > top + 1:
        order = np.argsort([-int(c.sum()) for _, c in series], kind="stable")
        kept = sorted(order[:top])
        rest = [series[i][1] for i in order[top:]]
        series = [series[i] for i in kept]
        series.append((f"other ({len(rest)} series)", np.sum(rest, axis=0)))
    traces = []
    for label_text, count in series:
        traces.append(
            go.Scatter(
                x=x,
                y=count / width,
                mode="lines" if nb > 1 else "markers",  # one bucket (a sub-ms run): no line
                name=label_text,
                hovertemplate=f"{label_text}<br>t=%{{x:.3f}} s<br>%{{y:,.1f}} records/s"
                "<extra></extra>",
                **trace,
            )
        )
    return traces


def throughput(source: Any, top: int | None = TOP_LINES) -> go.Figure:
    """Events and actions per second over time: a line per event type and action, the
    ``top`` busiest only (the rest as one "other" line; ``top=None``: every one)."""
    fig = go.Figure(throughput_traces(record_frame_of(source), top))
    fig.update_layout(
        title="Throughput",
        xaxis_title="seconds since the run started",
        yaxis_title="records per second",
        legend_title_text="event type / action",
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


def latency_traces(frame: pd.DataFrame, **trace: Any) -> list[Any]:
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
        **trace,
    )
    markers = [
        go.Scatter(
            x=names,
            y=stats[name],
            mode="markers",
            name=name,
            marker_symbol=symbol,
            text=hover,
            hovertemplate=f"%{{text}}<extra>{name}</extra>",
            **trace,
        )
        for name, symbol in (("p95", "diamond"), ("p99", "x"))
    ]
    return [box, *markers]


def log_dtick(traces: list[Any]) -> int | None:
    """``dtick`` of a log axis over ``traces``: 1 (a label per power of ten) when their
    values span two decades or more, else ``None`` (plotly's own ticks: within one decade
    there is no power of ten to label, and the axis showed no numbers at all)."""
    values: list[float] = []
    for tr in traces:
        for name in ("y", "lowerfence", "upperfence"):
            part = getattr(tr, name, None)
            if part is not None:
                values.extend(float(v) for v in part if v is not None and v == v and v > 0)
    if not values:
        return None
    return 1 if max(values) / min(values) >= 100 else None


def latency(source: Any) -> go.Figure:
    """Action latency per action: box (min, quartiles, max) with p95/p99 markers, in ms."""
    traces = latency_traces(record_frame_of(source))
    fig = go.Figure(traces)
    fig.update_layout(
        title="Action latency (box: min, quartiles, max)",
        xaxis_title="action",
        yaxis_title="duration (ms, log scale)",
        yaxis_type="log",
        yaxis_dtick=log_dtick(traces),
    )
    return fig
