"""Metric groups, the local registry and built-in metrics."""

from __future__ import annotations

import flink_agents_nb as fa
from flink_agents_runtime.api._metrics import Histogram, MetricRegistry


def test_groups_name_metrics_with_dotted_prefixes() -> None:
    registry = MetricRegistry()
    root = registry.group()
    root.get_counter("calls").inc(2)
    sub = root.get_sub_group("model", "gpt")
    sub.get_counter("tokens").inc(10)
    sub.get_counter("tokens").dec(3)
    root.get_gauge("queue").update(4.5)
    root.get_meter("rate").mark(5)
    assert registry.counts() == {"calls": 2, "model.gpt.tokens": 7, "rate": 5}
    assert registry.snapshot()["queue"] == 4.5


def test_histogram_statistics_and_percentiles() -> None:
    hist = Histogram(window_size=100)
    for v in range(1, 101):
        hist.update(v)
    assert (hist.get_count(), hist.get_min(), hist.get_max(), hist.get_mean()) == (
        100,
        1,
        100,
        50.5,
    )
    assert hist.get_percentile(0.5) == 50
    assert hist.get_percentile(0.99) == 99
    assert Histogram().get_percentile(0.5) == 0.0


def test_registry_samples_series_and_meter_rates() -> None:
    registry = MetricRegistry(sample_interval_ms=0)
    meter = registry.group().get_meter("m")
    meter.mark(10)
    registry.sample()
    meter.mark(10)
    registry.sample()
    names = [name for _, name, _ in registry.series]
    assert names == ["m", "m"]
    assert all(value > 0 for _, _, value in registry.series)
    times = [t for t, _, _ in registry.series]
    assert times == sorted(times)


def test_builtin_and_user_metrics_of_a_run() -> None:
    def act(event, ctx):  # type: ignore[no-untyped-def]
        ctx.action_metric_group.get_counter("seen").inc()
        ctx.agent_metric_group.get_histogram("size").update(len(event.input))
        ctx.send_event(fa.Event(type="next", n=1))

    def out(event, ctx):  # type: ignore[no-untyped-def]
        ctx.send_event(fa.OutputEvent(output=event.n))

    agent = fa.Agent().add_action("act", [fa.InputEvent], act).add_action("out", ["next"], out)
    run = (
        fa.local()
        .from_list([{"key": i % 2, "value": "abc"} for i in range(6)])
        .apply(agent)
        .execute()
    )
    counts = run.metric_counts
    assert counts["numOfEventProcessed"] == 18  # input, next, output per input
    assert counts["numOfEventProcessedPerSec"] == 18
    assert counts["numOfActionsExecuted"] == 12
    assert counts["action.act.numOfActionsExecuted"] == 6
    assert counts["action.out.numOfActionsExecutedPerSec"] == 6
    assert counts["action.act.seen"] == 6
    assert run.metrics["size"] == 3.0
    series = run.metric_series
    assert set(series.columns) == {"t_s", "name", "value"}
    assert "numOfEventProcessed" in set(series["name"])
