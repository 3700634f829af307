"""Charts aggregate a run's records correctly; the live chart follows a run as a sink."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
import pytest

import flink_agents_nb as fa
from flink_agents_nb.charts import _dashboard as _charts
from flink_agents_nb.run import _source
from flink_agents_runtime import Event, InputEvent
from tests.helpers.views_agent import INPUTS, make_agent, run_agent

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run() -> fa.Run:
    return run_agent(INPUTS * 20)


def test_throughput_lines_sum_to_the_record_counts(run: fa.Run) -> None:
    fig = run.plot.throughput()
    assert isinstance(fig, go.Figure)
    totals = {}
    for tr in fig.data:
        x = np.asarray(tr.x)
        width = np.diff(x, append=np.nan)
        width[-1] = 0  # the last bucket's width is its covered span; recover it below
        totals[tr.name] = tr.y
    names = sorted(totals)
    assert names == sorted(
        [
            "event: _input_event",
            "event: chat_response",
            "event: _output_event",
            "action: plan",
            "action: answer",
        ]
    )
    # Every trace shares the bucket grid; integrating rate x width gives the count.
    tr = fig.data[0]
    x = np.asarray(tr.x)
    b = x[1] - x[0] if len(x) > 1 else None
    if b is not None:
        span = _source.elapsed_s(run.records)
        last = max(float(np.nanmax(span)) - x[-1], b / 10)
        widths = np.r_[np.full(len(x) - 1, b), last]
        for t in fig.data:
            assert round(float(np.sum(np.asarray(t.y) * widths))) == 60


def test_latency_hover_has_the_percentiles_of_each_action(run: fa.Run) -> None:
    fig = run.plot.latency()
    stats = _charts.latency_stats(run.records)
    durations = run.actions.groupby("action")["duration_ms"]
    for action, values in durations:
        assert stats.loc[action, "count"] == 60
        assert stats.loc[action, "p95"] == pytest.approx(np.percentile(values, 95))
    box, p95, p99 = fig.data
    assert list(box.x) == ["answer", "plan"]
    assert list(p99.y) == pytest.approx(list(stats["p99"]))
    assert "p50=" in p95.text[0] and "p95=" in p95.text[0] and "p99=" in p95.text[0]


def test_tokens_per_model_and_action_with_cost() -> None:
    run = run_agent()
    table = _charts.token_table(run.records, prices={"big": (1000.0, 2000.0)}, warn=False)
    rows = {r["model"]: r for r in table.to_dict("records")}
    assert rows["small"]["prompt_tokens"] == 15 + 15 and rows["small"]["completion_tokens"] == 6
    assert rows["big"]["prompt_tokens"] == 31 and rows["big"]["action"] == "plan"
    assert rows["big"]["cost_usd"] == pytest.approx((31 * 1000 + 3 * 2000) / 1e6)
    assert np.isnan(rows["small"]["cost_usd"])
    fig = run.plot.tokens(prices={"big": (1000.0, 2000.0)})
    assert "Tokens: 70 total" in fig.layout.title.text
    assert "some models unpriced" in fig.layout.title.text
    per_model = [t for t in fig.data if t.type == "bar" and t.xaxis == "x2"]
    assert {t.name: list(t.y) for t in per_model} == {
        "prompt tokens": [31, 30],
        "completion tokens": [3, 6],
    }


def _chat_run(model: str) -> fa.Run:
    """One input whose handler reports 100,000 prompt and 50,000 completion tokens."""

    def ask(event: Any, ctx: Any) -> None:
        attrs = {"model": event.input, "promptTokens": 100_000, "completionTokens": 50_000}
        ctx.send_event(Event(type="chat_response", attributes=attrs))

    agent = fa.Agent()
    agent.add_action("ask", [InputEvent], ask)
    return fa.local().from_list([{"key": "k", "value": model}]).apply(agent).execute(record=True)


def test_tokens_chart_prices_from_conf_prices_yaml_by_default(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT / "notebooks")  # where a notebook runs: the repo's conf/ is above
    priced = _chat_run("gpt-4o-mini")  # conf/prices.yaml: 0.15 / 0.60 USD per 1M tokens
    fig = priced.plot.tokens()
    assert fig.layout.title.text == "Tokens: 150,000 total, cost $0.0450"
    # the models' lines and the token kinds have a legend each, titled
    legends = {(t.type, t.legend or "legend") for t in fig.data if t.showlegend is not False}
    assert legends == {("scatter", "legend"), ("bar", "legend2")}
    assert (fig.layout.legend.title.text, fig.layout.legend2.title.text) == ("model", "tokens")
    assert "cost $0.0450" in priced.plot.dashboard().layout.title.text
    unpriced = _chat_run("no-such-model")
    fig = unpriced.plot.tokens()
    assert fig.layout.title.text == "Tokens: 150,000 total"  # usage, no cost, no error
    (row,) = _charts.token_table(unpriced.records, warn=False).to_dict("records")
    assert row["prompt_tokens"] == 100_000 and math.isnan(row["cost_usd"])


def test_waterfall_nests_actions_by_lineage(run: fa.Run) -> None:
    fig = run.plot.waterfall(input_seq=1)
    bars = fig.data[0]
    assert list(fig.layout.yaxis.ticktext) == [
        "plan <span style='color:#888'>on _input_event</span>",
        "answer <span style='color:#888'>on chat_response</span>",
    ]
    assert "(cause depth 1)" in bars.text[1] and fig.layout.xaxis.title.text == (
        "ms since the input arrived"
    )
    assert len(bars.x) == 2 and all(w >= 0 for w in bars.x)
    assert bars.base[1] >= bars.base[0]
    by_key = run.plot.waterfall(key="a")
    assert len(by_key.data[0].x) == 2 * 40  # key a: 40 inputs, 2 actions each


def test_dashboard_panels_have_axis_titles_legends_and_cost(run: fa.Run) -> None:
    fig = run.plot.dashboard(prices={"big": (1000.0, 2000.0)})
    kinds = {(t.type, t.xaxis) for t in fig.data}
    assert ("scatter", "x") in kinds  # throughput
    assert ("box", "x2") in kinds  # latency
    assert ("bar", "x3") in kinds  # cost per model
    assert ("bar", "x4") in kinds  # tokens per model
    assert ("bar", "x5") in kinds  # waterfall
    assert "180 events, 120 actions" in fig.layout.title.text
    layout = fig.layout
    titles = {
        name: (layout[f"xaxis{name}"].title.text, layout[f"yaxis{name}"].title.text)
        for name in ("", "2", "3", "4", "5")
    }
    assert titles[""] == ("seconds since the run started", "records per second")
    assert titles["2"] == ("action", "duration (ms)")
    assert titles["3"] == ("model", "cost (USD)")
    assert titles["4"] == ("model", "tokens")
    assert titles["5"][0] == "ms since the input arrived"
    assert all(x and y for x, y in titles.values())  # every axis titled
    legends = {t.legend or "legend" for t in fig.data if t.showlegend is not False}
    assert legends == {"legend", "legend2", "legend3", "legend5"}  # per panel (cost: none)
    for name in ("legend", "legend2", "legend3", "legend5"):
        assert layout[name].x > 0.88  # in the right margin, over no other panel
    (cost,) = [t for t in fig.data if t.xaxis == "x3"]
    assert list(cost.x) == ["big"]
    assert cost.y[0] == pytest.approx(20 * (31 * 1000 + 3 * 2000) / 1e6)
    # dollars on the axis, not plotly's SI prefixes ("300µ" for $0.0003)
    assert (layout.yaxis3.tickprefix, layout.yaxis3.tickformat) == ("$", ",~g")
    wf_title = next(a.text for a in layout.annotations if a.text.startswith("waterfall"))
    assert re.match(
        r"waterfall of the slowest input: input #\d+ \(key [ab]\), [\d.]+ ms in 2 actions",
        wf_title,
    )
    assert not any("·" in str(t) for t in layout.yaxis5.ticktext)


def test_throughput_shows_the_busiest_lines_and_sums_the_rest(run: fa.Run) -> None:
    fig = _charts.throughput(run, top=2)
    names = [t.name for t in fig.data]
    assert len(names) == 3 and names[-1] == "other (3 series)"
    total = sum(float(np.sum(t.y)) for t in fig.data)
    every = sum(float(np.sum(t.y)) for t in _charts.throughput(run, top=None).data)
    assert total == pytest.approx(every)  # nothing lost, only grouped


def test_unpriced_model_warns_once_with_the_closest_priced_name(clean_env: None) -> None:
    from flink_agents_nb.run import _costs

    _costs._warned.discard("gpt4o-mini")
    run = _chat_run("gpt4o-mini")
    with pytest.warns(_costs.UnpricedModelWarning, match="closest priced name is 'gpt-4o-mini'"):
        run.token_usage(prices={"gpt-4o-mini": (0.15, 0.6), "o3-mini": (1.1, 4.4)})
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run.plot.tokens(prices={"gpt-4o-mini": (0.15, 0.6)})  # once only: no second warning


def test_live_chart_follows_a_run_as_a_record_sink() -> None:
    live = fa.LiveChart(interval_s=0.0, every=16)
    env = fa.local()
    env.from_list(INPUTS * 50).apply(make_agent()).execute(sinks=[live], record=False)
    live.flush()
    assert live.redraws >= 2
    assert set(live.series) == {
        "event: _input_event",
        "event: chat_response",
        "event: _output_event",
        "action: plan",
        "action: answer",
    }
    fig = live.figure()
    assert "750 records" in fig.layout.title.text
    (shown,) = live.output.outputs  # redrawn in place, not appended
    assert shown["data"]["application/vnd.plotly.v1+json"]["data"][0]["type"] == "scatter"


def test_a_run_within_one_time_bucket_still_draws_its_throughput(run: fa.Run) -> None:
    from flink_agents_nb.charts._series import throughput_traces
    from flink_agents_nb.charts._waterfall import describe_input

    frame = run.records.copy()
    assert {t.mode for t in throughput_traces(frame)} == {"lines"}
    frame["timestamp"] = frame["timestamp"].iloc[0]  # a sub-ms run: one bucket, one sample
    traces = throughput_traces(frame)
    assert traces and {t.mode for t in traces} == {"markers"}  # a line of one point is blank
    first = frame["input_seq"].iloc[0]
    acts = frame[(frame["record_type"] == "action") & (frame["input_seq"] == first)]
    frame.loc[acts.index, "duration_ms"] = 0.0125
    assert describe_input(frame, first).endswith(f", {0.0125 * len(acts):.3f} ms in 2 actions")
