"""Sub-agents (0.4): a SubagentSetup resource, submit() returning an awaitable handle whose
result is a value (never an exception), the _subagent_<name> tool, subagent.<name> metrics."""

from __future__ import annotations

from typing import Any

from flink_agents_runtime import (
    Agent,
    AgentsExecutionEnvironment,
    InputEvent,
    OutputEvent,
    ResourceType,
    SubagentResult,
    SubagentSetup,
    action,
)
from tests.helpers.researcher import Researcher
from tests.helpers.triage_agent import delegating_triage


def researcher() -> SubagentSetup:
    return SubagentSetup(Researcher(), "Researches an order with the carrier.")


class Parent(Agent):
    @action(InputEvent)
    @staticmethod
    async def delegate(event: InputEvent, ctx: Any) -> None:
        setup = ctx.get_resource("researcher", ResourceType.AGENT)
        first = await setup.submit(ctx, event.input)
        second = await setup.submit(ctx, event.input + " explode")
        assert isinstance(first, SubagentResult)
        ctx.send_event(OutputEvent([first.to_json(), second.to_json()]))


def run(agent: Agent, text: str) -> Any:
    agent.add_resource("researcher", ResourceType.AGENT, researcher())
    env = AgentsExecutionEnvironment.get_execution_environment()
    return env.from_list([{"key": "k", "value": text}]).apply(agent).execute()


def test_submit_gives_values_for_success_and_failure(clean_env: None) -> None:
    result = run(Parent(), "order 7")
    ok, failed = result.output_values()[0]
    assert ok["status"] == "ok" and ok["output"] == "research on order 7: carrier says Tuesday"
    assert failed["status"] == "error" and failed["output"] is None
    assert "the researcher exploded" in failed["message"] and "'researcher'" in failed["message"]
    metrics = result.metrics
    group = "action.delegate.subagent.researcher."
    assert metrics[group + "numOfSubagentCallsSucceeded"] == 1
    assert metrics[group + "numOfSubagentCallsFailed"] == 1
    assert metrics[group + "subagentCallLatencyMs"] > 0


Delegating = delegating_triage("researcher")


def test_chat_model_calls_a_subagent_as_a_tool(clean_env: None) -> None:
    result = run(Delegating(), "where is order 12?")
    assert result.output_values() == ["Answer: research on order 12: carrier says Tuesday"]
    request = next(r.event for r in result.events or [] if r.event.type == "_tool_request_event")
    assert request.attributes["tool_calls"][0]["function"]["name"] == "_subagent_researcher"
    group = "action.tool_call_action."
    assert result.metrics[group + "subagent.researcher.numOfSubagentCallsSucceeded"] == 1
    assert result.metrics[group + "tool._subagent_researcher.numOfToolCallsSucceeded"] == 1
    # the tool metrics of one call stay in their own group (they were once nested in it)
    assert not [k for k in result.metrics if ".subagent.researcher.tool." in k]


def test_input_schema_violation_is_an_error_value() -> None:
    setup = SubagentSetup(
        Researcher(),
        "Researches an order.",
        input_schema={
            "type": "object",
            "properties": {"order": {"type": "integer"}},
            "required": ["order"],
        },
        name="researcher",
    )
    bad = SubagentResult(**setup.run({"order": "seven"}))
    assert bad.status == "error" and "$.order must be integer" in str(bad.message)
    good = SubagentResult(**setup.run({"order": 7}))
    assert good.succeeded and good.output == "research on 7: carrier says Tuesday"
    tool = setup.as_tool("researcher")
    assert tool.name == "_subagent_researcher" and tool.parameters["required"] == ["order"]
