"""``flink_agents.api.metric_group``."""

from __future__ import annotations

from flink_agents_runtime.api._metrics import Counter, Gauge, Histogram, Meter, MetricGroup

__all__ = ["Counter", "Gauge", "Histogram", "Meter", "MetricGroup"]
