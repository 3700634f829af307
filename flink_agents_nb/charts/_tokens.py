"""Token charts: prompt and completion tokens per model and action, over time, with cost.

Token counts come from event rows' ``prompt_tokens`` / ``completion_tokens`` / ``model``
columns (a run's chat responses); cost is USD from the price table (``prices``: see
:mod:`flink_agents_nb.run._costs`; default ``conf/prices.yaml``), NaN for unpriced models. Labels
are HTML-escaped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from flink_agents_nb._html import esc
from flink_agents_nb.run._costs import cost_column, load_prices
from flink_agents_nb.run._source import elapsed_s, record_frame_of


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
    out["cost"] = cost_column(
        load_prices(prices), out["model"], out["prompt_tokens"], out["completion_tokens"]
    )
    return out[cols]


def tokens(source: Any, prices: Any = None) -> go.Figure:
    """Prompt and completion tokens: cumulative over time per model, totals per model and
    per action; the title gives the cost where prices are known (``conf/prices.yaml``)."""
    frame = record_frame_of(source)
    fig = make_subplots(rows=1, cols=3, subplot_titles=("over time", "per model", "per action"))
    for trace, col in token_traces(frame, prices):
        fig.add_trace(trace, row=1, col=col)
    fig.update_layout(title=token_title(frame, prices), barmode="stack")
    fig.update_xaxes(title_text="seconds since start", row=1, col=1)
    fig.update_yaxes(title_text="tokens", row=1, col=1)
    return fig


def token_title(frame: pd.DataFrame, prices: Any = None) -> str:
    """``Tokens: N total`` plus the cost where any model is priced."""
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
    t = elapsed_s(frame)[ev.index.to_numpy()] if frame.index.is_unique else elapsed_s(ev)
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
