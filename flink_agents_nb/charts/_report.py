"""One self-contained HTML report of a run or a log: summary, charts, event table.

The file opens offline: plotly.js is inlined once (from the installed plotly package), every
other chart reuses it. All record content is escaped (tables via
:mod:`flink_agents_nb._html`; plotly's JSON is embedded with ``<`` and ``>`` written as
``\\u003c``/``\\u003e``, so a ``</script>`` in an attribute cannot end the script element).
"""

from __future__ import annotations

import datetime as _dt
import logging
from pathlib import Path
from typing import Any

import plotly.io as pio

from flink_agents_nb._html import STYLE, esc, table
from flink_agents_nb.charts import _dashboard as _charts
from flink_agents_nb.run._source import record_frame_of, source_name

logger = logging.getLogger(__name__)

#: Records shown in the report's table (the first ones, in order).
MAX_TABLE_ROWS = 2000
_COLUMNS = (
    "timestamp",
    "seq",
    "record_type",
    "key",
    "event_type",
    "action",
    "duration_ms",
    "status",
    "prompt_tokens",
    "completion_tokens",
    "model",
    "attributes",
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
    return [f"{len(frame)} records: {n_ev} events, {len(frame) - n_ev} actions"]


def _figure_html(fig: Any, first: bool) -> str:
    html = pio.to_html(fig, full_html=False, include_plotlyjs=bool(first), validate=False)
    return html


def render_report(source: Any, title: str | None = None, max_rows: int = MAX_TABLE_ROWS) -> str:
    """The report as one HTML string (see the module docstring)."""
    frame = record_frame_of(source)
    name = source_name(source)
    title = title or f"flink-agents-nb report: {name}"
    figures = [
        ("Dashboard", _charts.dashboard(frame)),
        ("Throughput", _charts.throughput(frame)),
        ("Action latency", _charts.latency(frame)),
        ("Tokens", _charts.tokens(frame)),
        (
            f"Waterfall of the slowest input ({_charts.slowest_input(frame)})",
            _charts.waterfall(frame, input_seq=_charts.slowest_input(frame)),
        ),
    ]
    charts = []
    for i, (label, fig) in enumerate(figures):
        charts.append(f"<h2>{esc(label)}</h2>{_figure_html(fig, i == 0)}")
    shown = frame.head(max_rows)
    rows = [
        {c: (None if not isinstance(v, (dict, list)) and _na(v) else v) for c, v in r.items()}
        for r in shown[list(_COLUMNS)].to_dict("records")
    ]
    more = (
        f"<p>showing the first {len(shown):,} of {len(frame):,} records</p>"
        if len(frame) > len(shown)
        else ""
    )
    tokens = _charts.token_table(frame)
    token_html = table(tokens.to_dict("records"), list(tokens.columns)) if len(tokens) else ""
    created = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    summary = "".join(f"<li>{esc(line)}</li>" for line in _summary_lines(source))
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{esc(title)}</title>{STYLE}"
        "<style>body{font-family:sans-serif;margin:20px}</style></head><body>"
        f"<h1>{esc(title)}</h1><p class='fanb-muted'>created {esc(created)}</p>"
        f"<h2>Summary</h2><ul>{summary}</ul>{token_html}"
        f"{''.join(charts)}"
        f"<h2>Records</h2>{more}{table(rows, _COLUMNS)}"
        "</body></html>\n"
    )


def _na(value: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def write_report(
    source: Any, path: Any, title: str | None = None, max_rows: int = MAX_TABLE_ROWS
) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8); returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(source, title, max_rows), encoding="utf-8")
    logger.info("wrote report of %s to %s", source_name(source), out)
    return out
