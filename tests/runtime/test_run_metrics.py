"""Flink Agents 0.4's built-in input-run, action and component metrics (this issue's share)."""

from __future__ import annotations

from typing import Any

import pytest

import flink_agents_runtime as rt
from flink_agents_runtime import (
    Agent,
    ChatMessage,
    ChatModelSetup,
    ChatRequestEvent,
    ChatResponseEvent,
    InputEvent,
    MessageRole,
    OutputEvent,
    ResourceDescriptor,
    ScriptedChatModelConnection,
    ScriptRule,
    action,
    chat_model_connection,
    chat_model_setup,
)
from flink_agents_runtime.api._metrics import Histogram, MetricRegistry
from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.engine._core import DictState, ExecutionCore
from flink_agents_runtime.engine.plan._plan import AgentPlan
from tests.helpers.triage_agent import Triage

INPUTS = [
    {"key": "k1", "value": "where is order 42?"},  # tool ok
    {"key": "k2", "value": "order 13"},  # the tool raises: its answer is the error
    {"key": "k3", "value": "hi"},  # no tool
]


def test_input_runs_actions_llm_and_tool_calls_of_a_local_run() -> None:
    metrics = rt.LocalExecutionEnvironment().from_list(INPUTS).apply(Triage()).execute().metrics
    assert metrics["numOfInputRunsSucceeded"] == 3
    assert metrics["numOfInputRunsFailed"] == 0
    assert metrics["inputRunLatencyMs"] >= metrics["inputRunProcessingLatencyMs"] > 0
    for name in ("ask", "answer", "chat_model_action", "tool_call_action"):
        assert metrics[f"action.{name}.actionExecutionLatencyMs"] >= 0
    llm = "action.chat_model_action.model_resource.triage_model."
    assert metrics[llm + "numOfLlmCallsSucceeded"] == 5  # 3 answers + 2 tool requests
    assert metrics[llm + "numOfLlmCallsFailed"] == 0
    assert metrics[llm + "llmCallLatencyMs"] > 0
    tool = "action.tool_call_action.tool.lookup_order."
    assert metrics[tool + "numOfToolCallsSucceeded"] == 1
    assert metrics[tool + "numOfToolCallsFailed"] == 1
    assert metrics[tool + "toolCallLatencyMs"] > 0


def _boom(*_: Any) -> str:
    raise RuntimeError("model down")


class Flaky(Agent):
    """A model that fails on ``fail`` and asks for a tool nobody declared on ``ghost``."""

    @chat_model_connection
    @staticmethod
    def conn() -> ResourceDescriptor:
        rules = [
            ScriptRule("fail", reply=_boom),
            ScriptRule("ghost", tool_calls=[{"name": "no_such_tool", "arguments": {}}]),
            ScriptRule(None, role="tool", reply="done"),
            ScriptRule(".+", reply="ok"),
        ]
        return ResourceDescriptor(ScriptedChatModelConnection, rules=rules)

    @chat_model_setup
    @staticmethod
    def flaky() -> ResourceDescriptor:
        return ResourceDescriptor(ChatModelSetup, connection="conn", model="m1")

    @action(InputEvent)
    @staticmethod
    def ask(event: InputEvent, ctx: Any) -> None:
        ctx.send_event(ChatRequestEvent("flaky", [ChatMessage(MessageRole.USER, event.input)]))

    @action(ChatResponseEvent)
    @staticmethod
    def answer(event: ChatResponseEvent, ctx: Any) -> None:
        ctx.send_event(OutputEvent(event.response.content))


def test_failures_count_and_unknown_names_stay_bounded() -> None:
    env = rt.LocalExecutionEnvironment()
    env.get_config().set("error-handling-strategy", "ignore")
    inputs = [{"key": "a", "value": "ghost"}, {"key": "b", "value": "fail"}]
    metrics = env.from_list(inputs).apply(Flaky()).execute().metrics
    llm = "action.chat_model_action.model_resource.flaky."
    assert metrics[llm + "numOfLlmCallsFailed"] == 1
    assert metrics[llm + "numOfLlmCallsSucceeded"] == 2  # ghost: the tool request, the answer
    assert metrics["action.tool_call_action.tool.unknown.numOfToolCallsFailed"] == 1
    assert not any("no_such_tool" in name for name in metrics)
    assert metrics["numOfInputRunsSucceeded"] == 2  # ignore: the run goes on


