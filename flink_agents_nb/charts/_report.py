"""One self-contained HTML report of a run or a log: summary, charts (each once), records.

The file opens offline and stays small (:mod:`~flink_agents_nb.charts._report_page`): plotly.js
(a partial bundle), the figures and the records travel compressed inside the file, and the
records are shown a page at a time with a filter box. Summary and token tables are plain,
escaped HTML with formatted numbers (thousands separators, costs in dollars, durations in ms).
Record cells are cut to :data:`CELL_CHARS` characters; the inspector shows them whole.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from flink_agents_nb._html import STYLE, esc, short
from flink_agents_nb.charts import _dashboard as _charts
from flink_agents_nb.charts._report_page import (
    PAGE_STYLE,
    SCRIPT,
    blob,
    pack,
    plotly_bundle_b64,
)
from flink_agents_nb.charts._tokens import (
    bar_traces,
    cumulative_traces,
    token_legends,
    token_table,
)
from flink_agents_nb.run._source import record_frame_of, source_name, timestamps_ns

logger = logging.getLogger(__name__)

#: Longest text of one record cell in the report (attributes, errors).
CELL_CHARS = 160
RECORD_COLUMNS = (
    "seq",
    "time_ms",
    "record_type",
    "key",
    "input_seq",
    "event_type",
    "action",
    "duration_ms",
    "status",
    "tokens",
    "model",
    "details",
)


def _summary_lines(source: Any) -> list[str]:
    for attr in ("summary_text", "summary"):
        fn = getattr(source, attr, None)
        if callable(fn):
            value = fn()
            if isinstance(value, str):
                return value.splitlines()
    frame = record_frame_of(source)
    n_ev = int((frame["record_type"] == "event").sum())
    return [f"{len(frame):,} records: {n_ev:,} events, {len(frame) - n_ev:,} actions"]


def money(value: Any) -> str:
    """USD as ``$0.0128`` (4 decimals; 6 below a cent; ``-`` when unknown)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    v = float(value)
    return f"${v:,.6f}" if 0 < abs(v) < 0.01 else f"${v:,.4f}"


def _cost_cell(value: Any) -> str:
    """:func:`money`, saying why a model has no cost (a bare ``-`` reads as zero)."""
    text = money(value)
    return "not priced (conf/prices.yaml)" if text == "-" else text


