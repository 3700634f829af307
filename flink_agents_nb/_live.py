"""A live throughput chart that updates while a long local run executes.

:class:`LiveChart` is a :class:`~flink_agents_runtime.RecordSink`: pass it to
``execute(sinks=[live])`` and display ``live`` (or ``live.output``) first. Per record it only
bumps a counter in a dict; every ``every`` records it checks the clock and, at most every
``interval_s`` seconds, redraws a small figure (events and actions per second by type since
the last redraw) into an ipywidgets ``Output``. That keeps its cost to a dict update per
record (measured in ``tests/test_charts.py`` against the same run without it).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from flink_agents_nb._html import esc

if TYPE_CHECKING:
    import plotly.graph_objects as go


class LiveChart:
    """Records per second by event type and action, redrawn during a run.

    Args:
        interval_s: least time between redraws, in seconds.
        every: records between clock checks.
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
        self._counts: dict[str, int] = {}
        self._last: dict[str, int] = {}
        self._n = 0
        self._t0 = time.perf_counter()
        self._t_last = self._t0

    # -- RecordSink ----------------------------------------------------------------------
    def on_event(self, record: Any) -> None:
        """Count an event by type."""
        label = "event: " + record.event.type
        c = self._counts
        c[label] = c.get(label, 0) + 1
        self._n += 1
        if self._n % self.every == 0:
            self._maybe_draw()

    def on_action(self, record: Any) -> None:
        """Count an action run by name."""
        label = "action: " + record.action
        c = self._counts
        c[label] = c.get(label, 0) + 1
        self._n += 1
        if self._n % self.every == 0:
            self._maybe_draw()

    def close(self) -> None:
        """Draw the last interval (call it after ``execute`` returns)."""
        self.flush()

    # -- drawing -------------------------------------------------------------------------
    def _maybe_draw(self) -> None:
        if time.perf_counter() - self._t_last >= self.interval_s:
            self.flush()

    def flush(self) -> None:
        """Add a point per line for the time since the last one, and redraw."""
        now = time.perf_counter()
        dt = now - self._t_last
        if dt <= 0:
            return
        t = now - self._t0
        for label, count in self._counts.items():
            points = self.series.setdefault(label, [])
            points.append((t, (count - self._last.get(label, 0)) / dt))
            if len(points) > self.max_points:
                del points[0]
        self._last = dict(self._counts)
        self._t_last = now
        self.redraws += 1
        self.output.clear_output(wait=True)
        self.output.append_display_data(self.figure())

    def figure(self) -> go.Figure:
        """The current figure (a plain ``go.Figure``)."""
        import plotly.graph_objects as go

        fig = go.Figure(
            [
                go.Scatter(
                    x=[p[0] for p in pts],
                    y=[p[1] for p in pts],
                    mode="lines+markers",
                    name=esc(label),
                )
                for label, pts in self.series.items()
            ]
        )
        fig.update_layout(
            title=f"Live throughput ({self._n:,} records)",
            xaxis_title="seconds since start",
            yaxis_title="records per second",
            height=320,
        )
        return fig

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.output._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/plain"] = f"<LiveChart: {self._n:,} records, {self.redraws} redraws>"
        return bundle
