"""Metric groups (Flink Agents' API) and the in-process registry behind local runs.

Actions reach metrics through ``ctx.agent_metric_group`` and ``ctx.action_metric_group``.
Locally both are views of a :class:`MetricRegistry`, which also samples every metric into a
time series; on Flink, the driver supplies groups backed by Flink's metric system with the
same names. Names are dotted: the action group of ``classify`` is ``action.classify``.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections import deque
from typing import Any

from flink_agents_runtime._display import DisplayMixin
from flink_agents_runtime._errors import ArgumentTypeError


class Counter:
    """A count that goes up (and down)."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def inc(self, n: int = 1) -> None:
        """Add ``n``."""
        self.count += n

    def dec(self, n: int = 1) -> None:
        """Subtract ``n``."""
        self.count -= n

    def get_count(self) -> int:
        """The current count."""
        return self.count


class Meter:
    """Marks per second. ``get_rate`` is the rate over the last sampling interval
    (the whole run so far before the first sample)."""

    __slots__ = ("_last_count", "_last_ns", "_rate", "_start_ns", "count")

    def __init__(self) -> None:
        self.count = 0
        self._start_ns = self._last_ns = time.perf_counter_ns()
        self._last_count = 0
        self._rate: float | None = None

    def mark(self, n: int = 1) -> None:
        """Record ``n`` occurrences."""
        self.count += n

    def get_count(self) -> int:
        """Total marks."""
        return self.count

    def _tick(self, now_ns: int) -> float:
        dt = (now_ns - self._last_ns) / 1e9
        if dt > 0:
            self._rate = (self.count - self._last_count) / dt
            self._last_ns, self._last_count = now_ns, self.count
        return self._rate or 0.0

    def get_rate(self) -> float:
        """Marks per second (see the class docstring)."""
        if self._rate is not None:
            return self._rate
        dt = (time.perf_counter_ns() - self._start_ns) / 1e9
        return self.count / dt if dt > 0 else 0.0


class Histogram:
    """A distribution of values: count, min, max and mean over all updates; percentiles
    over the last ``window_size`` values."""

    __slots__ = ("_max", "_min", "_sum", "count", "window")

    def __init__(self, window_size: int = 100) -> None:
        self.window: deque[float] = deque(maxlen=window_size)
        self.count = 0
        self._sum = 0.0
        self._min = float("inf")
        self._max = float("-inf")

    def update(self, value: float) -> None:
        """Record one value."""
        self.window.append(value)
        self.count += 1
        self._sum += value
        if value < self._min:
            self._min = value
        if value > self._max:
            self._max = value

    def update_many(self, value: float, n: int) -> None:
        """Record ``value`` ``n`` times (as ``n`` calls of :meth:`update`, at once)."""
        if n <= 0:
            return
        self.window.extend([value] * min(n, self.window.maxlen or n))
        self.count += n
        self._sum += value * n
        if value < self._min:
            self._min = value
        if value > self._max:
            self._max = value

    def get_count(self) -> int:
        """Number of values recorded."""
        return self.count

    def get_mean(self) -> float:
        """Mean of all values (0 when empty)."""
        return self._sum / self.count if self.count else 0.0

    def get_min(self) -> float:
        """Smallest value (0 when empty)."""
        return self._min if self.count else 0.0

    def get_max(self) -> float:
        """Largest value (0 when empty)."""
        return self._max if self.count else 0.0

    def get_percentile(self, q: float) -> float:
        """The ``q`` quantile (0..1) of the window, nearest rank (0 when empty)."""
        if not self.window:
            return 0.0
        ordered = sorted(self.window)
        rank = math.ceil(q * len(ordered))  # nearest-rank method
        return ordered[min(len(ordered), max(1, rank)) - 1]


class Gauge:
    """A value set from outside."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: float = 0.0

    def update(self, value: float) -> None:
        """Set the value."""
        self.value = value

    def get_value(self) -> float:
        """The last value set."""
        return self.value


class MetricGroup(ABC):
    """Flink Agents' metric group: get-or-create metrics by name, and sub-groups."""

    @abstractmethod
    def get_sub_group(self, name: str, value: str | None = None) -> MetricGroup:
        """The sub-group ``name`` (``name.value`` for a key/value group)."""

    @abstractmethod
    def get_counter(self, name: str) -> Counter:
        """The counter ``name`` in this group."""

    @abstractmethod
    def get_meter(self, name: str) -> Meter:
        """The meter ``name`` in this group."""

    @abstractmethod
    def get_histogram(self, name: str, window_size: int = 100) -> Histogram:
        """The histogram ``name`` in this group."""

    @abstractmethod
    def get_gauge(self, name: str) -> Gauge:
        """The gauge ``name`` in this group."""


