"""The chat action's metric handles are taken once per action group and model resource,
and stay bounded when servers answer with many model names."""

from __future__ import annotations

from flink_agents_runtime.api._metrics import MetricRegistry
from flink_agents_runtime.chat.action._call_metrics import MAX_MODEL_NAMES, call_metrics
from flink_agents_runtime.engine.reporting._run_metrics import llm_call_ended


def test_handles_are_kept_per_group_and_resource_and_count_the_same_metrics() -> None:
    registry = MetricRegistry()
    group = registry.group("action.chat_model_action")
    metrics = call_metrics(group, "model")
    assert call_metrics(group, "model") is metrics
    assert call_metrics(group, "other") is not metrics
    assert call_metrics(registry.group("action.chat_model_action"), "model") is not metrics
    assert registry.metrics == {}  # nothing is created before it is used
    llm_call_ended(metrics.calls, 0, True, 2, 0.5)
    metrics.model("gpt-x").get_counter("promptTokens").inc(7)
    assert metrics.calls.get_counter("retryCount") is metrics.calls.get_counter("retryCount")
    assert registry.counts() == {
        "action.chat_model_action.model.gpt-x.promptTokens": 7,
        "action.chat_model_action.model_resource.model.numOfLlmCallsFailed": 0,
        "action.chat_model_action.model_resource.model.numOfLlmCallsSucceeded": 1,
        "action.chat_model_action.model_resource.model.retryCount": 2,
        "action.chat_model_action.model_resource.model.retryWaitSec": 0.5,
    }


def test_model_names_from_servers_are_kept_up_to_a_bound() -> None:
    registry = MetricRegistry()
    metrics = call_metrics(registry.group("action.a"), "model")
    names = [f"m{i}" for i in range(MAX_MODEL_NAMES + 10)]
    for name in names:
        metrics.model(name).get_counter("promptTokens").inc()
    assert len(metrics._models) == MAX_MODEL_NAMES
    late = metrics.model(names[-1])
    assert late is not metrics.model(names[-1])  # past the bound: looked up each time
    late.get_counter("promptTokens").inc()
    assert registry.counts()[f"action.a.model.{names[-1]}.promptTokens"] == 2
