"""Token charts: prompt and completion tokens per model and action, over time, with cost.

Usage rows come from :func:`flink_agents_nb.run._usage.usage_rows` (the one attribution rule:
``action`` is the action that asked for the tokens, ``model_action`` the one that called the
model); totals and cost from :func:`flink_agents_nb.run._costs.token_usage` (USD from the price
table, NaN for unpriced models, which warn once). Labels are HTML-escaped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from flink_agents_nb._html import esc
from flink_agents_nb.run._costs import token_usage
from flink_agents_nb.run._source import elapsed_s, record_frame_of
from flink_agents_nb.run._usage import usage_rows

_TOKEN_COLORS = {"prompt": "#636efa", "completion": "#ffa15a"}


def token_table(frame: pd.DataFrame, prices: Any = None, warn: bool = True) -> pd.DataFrame:
    """Token totals and cost per ``model``, ``action`` and ``model_action``: the same table
    as :func:`flink_agents_nb.token_usage` (columns ``USAGE_COLUMNS``)."""
    return token_usage(frame, prices, warn=warn)


def tokens(source: Any, prices: Any = None) -> go.Figure:
    """Prompt and completion tokens: cumulative over time per model, totals per model and
    per requesting action; the title gives the cost where prices are known."""
    frame = record_frame_of(source)
    token_table(frame, prices)  # warns (once) about unpriced models
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=(
            "cumulative tokens per model",
            "tokens per model",
            "tokens per requesting action",
        ),
        horizontal_spacing=0.1,
    )
    for trace, col in token_traces(frame, prices):
        fig.add_trace(trace, row=1, col=col)
    fig.update_layout(
        title=token_title(frame, prices),
        barmode="stack",
        **token_legends(),
    )
    fig.update_xaxes(title_text="seconds since the run started", row=1, col=1)
    fig.update_xaxes(title_text="model", row=1, col=2)
    fig.update_xaxes(title_text="action that asked", row=1, col=3)
    fig.update_yaxes(title_text="tokens")
    return fig


def token_legends() -> dict[str, Any]:
    """Layout of the two token legends: the models' lines (``legend``, titled "model", in
    the first panel's top-left corner) and the token kinds of the bars (``legend2``,
    titled "tokens", in the right margin), so a model's name is not read as a kind of
    token. Always shown: a one-model line would otherwise lose its name."""
    return {
        "showlegend": True,
        "legend": {
            "title": {"text": "model"},
            "x": 0.01,
            "y": 0.99,
            "xanchor": "left",
            "yanchor": "top",
            "bgcolor": "rgba(255,255,255,0.7)",
        },
        "legend2": {"title": {"text": "tokens"}, "x": 1.02, "y": 1, "yanchor": "top"},
    }


def token_title(frame: pd.DataFrame, prices: Any = None) -> str:
    """``Tokens: N total`` plus the cost where any model is priced."""
    table = token_table(frame, prices, warn=False)
    total = int(table["total_tokens"].sum())
    title = f"Tokens: {total:,} total"
    if len(table) and table["cost_usd"].notna().any():
        title += f", cost ${table['cost_usd'].sum(min_count=1):,.4f}"
        if table["cost_usd"].isna().any():
            title += " (some models unpriced)"
    return title


def cumulative_traces(frame: pd.DataFrame, **trace: Any) -> list[go.Scatter]:
    """One line per model: its tokens (prompt + completion) summed over time (seconds since
    the first record); at most ~500 points per line."""
    rows = usage_rows(frame)
    if rows.empty:
        return []
    t = elapsed_s(frame)[rows["row"].to_numpy()]
    models = rows["model"].to_numpy()
    total = (rows["prompt_tokens"] + rows["completion_tokens"]).to_numpy()
    order = np.argsort(t, kind="stable")
    out = []
    for model in pd.unique(models):
        sel = order[models[order] == model]
        cum = np.cumsum(total[sel])
        step = max(1, len(sel) // 500)
        idx = np.unique(np.r_[np.arange(0, len(sel), step), len(sel) - 1])
        name = esc(model)
        out.append(
            go.Scatter(
                x=t[sel][idx],
                y=cum[idx],
                mode="lines",
                name=name,
                hovertemplate=f"{name}<br>t=%{{x:.3f}} s<br>%{{y:,}} tokens<extra></extra>",
                **trace,
            )
        )
    return out


def bar_traces(table: pd.DataFrame, by: str, **trace: Any) -> list[go.Bar]:
    """Stacked prompt and completion bars of ``table`` (a token table) grouped by ``by``."""
    out = []
    for part in ("prompt_tokens", "completion_tokens"):
        sums = table.groupby(by)[part].sum()
        label = part.replace("_tokens", "")
        out.append(
            go.Bar(
                x=[esc(v) for v in sums.index],
                y=sums.to_numpy(),
                name=f"{label} tokens",
                marker_color=_TOKEN_COLORS[label],
                hovertemplate=f"%{{x}}<br>%{{y:,}} {label} tokens<extra></extra>",
                **trace,
            )
        )
    return out


def token_traces(frame: pd.DataFrame, prices: Any = None) -> list[tuple[Any, int]]:
    """``(trace, column)`` pairs for the three token panels (columns 1..3)."""
    table = token_table(frame, prices, warn=False)
    if table.empty:
        return []
    # Two legends: the models' lines (in the first panel's corner) apart from the token
    # kinds of the bars (right margin), so a model's name is not read as a kind of token.
    out: list[tuple[Any, int]] = [
        (tr, 1) for tr in cumulative_traces(frame, legend="legend", showlegend=True)
    ]
    bars = {"legendgroup": "tok", "legend": "legend2"}
    out += [(tr, 2) for tr in bar_traces(table, "model", **bars)]
    out += [(tr, 3) for tr in bar_traces(table, "action", **bars, showlegend=False)]
    return out
