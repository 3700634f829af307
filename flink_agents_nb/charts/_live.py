"""A live throughput chart that updates while a long local run executes.

It also draws Flink Agents 0.4's ``actionExecutionLatencyMs`` per action (the mean of the
action records' durations over each interval; dotted lines, right axis).

:class:`LiveChart` is a :class:`~flink_agents_runtime.RecordSink`: pass it to
``execute(sinks=[live])`` and display ``live`` (or ``live.output``) first. Per-record work is
kept minimal and allocation-free: an event record bumps a plain ``dict`` count by its type
(an exact ``dict``, whose item access the interpreter specializes; a ``Counter`` is slower),
an action record bumps one by its name and a countdown. Records are never kept (holding them
even briefly makes the garbage collector traverse them and costs more than counting). Every
``every`` actions the clock is checked; at most every ``interval_s`` seconds a small
figure (events and actions per second by type since the last redraw) is redrawn into an
ipywidgets ``Output``, replacing its ``outputs`` in place, from a plain dict (no plotly
validation in the run). ``benchmarks/bench_notebook.py`` measures a run with it against a run
with a no-op sink.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from flink_agents_nb._html import esc
from flink_agents_runtime._display import DisplayMixin

if TYPE_CHECKING:
    import plotly.graph_objects as go


PLOTLY_MIME = "application/vnd.plotly.v1+json"


class LiveChart(DisplayMixin):
    """Records per second by event type and action, redrawn during a run.

    Args:
        interval_s: least time between redraws, in seconds.
        every: action records between clock checks.
        max_points: points kept per line (older ones drop off).

    Attributes:
        output: the ``ipywidgets.Output`` the figure is drawn into.
        series: ``{label: [(t_s, rate_per_s), ...]}`` so far.
        redraws: how many times the figure was redrawn.
    """

    def __init__(self, interval_s: float = 0.5, every: int = 2048, max_points: int = 600) -> None:
        import ipywidgets as w

        self.output = w.Output()
        self.interval_s = interval_s
        self.every = every
        self.max_points = max_points
        self.series: dict[str, list[tuple[float, float]]] = {}
        self.redraws = 0
        self._events: dict[str, int] = {}
        self._actions: dict[str, int] = {}
        self._last: dict[str, int] = {}
        # actionExecutionLatencyMs per action: summed ns and count since the last point
        self._lat_ns: dict[str, int] = {}
        self._lat_n: dict[str, int] = {}
        self.latency: dict[str, list[tuple[float, float]]] = {}
        self._left = every
        self._t0 = time.perf_counter()
        self._t_last = self._t0
        # Import plotly and resolve the default template now, not in the middle of the run.
        import plotly.io as pio

        self._template: Any = None
        self._template = (
            self.figure().layout.template.to_plotly_json() if pio.templates.default else None
        )

    # -- RecordSink ----------------------------------------------------------------------
    def on_event(self, record: Any) -> None:
        """Count an event by type."""
        try:
            self._events[record.event.type] += 1
        except KeyError:
            self._events[record.event.type] = 1

    def on_action(self, record: Any) -> None:
        """Count an action run by name; every ``every`` actions, check the clock."""
        try:
            self._actions[record.action] += 1
            self._lat_ns[record.action] += record.duration_ns
            self._lat_n[record.action] += 1
        except KeyError:
            self._actions[record.action] = self._actions.get(record.action, 0) + 1
            self._lat_ns[record.action] = record.duration_ns
            self._lat_n[record.action] = 1
        self._left -= 1
        if not self._left:
            self._tick()

    def _tick(self) -> None:
        self._left = self.every
        if time.perf_counter() - self._t_last >= self.interval_s:
            self.flush()

    def close(self) -> None:
        """Draw the last interval (call it after ``execute`` returns)."""
        self.flush()

    # -- drawing -------------------------------------------------------------------------
    @property
    def records(self) -> int:
        """Records seen so far."""
        return sum(self._events.values()) + sum(self._actions.values())

    def flush(self) -> None:
        """Add a point per line for the time since the last one, and redraw."""
        now = time.perf_counter()
        dt = now - self._t_last
        if dt <= 0:
            return
        t = now - self._t0
        counts = {f"event: {k}": v for k, v in self._events.items()}
        counts.update({f"action: {k}": v for k, v in self._actions.items()})
        for label, count in counts.items():
            points = self.series.setdefault(label, [])
            points.append((t, (count - self._last.get(label, 0)) / dt))
            if len(points) > self.max_points:
                del points[0]
        self._last = counts
        for action, n in self._lat_n.items():
            if n:
                points = self.latency.setdefault(action, [])
                points.append((t, self._lat_ns[action] / n / 1e6))
                if len(points) > self.max_points:
                    del points[0]
        self._lat_ns = dict.fromkeys(self._lat_ns, 0)
        self._lat_n = dict.fromkeys(self._lat_n, 0)
        self._t_last = now
        self.redraws += 1
        fig = self._figure_dict()
        fig["config"] = {"displaylogo": False}
        self.output.outputs = (
            {
                "output_type": "display_data",
                "data": {PLOTLY_MIME: fig, "text/plain": f"<live chart: {self.records:,} records>"},
                "metadata": {},
            },
        )

    def _figure_dict(self) -> dict[str, Any]:
        """The figure as plotly JSON (what :meth:`figure` validates into a ``go.Figure``)."""
        fig: dict[str, Any] = {
            "data": [
                {
                    "type": "scatter",
                    "x": [p[0] for p in pts],
                    "y": [p[1] for p in pts],
                    "mode": "lines+markers",
                    "name": esc(label),
                }
                for label, pts in self.series.items()
            ]
            + [
                {
                    "type": "scatter",
                    "x": [p[0] for p in pts],
                    "y": [p[1] for p in pts],
                    "mode": "lines",
                    "line": {"dash": "dot"},
                    "name": esc(f"actionExecutionLatencyMs: {action}"),
                    "yaxis": "y2",
                }
                for action, pts in self.latency.items()
            ],
            "layout": {
                "title": {"text": f"Live throughput ({self.records:,} records)"},
                "xaxis": {"title": {"text": "seconds since start"}},
                "yaxis": {"title": {"text": "records per second"}},
                "yaxis2": {
                    "title": {"text": "action execution latency (ms, mean)"},
                    "overlaying": "y",
                    "side": "right",
                    "automargin": True,
                },
                # Right of the latency axis: at plotly's default place the legend covered
                # that axis's numbers and title.
                "legend": {"x": 1.14, "xanchor": "left"},
                "height": 320,
            },
        }
        if self._template is not None:
            fig["layout"]["template"] = self._template
        return fig

    def figure(self) -> go.Figure:
        """The current figure (a plain ``go.Figure``)."""
        import plotly.graph_objects as go

        return go.Figure(self._figure_dict())

    def _mimebundle(self) -> dict[str, Any]:
        bundle = dict(self.output._repr_mimebundle_() or {})
        bundle["text/plain"] = f"<LiveChart: {self.records:,} records, {self.redraws} redraws>"
        return bundle