def test_a_failing_run_counts_as_failed() -> None:
    registry = MetricRegistry()
    core = ExecutionCore(
        AgentPlan.from_agent(Flaky()), AgentConfiguration(), registry.group(), DictState()
    )
    task = core.start("b", "fail")
    with pytest.raises(rt.ActionFailedError):
        task.run_blocking()
    snap = registry.snapshot()
    assert snap["numOfInputRunsFailed"] == 1 and snap["numOfInputRunsSucceeded"] == 0
    assert snap["inputRunLatencyMs"] > 0
    core.close()


HEALTHY = [INPUTS[0], INPUTS[2]]  # a tool call that works, and no tool: nothing fails


def test_a_healthy_run_shows_every_failed_counter_at_zero() -> None:
    """An alert on a failed counter finds it at 0 on a job where nothing failed."""
    result = rt.LocalExecutionEnvironment().from_list(HEALTHY).apply(Triage()).execute()
    metrics = result.metrics
    # the sampled series (a run's metric frame) has it from its first sample on
    sampled = [value for _, name, value in result.metric_series if name == "numOfInputRunsFailed"]
    assert sampled and set(sampled) == {0}
    llm = "action.chat_model_action.model_resource.triage_model."
    tool = "action.tool_call_action.tool.lookup_order."
    assert metrics["numOfInputRunsSucceeded"] == 2
    assert metrics[llm + "numOfLlmCallsSucceeded"] == 3  # 2 answers + 1 tool request
    assert metrics[tool + "numOfToolCallsSucceeded"] == 1
    failed = ("numOfInputRunsFailed", llm + "numOfLlmCallsFailed", tool + "numOfToolCallsFailed")
    for name in failed:
        assert name in metrics and metrics[name] == 0, name
    # no retry happened: upstream records retries only once one occurs
    assert not any(name.endswith(("retryCount", "retryWaitSec")) for name in metrics)


def test_input_run_metrics_exist_from_the_start_and_components_from_their_first_call() -> None:
    """As a Flink subtask's open: the agent group's input-run metrics exist before any input;
    a component's group (both outcomes) only once it was called, so unused components and
    names nobody called add no metric."""
    registry = MetricRegistry()
    core = ExecutionCore(
        AgentPlan.from_agent(Triage()), AgentConfiguration(), registry.group(), DictState()
    )
    before = registry.snapshot()
    for name in ("numOfInputRunsSucceeded", "numOfInputRunsFailed"):
        assert before[name] == 0
    for name in ("inputRunLatencyMs", "inputRunProcessingLatencyMs"):
        histogram = registry.metrics[name]
        assert isinstance(histogram, Histogram) and histogram.get_count() == 0
    assert not any(".model_resource." in n or ".tool." in n for n in before)
    core.start("k3", "hi").run_blocking()  # a model call, no tool call
    after = registry.snapshot()
    components = {n.rsplit(".", 1)[0] for n in after if ".model_resource." in n or ".tool." in n}
    assert components == {"action.chat_model_action.model_resource.triage_model"}
    llm = "action.chat_model_action.model_resource.triage_model."
    assert (after[llm + "numOfLlmCallsSucceeded"], after[llm + "numOfLlmCallsFailed"]) == (1, 0)
    core.close()


def test_a_failed_call_first_still_makes_its_succeeded_twin() -> None:
    env = rt.LocalExecutionEnvironment()
    env.get_config().set("error-handling-strategy", "ignore")
    metrics = env.from_list([{"key": "b", "value": "fail"}]).apply(Flaky()).execute().metrics
    llm = "action.chat_model_action.model_resource.flaky."
    assert (metrics[llm + "numOfLlmCallsSucceeded"], metrics[llm + "numOfLlmCallsFailed"]) == (0, 1)
