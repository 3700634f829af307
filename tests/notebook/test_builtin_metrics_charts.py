"""Flink Agents 0.4's built-in metrics in the notebook: from logs, from runs, live."""

from __future__ import annotations

from pathlib import Path

import flink_agents_nb as fa
from flink_agents_nb.charts._metrics import builtin_metrics
from tests.helpers.triage_agent import Triage
from tests.helpers.views_agent import INPUTS, make_agent

TRACE = (
    Path(__file__).resolve().parents[1] / "eventlog_corpus" / "traces-4f1e2d3c-weather_agent-0.log"
)


def test_metrics_derived_from_a_trace_log() -> None:
    m = builtin_metrics(fa.read_event_log(TRACE))
    assert m["numOfInputRunsSucceeded"] == 1 and m["numOfInputRunsFailed"] == 1
    assert m["inputRunLatencyMs"] > 0
    assert m["action.tool_call_action.actionExecutionLatencyMs"] == 42.0
    llm = "action.chat_model_action.model_resource.qwen."
    assert (m[llm + "numOfLlmCallsSucceeded"], m[llm + "numOfLlmCallsFailed"]) == (2, 1)
    assert m[llm + "llmCallLatencyMs"] == 7.0
    assert m["action.tool_call_action.tool.get_weather.numOfToolCallsSucceeded"] == 1
    assert "numOfToolCallsFailed" not in "".join(k for k, v in m.items() if v)
    assert fa.read_event_log(TRACE).metrics == m  # the public face of the same numbers


def test_metrics_chart_of_a_log_and_of_a_run() -> None:
    log = fa.read_event_log(TRACE)
    fig = log.plot.metrics()
    counts, latencies = fig.data
    assert "numOfInputRunsFailed" in counts.y
    assert "action.chat_model_action.model_resource.qwen.llmCallLatencyMs" in latencies.y
    assert fig.layout.xaxis2.title.text == "milliseconds"
    # one panel above the other: the long metric names never run over the other's bars
    assert fig.layout.xaxis.domain == fig.layout.xaxis2.domain == (0.0, 1.0)
    assert fig.layout.yaxis2.domain[1] < fig.layout.yaxis.domain[0]
    # the upper panel's ticks and "count" title clear the lower panel's title (16 rows here:
    # the gap was ~58 px and they touched), and counts tick at whole numbers (max 2 here)
    plot_px = fig.layout.height - (fig.layout.margin.t or 100) - (fig.layout.margin.b or 80)
    gap_px = (fig.layout.yaxis.domain[0] - fig.layout.yaxis2.domain[1]) * plot_px
    assert gap_px >= 100, gap_px
    assert fig.layout.xaxis.dtick == 1
    dash = log.plot.dashboard()
    assert "Tokens: 150 total. Input runs: 1 ok, 1 failed." in dash.layout.title.text
    # 7-42 ms is within one decade: plotly's own log ticks (a power-of-ten dtick drew none)
    assert dash.layout.yaxis2.type == "log" and dash.layout.yaxis2.dtick is None
    # the slowest input's waterfall: one bar per ended action and per call, no "started" rows
    bars = next(t for t in dash.data if t.type == "bar" and t.name == "actions")
    labels = bars.meta["ticktext"]
    assert len(labels) == 5 + 5  # input #0: 5 actions, 5 calls (2 llm, 2 tool, 1 parser)
    assert "tool get_weather <span style='color:#888'>in tool_call_action</span>" in labels
    run = fa.local().from_list([{"key": "k", "value": "order 42"}]).apply(Triage()).execute()
    counts, latencies = run.plot.metrics().data  # the run's own counted metrics
    by_name = dict(zip(counts.y, counts.x, strict=True))
    assert by_name["numOfInputRunsSucceeded"] == 1
    assert by_name["action.tool_call_action.tool.lookup_order.numOfToolCallsSucceeded"] == 1
    assert "inputRunProcessingLatencyMs" in latencies.y


def test_live_chart_draws_action_execution_latency() -> None:
    live = fa.LiveChart(interval_s=0.0, every=16)
    fa.local().from_list(INPUTS * 20).apply(make_agent()).execute(sinks=[live], record=False)
    live.flush()
    assert set(live.latency) == {"plan", "answer"}
    assert all(ms >= 0 for pts in live.latency.values() for _, ms in pts)
    names = [t.name for t in live.figure().data]
    assert "actionExecutionLatencyMs: plan" in names
    assert live.figure().layout.yaxis2.title.text == "action execution latency (ms, mean)"
    # the legend sits right of the latency axis, not over its numbers and title
    layout = live.figure().layout
    assert layout.legend.x > 1.1 and layout.legend.xanchor == "left"