Metric = Counter | Meter | Histogram | Gauge


class MetricSnapshot(dict[str, Any], DisplayMixin):
    """Metric values by dotted name at one moment (a dict that displays as a table).

    Agent-wide metrics come first, then each action's (``action.<name>.*``).
    """

    def _mimebundle(self) -> dict[str, Any]:
        from flink_agents_runtime._display import bundle

        def order(name: str) -> tuple[int, str]:
            return (1 if name.startswith("action.") else 0, name)

        rows = [
            [name, f"{v:,.2f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else v]
            for name, v in sorted(self.items(), key=lambda item: order(item[0]))
        ]
        return bundle(f"metrics ({len(rows)})", ["metric", "value"], rows)


def metric_value(metric: Metric) -> Any:
    """The value a snapshot or series shows for ``metric``."""
    if isinstance(metric, Counter):
        return metric.count
    if isinstance(metric, Meter):
        return metric.get_rate()
    if isinstance(metric, Gauge):
        return metric.value
    return metric.get_mean()


class MetricRegistry:
    """All metrics of one local run, by dotted name, sampled into a time series.

    Attributes:
        series: ``(seconds since start, name, value)`` samples, one per metric per sample.
        sample_interval_ns: how often :meth:`maybe_sample` takes a sample.
    """

    def __init__(self, sample_interval_ms: float = 100.0) -> None:
        self.metrics: dict[str, Metric] = {}
        self.series: list[tuple[float, str, Any]] = []
        self.sample_interval_ns = int(sample_interval_ms * 1e6)
        self.start_ns = time.perf_counter_ns()
        self.next_sample_ns = self.start_ns + self.sample_interval_ns

    def group(self, prefix: str = "") -> LocalMetricGroup:
        """A metric group whose metric names start with ``prefix.``."""
        return LocalMetricGroup(self, prefix)

    def _get(self, name: str, kind: type, *args: Any) -> Any:
        metric = self.metrics.get(name)
        if metric is None:
            metric = self.metrics[name] = kind(*args)
        elif not isinstance(metric, kind):
            raise ArgumentTypeError(
                f"metric {name!r} is a {type(metric).__name__}, not a {kind.__name__}"
            )
        return metric

    def maybe_sample(self) -> None:
        """Take a sample if the interval has passed (cheap to call often)."""
        now = time.perf_counter_ns()
        if now >= self.next_sample_ns:
            self.sample(now)

    def sample(self, now_ns: int | None = None) -> None:
        """Append one sample of every metric to :attr:`series`."""
        now = now_ns if now_ns is not None else time.perf_counter_ns()
        t = (now - self.start_ns) / 1e9
        for name, metric in self.metrics.items():
            value = metric._tick(now) if isinstance(metric, Meter) else metric_value(metric)
            self.series.append((t, name, value))
        self.next_sample_ns = now + self.sample_interval_ns

    def snapshot(self) -> MetricSnapshot:
        """Current value of every metric: counts, rates (/s), gauge values, histogram means."""
        return MetricSnapshot((name, metric_value(m)) for name, m in sorted(self.metrics.items()))

    def counts(self) -> MetricSnapshot:
        """Totals of every counter and meter (what must match across drivers)."""
        return MetricSnapshot(
            (name, m.count)
            for name, m in sorted(self.metrics.items())
            if isinstance(m, (Counter, Meter))
        )


class LocalMetricGroup(MetricGroup):
    """A :class:`MetricGroup` over a :class:`MetricRegistry`."""

    __slots__ = ("_prefix", "_registry")

    def __init__(self, registry: MetricRegistry, prefix: str) -> None:
        self._registry = registry
        self._prefix = prefix

    def _name(self, name: str) -> str:
        return f"{self._prefix}.{name}" if self._prefix else name

    def get_sub_group(self, name: str, value: str | None = None) -> LocalMetricGroup:
        sub = name if value is None else f"{name}.{value}"
        return LocalMetricGroup(self._registry, self._name(sub))

    def get_counter(self, name: str) -> Counter:
        return self._registry._get(self._name(name), Counter)

    def get_meter(self, name: str) -> Meter:
        return self._registry._get(self._name(name), Meter)

    def get_histogram(self, name: str, window_size: int = 100) -> Histogram:
        return self._registry._get(self._name(name), Histogram, window_size)

    def get_gauge(self, name: str) -> Gauge:
        return self._registry._get(self._name(name), Gauge)

    def __repr__(self) -> str:
        return f"MetricGroup({self._prefix or '<root>'})"
