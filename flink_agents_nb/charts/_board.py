"""The dashboard figure: five panels, each with titled axes (units) and a legend of its own.

Panels: throughput (records per second over seconds since the run started, the busiest
:data:`~flink_agents_nb.charts._dashboard.TOP_LINES` series plus "other"), action latency
(ms, log scale), tokens per model (stacked prompt/completion), cost per model (USD, from
the price table) and the waterfall of the input whose actions took longest in total (ms since
that input arrived). Plotly's per-trace ``legend`` (``legend``, ``legend2``, ...) puts each
panel's legend beside it instead of one legend mixing them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from flink_agents_nb._html import esc
from flink_agents_nb.charts._metrics import builtin_metrics
from flink_agents_nb.charts._series import TOP_LINES, latency_traces, log_dtick, throughput_traces
from flink_agents_nb.charts._tokens import bar_traces, token_table, token_title
from flink_agents_nb.charts._waterfall import (
    describe_input,
    label_waterfall,
    slowest_input,
    waterfall_traces,
)

#: Panel -> (row, col) in the subplot grid.
PANELS = {"throughput": (1, 1), "latency": (2, 1), "cost": (3, 1), "tokens": (3, 2), "wf": (4, 1)}
#: The legend of each panel (plotly's ``legend``, ``legend2``, ...); the cost panel has none.
LEGENDS = {"throughput": "legend", "latency": "legend2", "tokens": "legend3", "wf": "legend5"}
_AXES = {
    "throughput": ("seconds since the run started", "records per second"),
    "latency": ("action", "duration (ms)"),
    "tokens": ("model", "tokens"),
    "cost": ("model", "cost (USD)"),
    "wf": ("ms since the input arrived", "action on the event it handled"),
}


def _cost_traces(table: pd.DataFrame) -> list[go.Bar]:
    per_model = table.groupby("model")["cost_usd"].sum(min_count=1).dropna()
    if per_model.empty:
        return []
    return [
        go.Bar(
            x=[esc(m) for m in per_model.index],
            y=per_model.to_numpy(),
            name="cost (USD)",
            marker_color="#00cc96",
            text=[f"${v:,.4f}" for v in per_model.to_numpy()],
            textposition="auto",
            hovertemplate="%{x}<br>$%{y:,.6f}<extra></extra>",
            showlegend=False,
        )
    ]


def build_dashboard(frame: pd.DataFrame, prices: Any = None) -> go.Figure:
    """The dashboard of a record frame (see the module docstring)."""
    slow = slowest_input(frame)
    table = token_table(frame, prices)
    wf_title = (
        f"waterfall of the slowest input: {describe_input(frame, slow)}"
        if slow is not None
        else "waterfall (no actions)"
    )
    # Wide panels in one column, with their legends in the right margin; the two narrow
    # ones share a row (cost left, without a legend; tokens right, legend in the margin), so
    # no legend covers a neighbour even in a notebook's ~950 px output area.
    fig = make_subplots(
        rows=4,
        cols=2,
        specs=[[{"colspan": 2}, None], [{"colspan": 2}, None], [{}, {}], [{"colspan": 2}, None]],
        subplot_titles=(
            f"throughput (top {TOP_LINES} series)",
            "action latency, log scale (box: min, quartiles, max)",
            "cost per model",
            "tokens per model",
            wf_title,
        ),
        horizontal_spacing=0.12,
        vertical_spacing=0.09,
    )
    parts: dict[str, list[Any]] = {
        "throughput": throughput_traces(frame, TOP_LINES, legend="legend"),
        "latency": latency_traces(frame, legend="legend2"),
        "cost": _cost_traces(table),
        "tokens": bar_traces(table, "model", legend="legend3") if len(table) else [],
        "wf": waterfall_traces(frame, input_seq=slow, legend="legend5") if slow is not None else [],
    }
    for name, traces in parts.items():
        row, col = PANELS[name]
        for tr in traces:
            fig.add_trace(tr, row=row, col=col)
        x_title, y_title = _AXES[name]
        fig.update_xaxes(title_text=x_title, title_standoff=6, row=row, col=col)
        fig.update_yaxes(title_text=y_title, title_standoff=6, row=row, col=col)
    label_waterfall(fig, parts["wf"], row=4, col=1)
    fig.update_yaxes(type="log", dtick=log_dtick(parts["latency"]), row=2, col=1)
    if parts["cost"]:
        # Dollars, not plotly's SI prefixes ("300µ" for $0.0003): "$0.0001", "$1,200".
        fig.update_yaxes(tickprefix="$", tickformat=",~g", row=3, col=1)
    else:
        _note(
            fig,
            "cost",
            "no priced model: add it to conf/prices.yaml" if len(table) else "no tokens",
        )
    if not parts["tokens"]:
        _note(fig, "tokens", "no token usage recorded")
    n_ev = int((frame["record_type"] == "event").sum())
    n_act = int((frame["record_type"] == "action").sum())  # trace logs: calls, starts apart
    title = f"{n_ev:,} events, {n_act:,} actions. {token_title(frame, prices)}"
    runs = builtin_metrics(frame)  # Flink Agents 0.4's input-run counts
    if runs.get("numOfInputRunsFailed"):
        title += f". Input runs: {runs['numOfInputRunsSucceeded']:.0f} ok, "
        title += f"{runs['numOfInputRunsFailed']:.0f} failed."
    fig.update_layout(title=title, barmode="stack", height=1250, margin={"r": 200})
    _place_legends(fig)
    return fig


def _note(fig: go.Figure, panel: str, text: str) -> None:
    row, col = PANELS[panel]
    # An empty panel draws no axes (and a note on them would land on the first panel).
    fig.add_trace(go.Scatter(x=[], y=[], showlegend=False, hoverinfo="skip"), row=row, col=col)
    ref = fig.get_subplot(row, col)
    x_name = ref.xaxis.plotly_name.replace("axis", "")
    y_name = ref.yaxis.plotly_name.replace("axis", "")
    fig.update_xaxes(showticklabels=False, row=row, col=col)
    fig.update_yaxes(showticklabels=False, row=row, col=col)
    fig.add_annotation(
        text=text,
        showarrow=False,
        xref=f"{x_name} domain",
        yref=f"{y_name} domain",
        x=0.5,
        y=0.5,
        font={"color": "#777"},
    )


def _place_legends(fig: go.Figure) -> None:
    """Each panel's legend to the right of its panel, at the panel's top."""
    for name, key in LEGENDS.items():
        row, col = PANELS[name]
        ref = fig.get_subplot(row, col)
        x_dom, y_dom = ref.xaxis.domain, ref.yaxis.domain
        fig.update_layout(
            {
                key: {
                    "x": float(x_dom[1]) + 0.01,
                    "y": float(y_dom[1]),
                    "xanchor": "left",
                    "yanchor": "top",
                    "xref": "paper",
                    "yref": "paper",
                    "font": {"size": 10},
                    "bgcolor": "rgba(255,255,255,0.6)",
                }
            }
        )


__all__ = ["LEGENDS", "PANELS", "build_dashboard"]
