"""Plotly charts of evaluations: every axis titled with its unit, legends per panel.

The figures take an ``Evaluation`` / ``Comparison`` (typed loosely: ``_results`` imports
this module).
"""

from __future__ import annotations

from typing import Any


def evaluation_figure(ev: Any) -> Any:
    """Left: mean score per scorer (0-1); right: each row's score per scorer (heatmap)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    agg = ev.aggregate
    names = ev.scorer_names
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("mean score per scorer", "score per row"),
        column_widths=[0.4, 0.6],
    )
    fig.add_trace(go.Bar(x=agg["scorer"], y=agg["mean"], name="mean score"), row=1, col=1)
    z = ev.scores[names].astype(float).to_numpy()
    fig.add_trace(
        go.Heatmap(
            z=z,
            x=names,
            y=[str(r) for r in ev.scores["row"]],
            zmin=0,
            zmax=1,
            colorscale="RdYlGn",
            colorbar={"title": "score (0-1)"},
        ),
        row=1,
        col=2,
    )
    fig.update_xaxes(title_text="scorer", row=1, col=1)
    fig.update_yaxes(title_text="mean score (0-1)", range=[0, 1.05], row=1, col=1)
    fig.update_xaxes(title_text="scorer", row=1, col=2)
    fig.update_yaxes(title_text="dataset row", autorange="reversed", row=1, col=2)
    fig.update_layout(title=f"evaluation {ev.name}", showlegend=False, height=360)
    return fig


def comparison_figure(cmp: Any) -> Any:
    """Left: mean score per scorer, a bar per version (0-1); right: cost or tokens per
    version (USD when every model is priced, else tokens)."""
    import math

    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    t = cmp.table
    scorers = [c for c in t.columns if c not in ("prompt_tokens", "completion_tokens", "cost_usd")]
    priced = not any(math.isnan(float(v)) for v in t["cost_usd"])
    right = "cost per version" if priced else "tokens per version"
    fig = make_subplots(rows=1, cols=2, subplot_titles=("mean score per scorer", right))
    for version, row in t.iterrows():
        fig.add_trace(
            go.Bar(
                x=scorers, y=[row[s] for s in scorers], name=str(version), legendgroup=str(version)
            ),
            row=1,
            col=1,
        )
    versions = [str(v) for v in t.index]
    if priced:
        fig.add_trace(go.Bar(x=versions, y=t["cost_usd"], showlegend=False), row=1, col=2)
        fig.update_yaxes(title_text="cost (USD)", row=1, col=2)
    else:
        tokens = t["prompt_tokens"] + t["completion_tokens"]
        fig.add_trace(go.Bar(x=versions, y=tokens, showlegend=False), row=1, col=2)
        fig.update_yaxes(title_text="tokens (count)", row=1, col=2)
    fig.update_xaxes(title_text="scorer", row=1, col=1)
    fig.update_yaxes(title_text="mean score (0-1)", range=[0, 1.05], row=1, col=1)
    fig.update_xaxes(title_text="version", row=1, col=2)
    fig.update_layout(
        barmode="group", title="evaluation comparison", height=360, legend_title_text="version"
    )
    return fig
