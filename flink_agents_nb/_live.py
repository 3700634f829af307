"""A live throughput chart that updates while a long local run executes.

:class:`LiveChart` is a :class:`~flink_agents_runtime.RecordSink`: pass it to
``execute(sinks=[live])`` and display ``live`` (or ``live.output``) first. Per record it only
bumps a counter in a dict; every ``every`` records it checks the clock and, at most every
``interval_s`` seconds, redraws a small figure (events and actions per second by type since
the last redraw) into an ipywidgets ``Output``, replacing its ``outputs`` in place. Its cost
is a dict update per record (``benchmarks/bench_notebook.py`` measures a run with and without
it).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from flink_agents_nb._html import esc

if TYPE_CHECKING:
    import plotly.graph_objects as go


PLOTLY_MIME = "application/vnd.plotly.v1+json"


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
        self._events: dict[str, int] = {}
        self._actions: dict[str, int] = {}
        self._last: dict[str, int] = {}
        self._n = 0  # records counted up to the last tick
        self._left = every
        self._t0 = time.perf_counter()
        self._t_last = self._t0
        self.figure()  # import plotly now, not in the middle of the run

    # -- RecordSink ----------------------------------------------------------------------
    def on_event(self, record: Any) -> None:
        """Count an event by type."""
        c = self._events
        t = record.event.type
        c[t] = c.get(t, 0) + 1
        self._left -= 1
        if not self._left:
            self._tick()

    def on_action(self, record: Any) -> None:
        """Count an action run by name."""
        c = self._actions
        a = record.action
        c[a] = c.get(a, 0) + 1
        self._left -= 1
        if not self._left:
            self._tick()

    def _tick(self) -> None:
        self._n += self.every
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
        return self._n + self.every - self._left

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
        self._t_last = now
        self.redraws += 1
        fig = json.loads(self.figure().to_json())
        fig["config"] = {"displaylogo": False}
        self.output.outputs = (
            {
                "output_type": "display_data",
                "data": {PLOTLY_MIME: fig, "text/plain": f"<live chart: {self.records:,} records>"},
                "metadata": {},
            },
        )

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
            title=f"Live throughput ({self.records:,} records)",
            xaxis_title="seconds since start",
            yaxis_title="records per second",
            height=320,
        )
        return fig

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.output._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/plain"] = f"<LiveChart: {self.records:,} records, {self.redraws} redraws>"
        return bundle
