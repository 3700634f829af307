"""Charts of a run or an event log (plotly ``go.Figure``), aggregated before plotting.

Every chart takes anything with a record frame (``Run``, ``EventLog``, a frame; see
:func:`~flink_agents_nb.run._source.record_frame_of`) and reduces it with numpy first (counts per
time bucket, percentiles per action, token sums), so a million records become a few hundred
points and plot in seconds. Names and keys from records are untrusted: every label and hover
text is HTML-escaped (plotly renders a subset of HTML in labels).

Units: time axes are seconds since the first record; durations are milliseconds; throughput
is records per second.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from flink_agents_nb.charts._board import build_dashboard
from flink_agents_nb.charts._series import (
    MAX_BUCKETS,
    TOP_LINES,
    latency,
    latency_stats,
    latency_traces,
    throughput,
    throughput_traces,
)
from flink_agents_nb.charts._tokens import token_table, token_traces, tokens
from flink_agents_nb.charts._waterfall import slowest_input, waterfall, waterfall_traces
from flink_agents_nb.run._source import record_frame_of


# -- dashboard -------------------------------------------------------------------------
def dashboard(source: Any, prices: Any = None) -> go.Figure:
    """Five panels, each with its axis titles (units) and its own legend: throughput (the
    busiest lines), action latency, tokens per model, cost per model, and the waterfall of
    the input whose actions took longest."""
    return build_dashboard(record_frame_of(source), prices)


class PlotAccessor:
    """``run.plot.<chart>()``: the charts of one source (a ``Run`` or an ``EventLog``)."""

    def __init__(self, source: Any) -> None:
        self._source = source

    def throughput(self, top: int | None = TOP_LINES) -> go.Figure:
        """See :func:`throughput`."""
        return throughput(self._source, top)

    def latency(self) -> go.Figure:
        """See :func:`latency`."""
        return latency(self._source)

    def tokens(self, prices: Any = None) -> go.Figure:
        """See :func:`tokens`."""
        return tokens(self._source, prices)

    def waterfall(self, key: Any = None, input_seq: Any = None) -> go.Figure:
        """See :func:`waterfall`."""
        return waterfall(self._source, key, input_seq)

    def metrics(self) -> go.Figure:
        """Flink Agents 0.4's built-in metrics (see :func:`~._metrics.metrics_figure`)."""
        from flink_agents_nb.charts._metrics import metrics_figure

        return metrics_figure(self._source)

    def dashboard(self, prices: Any = None) -> go.Figure:
        """See :func:`dashboard`."""
        return dashboard(self._source, prices)


__all__ = [
    "MAX_BUCKETS",
    "PlotAccessor",
    "dashboard",
    "latency",
    "latency_stats",
    "latency_traces",
    "slowest_input",
    "throughput",
    "throughput_traces",
    "token_table",
    "token_traces",
    "tokens",
    "waterfall",
    "waterfall_traces",
]