def _token_html(table: pd.DataFrame) -> str:
    if table.empty:
        return ""
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "model",
            "action (asked)",
            "model action",
            "responses",
            "prompt tokens",
            "completion tokens",
            "total tokens",
            "cost",
        )
    )
    body = []
    for r in table.to_dict("records"):
        responses = "-" if pd.isna(r["responses"]) else f"{int(r['responses']):,}"
        body.append(
            f"<tr><td>{esc(r['model'])}</td><td>{esc(r['action'])}</td>"
            f"<td>{esc(r['model_action'])}</td><td class='n'>{responses}</td>"
            f"<td class='n'>{int(r['prompt_tokens']):,}</td>"
            f"<td class='n'>{int(r['completion_tokens']):,}</td>"
            f"<td class='n'>{int(r['total_tokens']):,}</td>"
            f"<td class='n'>{esc(_cost_cell(r['cost_usd']))}</td></tr>"
        )
    return (
        "<h2>Tokens and cost</h2><table class='fanb-table fanb-summary'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _latency_html(frame: pd.DataFrame) -> str:
    stats = _charts.latency_stats(frame)
    if stats.empty:
        return ""
    head = "".join(
        f"<th>{h}</th>" for h in ("action", "runs", "mean", "p50", "p95", "p99", "max (ms)")
    )
    body = "".join(
        f"<tr><td>{esc(action)}</td><td class='n'>{int(r['count']):,}</td>"
        + "".join(f"<td class='n'>{r[c]:,.3f}</td>" for c in ("mean", "p50", "p95", "p99", "max"))
        + "</tr>"
        for action, r in stats.iterrows()
    )
    return (
        "<h2>Action latency (ms)</h2><table class='fanb-table fanb-summary'>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _token_figure(frame: pd.DataFrame, table: pd.DataFrame) -> go.Figure | None:
    """Token panels the dashboard does not have: over time, and per asking action."""
    if table.empty:
        return None
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("cumulative tokens per model", "tokens per requesting action"),
    )
    for tr in cumulative_traces(frame, legend="legend", showlegend=True):
        fig.add_trace(tr, row=1, col=1)
    for tr in bar_traces(table, "action", legend="legend2"):
        fig.add_trace(tr, row=1, col=2)
    fig.update_xaxes(title_text="seconds since the run started", row=1, col=1)
    fig.update_xaxes(title_text="action that asked", row=1, col=2)
    fig.update_yaxes(title_text="tokens")
    # no figure title (the section heading says it): no empty band above the panels
    fig.update_layout(barmode="stack", height=380, margin={"t": 40}, **token_legends())
    return fig


def _cells(series: pd.Series) -> list[Any]:
    """A column as JSON-ready Python values, NA as ``None``."""
    return series.astype(object).where(series.notna(), None).tolist()


def _detail(error: Any, attributes: Any, encode: Any) -> Any:
    if isinstance(error, str) and error:
        text = error
    elif isinstance(attributes, Mapping):
        # a log's lazy cell: a new dict, not kept in it (a report of a big log would
        # otherwise leave every cell decoded)
        contents = attributes.to_dict() if hasattr(attributes, "to_dict") else dict(attributes)
        if not contents:
            return None
        try:
            text = encode(contents).decode("utf-8", "replace")
        except (TypeError, ValueError):
            text = short(contents, CELL_CHARS)
    else:
        return None
    text = text.replace("\n", " ")
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def record_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """The report's table rows (:data:`RECORD_COLUMNS`): short, JSON-ready cells."""
    import msgspec

    ts = timestamps_ns(frame)
    valid = ts != np.iinfo(np.int64).min
    t0 = int(ts[valid].min()) if valid.any() else 0
    time_ms = pd.Series(np.where(valid, np.round((ts - t0) / 1e6, 3), np.nan))
    prompt, completion = frame["prompt_tokens"], frame["completion_tokens"]
    has = (prompt.notna() | completion.notna()).to_numpy()
    tokens = np.full(len(frame), None, dtype=object)
    if has.any():
        p = prompt[has].fillna(0).astype("int64").astype(str).to_numpy()
        c = completion[has].fillna(0).astype("int64").astype(str).to_numpy()
        tokens[has] = np.char.add(np.char.add(p.astype(str), "+"), c.astype(str))
    keys = frame["key"]
    encode = msgspec.json.Encoder(enc_hook=str).encode
    cols: dict[str, list[Any]] = {
        "seq": _cells(frame["seq"]),
        "time_ms": _cells(time_ms),
        "record_type": _cells(frame["record_type"]),
        "key": [None if v is None else short(v, 60, quote=False) for v in _cells(keys)]
        if keys.dtype == object
        else _cells(keys),
        "input_seq": _cells(frame["input_seq"]),
        "event_type": _cells(frame["event_type"]),
        "action": _cells(frame["action"]),
        "duration_ms": _cells(frame["duration_ms"].round(4)),
        "status": _cells(frame["status"]),
        "tokens": tokens.tolist(),
        "model": _cells(frame["model"]),
        "details": [
            _detail(e, a, encode)
            for e, a in zip(frame["error"].tolist(), frame["attributes"].tolist(), strict=True)
        ],
    }
    return [list(row) for row in zip(*(cols[c] for c in RECORD_COLUMNS), strict=True)]


def render_report(source: Any, title: str | None = None) -> str:
    """The report as one HTML string (see the module docstring)."""
    frame = record_frame_of(source)
    name = source_name(source)
    title = title or f"flink-agents-nb report: {name}"
    table = token_table(frame)
    figures: dict[str, Any] = {"fanb-dashboard": _charts.dashboard(frame)}
    token_fig = _token_figure(frame, table)
    if token_fig is not None:
        figures["fanb-tokens"] = token_fig
    packed = {k: json.loads(pio.to_json(f, validate=False)) for k, f in figures.items()}
    charts = "<h2>Dashboard</h2><div id='fanb-dashboard' class='fanb-chart'></div>"
    if token_fig is not None:
        charts += (
            "<h2>Tokens over time and per requesting action</h2>"
            "<div id='fanb-tokens' class='fanb-chart'></div>"
        )
    created = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    summary = "".join(f"<li>{esc(line)}</li>" for line in _summary_lines(source))
    head = "".join(f"<th>{esc(c)}</th>" for c in RECORD_COLUMNS)
    records = {
        "columns": list(RECORD_COLUMNS),
        "wide": ["details"],
        "ms": ["time_ms", "duration_ms"],  # shown with 3 decimals, right-aligned
        "rows": record_rows(frame),
    }
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{esc(title)}</title>{STYLE}{PAGE_STYLE}</head><body>"
        f"<h1>{esc(title)}</h1><p class='fanb-muted'>created {esc(created)}</p>"
        "<p id='fanb-status' class='fanb-muted'>loading charts and records…</p>"
        f"<h2>Summary</h2><ul>{summary}</ul>{_token_html(table)}{_latency_html(frame)}"
        f"{charts}"
        f"<h2>Records</h2><div id='fanb-pager'><button id='fanb-prev'>◀ prev</button>"
        "page <input id='fanb-page' type='number' min='1' value='1' style='width:70px'>"
        "<span id='fanb-pages'></span><button id='fanb-next'>next ▶</button>"
        "<input id='fanb-filter' type='search' placeholder='filter: key, type, text…'></div>"
        f"<table id='fanb-records' class='fanb-table'><thead><tr>{head}</tr></thead>"
        "<tbody></tbody></table>"
        f"{blob('fanb-data-plotly', plotly_bundle_b64())}"
        f"{blob('fanb-data-figures', pack(packed))}"
        f"{blob('fanb-data-records', pack(records))}"
        f"{SCRIPT}</body></html>\n"
    )


def write_report(source: Any, path: Any, title: str | None = None) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8); returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(source, title), encoding="utf-8")
    logger.info("wrote report of %s to %s", source_name(source), out)
    return out
