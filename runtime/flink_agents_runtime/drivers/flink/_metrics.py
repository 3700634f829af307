"""Agent metrics on Flink: the core's own counters, mirrored into Flink's metric system.

The execution core increments ``Counter.count``/``Meter.count`` directly in its hot path, so
the metrics it holds are the plain in-process ones of :mod:`flink_agents_runtime.api._metrics`
(same names, same totals as a local run). :class:`FlinkMetricBridge` registers a Flink
counter or meter beside each one (same group structure: ``action.<name>`` is a Flink
key/value group) and pushes the increments made since the last sync with :meth:`sync`,
which the Flink driver calls every ``flink.metrics-sync-interval-ms`` and at close.

Gauges and histograms (their mean) are pushed the same way, as whole numbers, never read by a
callback from Flink's side. Flink's Python gauges are ``Gauge<Long>``: in thread mode PyFlink's
``MetricGauge.getValue()`` calls the Python callable from the reporter's thread and casts the
answer to ``java.lang.Long``, so a float (a latency mean) threw ``ClassCastException`` inside
the Prometheus reporter's collect, and the JDK's HTTP server dropped the whole scrape without
an answer (logged only at ``java.util.logging`` FINER). In thread mode each gauge is therefore
a Java-side holder (PyFlink's ``distribution``: a ``Gauge<Long>`` set by ``update``) that a
scrape reads without entering Python; in process mode a callback returning the last pushed
whole number (PyFlink evaluates it in the Python worker at the end of each bundle).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from flink_agents_runtime.api._metrics import (
    Counter,
    Gauge,
    Histogram,
    LocalMetricGroup,
    Meter,
    MetricRegistry,
)

logger = logging.getLogger(__name__)


_LONG_MAX = 2**63 - 1


def whole_number(value: Any) -> int:
    """A gauge's value as Flink's Python gauges carry it: a whole number within a Java
    ``long``, rounded. An empty histogram (mean ``None``), a non-number, NaN or an infinity
    reads 0; anything else is rounded and clamped to the ``long`` range."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0
    if not math.isfinite(number):
        return 0
    return max(-_LONG_MAX - 1, min(_LONG_MAX, round(number)))


def _gauge_pusher(flink_group: Any, name: str) -> Any:
    """A function ``push(int)`` that sets Flink gauge ``name`` in ``flink_group``."""
    if type(flink_group).__module__.startswith("pyflink.fn_execution.metrics.embedded"):
        # Thread mode: a Java Gauge<Long> holding the value; scrapes never call Python.
        holder = flink_group.distribution(name)
        holder.update(0)
        return holder.update
    # Process mode (and any other group): the callback reads the last pushed value.
    cell = [0]
    flink_group.gauge(name, lambda: cell[0])
    return lambda value: cell.__setitem__(0, value)


class FlinkMetricBridge:
    """The in-process registry of one subtask plus the Flink metrics mirroring it.

    Args:
        flink_group: PyFlink's ``MetricGroup`` of the operator (``ctx.get_metrics_group()``).
    """

    def __init__(self, flink_group: Any) -> None:
        self.registry = MetricRegistry()
        self._root_flink = flink_group
        self._flink_groups: dict[tuple[str, ...], Any] = {(): flink_group}
        self._pushed: list[tuple[Counter | Meter, Any, list[int]]] = []
        self._gauges: list[tuple[Gauge | Histogram, Any, list[int]]] = []

    def group(self) -> FlinkMetricGroup:
        """The agent's root metric group (what ``ctx.agent_metric_group`` is)."""
        return FlinkMetricGroup(self, "", ())

    def _flink_group(self, path: tuple[str, ...]) -> Any:
        group = self._flink_groups.get(path)
        if group is None:
            parent = self._flink_group(path[:-1])
            name, _, value = path[-1].partition("\x00")
            group = parent.add_group(name, value) if value else parent.add_group(name)
            self._flink_groups[path] = group
        return group

    def _register(self, path: tuple[str, ...], name: str, metric: Any) -> None:
        try:
            group = self._flink_group(path)
            if isinstance(metric, Counter):
                self._pushed.append((metric, group.counter(name), [0]))
            elif isinstance(metric, Meter):
                self._pushed.append((metric, group.meter(name, 60), [0]))
            elif isinstance(metric, (Histogram, Gauge)):
                self._gauges.append((metric, _gauge_pusher(group, name), [0]))
        except Exception:  # Flink's metric system must never fail the agent
            logger.warning("could not register metric %r in Flink", name, exc_info=True)

    def sync(self) -> None:
        """Push every counter's and meter's increments since the last sync to Flink, and
        every gauge's value (a histogram's mean) that changed, as a whole number."""
        for local_gauge, push, pushed in self._gauges:
            value = whole_number(
                local_gauge.get_mean() if isinstance(local_gauge, Histogram) else local_gauge.value
            )
            if value != pushed[0]:
                pushed[0] = value
                try:
                    push(value)
                except Exception:  # Flink's metric system must never fail the agent
                    logger.warning("could not update a gauge in Flink", exc_info=True)
        for local, flink, last in self._pushed:
            delta = local.count - last[0]
            if delta:
                last[0] = local.count
                if isinstance(local, Meter):
                    flink.mark_event(delta)
                elif delta > 0:
                    flink.inc(delta)
                else:
                    flink.dec(-delta)

    def counts(self) -> dict[str, int]:
        """Totals of every counter and meter, by dotted name."""
        return self.registry.counts()


class FlinkMetricGroup(LocalMetricGroup):
    """A :class:`~flink_agents_runtime.MetricGroup` whose metrics also appear in Flink."""

    __slots__ = ("_bridge", "_path")

    def __init__(self, bridge: FlinkMetricBridge, prefix: str, path: tuple[str, ...]) -> None:
        super().__init__(bridge.registry, prefix)
        self._bridge = bridge
        self._path = path

    def get_sub_group(self, name: str, value: str | None = None) -> FlinkMetricGroup:
        sub = name if value is None else f"{name}.{value}"
        part = name if value is None else f"{name}\x00{value}"
        return FlinkMetricGroup(self._bridge, self._name(sub), (*self._path, part))

    def _get_mirrored(self, name: str, kind: type, *args: Any) -> Any:
        full = self._name(name)
        new = full not in self._registry.metrics
        metric = self._registry._get(full, kind, *args)
        if new:
            self._bridge._register(self._path, name, metric)
        return metric

    def get_counter(self, name: str) -> Counter:
        return self._get_mirrored(name, Counter)

    def get_meter(self, name: str) -> Meter:
        return self._get_mirrored(name, Meter)

    def get_histogram(self, name: str, window_size: int = 100) -> Histogram:
        return self._get_mirrored(name, Histogram, window_size)

    def get_gauge(self, name: str) -> Gauge:
        return self._get_mirrored(name, Gauge)
