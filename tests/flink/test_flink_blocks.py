"""The building blocks on PyFlink's MiniCluster: a retrieval-augmented triage agent (vector
store, embeddings, ReAct tool loop, structured output) and a ReActAgent give the same
outputs, events and metric totals as locally."""

from __future__ import annotations

import json

import pytest

import flink_agents_nb as fa
from flink_agents_runtime import (
    ChatModelSetup,
    Prompt,
    ReActAgent,
    ResourceDescriptor,
    ResourceType,
    ScriptedChatModelConnection,
    ScriptRule,
    Tool,
)
from tests.helpers.rag_agent import RagTriage

pytestmark = [pytest.mark.flink, pytest.mark.usefixtures("clean_env")]

TICKETS = [
    {"key": "t1", "value": "my refund has not arrived"},
    {"key": "t2", "value": "my parcel is late: order 12 and order 14"},
    {"key": "t3", "value": "how do I reset my password"},
    {"key": "t1", "value": "the item arrived broken"},
]


def test_rag_triage_on_flink_matches_local(tmp_path_factory: pytest.TempPathFactory) -> None:
    promoted = fa.promote(
        RagTriage(),
        TICKETS,
        log_dir=str(tmp_path_factory.mktemp("rag")),
        config={"tool-call.parallelism": 2, "budget.max-turns": 3},
    )
    assert promoted.parity is not None and promoted.parity.ok, repr(promoted.parity)
    per_key = {(o.key, o.value["article"]) for o in promoted.result.outputs}
    assert per_key == {
        ("t1", "kb-refund"),
        ("t2", "kb-late"),
        ("t3", "kb-login"),
        ("t1", "kb-broken"),
    }
    counts = promoted.metric_counts
    assert counts["action.context_retrieval_action.vector_store.kb.numOfQueries"] == 4
    # embedding tokens are in the token usage, the same from the job's log as locally
    assert promoted.local is not None
    local_usage = fa.token_usage(promoted.local, warn=False)
    job_usage = fa.token_usage(promoted.result, warn=False)
    assert local_usage.equals(job_usage)
    embedding = local_usage[local_usage["model_action"] == "context_retrieval_action"]
    assert list(embedding["action"]) == ["retrieve"] and embedding["prompt_tokens"].sum() > 0
    assert counts["action.chat_model_action.model.triage-v1.promptTokens"] > 0
    assert counts["action.tool_call_action.numOfActionsExecuted"] == 1
    # one model answer asked for both orders: one tool request, run as one batch
    assert promoted.local is not None
    events = promoted.local.events
    (calls,) = [
        a["tool_calls"]
        for t, a in zip(events["event_type"], events["attributes"], strict=True)
        if t == "_tool_request_event"
    ]
    assert [c["function"]["arguments"]["order"] for c in calls] == ["12", "14"]


def order_status(order: str) -> str:
    """The status of an order.

    Args:
        order: the order number.
    """
    return f"order {order}: shipped"


def test_react_agent_on_flink_matches_local(tmp_path_factory: pytest.TempPathFactory) -> None:
    rules = [
        ScriptRule(
            r"order (\d+)", tool_calls=[{"name": "order_status", "arguments": {"order": "{1}"}}]
        ),
        ScriptRule(None, role="tool", reply='{"answer": "{content}"}'),
        ScriptRule(r".+", reply='{"answer": "no order"}'),
    ]
    agent = ReActAgent(
        chat_model=ResourceDescriptor(
            ChatModelSetup, connection="scripted", model="react-v1", tools=["order_status"]
        ),
        prompt=Prompt.from_text("Customer says: {input}"),
        output_schema={
            "type": "object",
            "properties": {"answer": {"type": "string"}},
            "required": ["answer"],
        },
    )
    agent.add_resource(
        "scripted", ResourceType.CHAT_MODEL_CONNECTION, ScriptedChatModelConnection(rules)
    )
    agent.add_resource("order_status", ResourceType.TOOL, Tool.from_callable(order_status))
    promoted = fa.promote(
        agent,
        [{"key": i, "value": v} for i, v in enumerate(["order 5?", "hi"])],
        log_dir=str(tmp_path_factory.mktemp("react")),
    )
    assert promoted.parity is not None and promoted.parity.ok, repr(promoted.parity)
    assert {o.key: o.value for o in promoted.result.outputs} == {
        0: {"answer": "order 5: shipped"},
        1: {"answer": "no order"},
    }


def test_skills_mcp_and_subagents_on_flink_match_local(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    import sys
    from pathlib import Path

    from flink_agents_runtime import MCPServer, Skills, SubagentSetup
    from tests.helpers.researcher import Researcher

    helpers = Path(__file__).resolve().parents[1] / "helpers"
    rules = [
        ScriptRule(
            r"refund", tool_calls=[{"name": "load_skill", "arguments": {"name": "refund-policy"}}]
        ),
        ScriptRule(
            r"status of order (\d+)",
            tool_calls=[{"name": "order_status", "arguments": {"order": "{1}"}}],
        ),
        ScriptRule(
            r"research order (\d+)",
            tool_calls=[{"name": "_subagent_researcher", "arguments": {"prompt": "order {1}"}}],
        ),
        ScriptRule(r"(within \d+ days)", role="tool", reply="Policy: {1}"),
        ScriptRule(None, role="tool", reply="Tool said: {content}"),
    ]
    agent = ReActAgent(
        chat_model=ResourceDescriptor(
            ChatModelSetup,
            connection="scripted",
            model="blocks-v1",
            tools=["order_status", "_subagent_researcher"],
            skills=["refund-policy"],
        ),
    )
    agent.add_resource(
        "scripted", ResourceType.CHAT_MODEL_CONNECTION, ScriptedChatModelConnection(rules)
    )
    agent.add_resource(
        "orders",
        ResourceType.MCP_SERVER,
        ResourceDescriptor(
            MCPServer, command=sys.executable, args=[str(helpers / "mcp_server.py")], timeout=120
        ),
    )
    agent.add_resource(
        "support_skills", ResourceType.SKILLS, Skills.from_local_dir(str(helpers / "skills"))
    )
    agent.add_resource(
        "researcher", ResourceType.AGENT, SubagentSetup(Researcher(), "Researches an order.")
    )
    inputs = ["a refund please", "status of order 7", "research order 9"]
    log_dir = tmp_path_factory.mktemp("blocks")
    promoted = fa.promote(
        agent,
        [{"key": i, "value": v} for i, v in enumerate(inputs)],
        log_dir=str(log_dir),
    )
    assert promoted.parity is not None and promoted.parity.ok, repr(promoted.parity)
    assert {o.key: o.value for o in promoted.result.outputs} == {
        0: "Policy: within 5 days",
        # the MCP tool's answer: its content items (one text), as JSON for the model
        1: "Tool said: " + json.dumps(['{\n  "order": "7",\n  "status": "overdue"\n}']),
        2: "Tool said: research on order 9: carrier says Tuesday",
    }
    # the sub-agent's own work is in the job's log as in the local run (the parity report
    # compared event types, counts and action runs), under the tool call that asked for it
    frame = fa.Run(promoted.result).records
    sub = frame[frame["input_seq"] == 2]
    events = sub[sub["record_type"] == "event"]
    assert list(events["event_type"])[3:6] == [
        "researcher/_input_event",
        "researcher/_output_event",
        "_tool_response_event",
    ]
    assert "researcher/look" in set(sub["action"].dropna())
    (request_id,) = events[events["event_type"] == "_tool_request_event"]["event_id"]
    sub_input = events[events["event_type"] == "researcher/_input_event"].iloc[0]
    assert sub_input["upstream_event_id"] == request_id
    assert sub_input["upstream_action"] == "tool_call_action"
    # the stepper and the job log's lineage tree show it inside the call
    stepper = fa.Stepper(fa.Run(promoted.result)).filter(event_type="researcher/_output_event")
    view = stepper.view()
    assert view is not None and view.cause is not None
    assert view.cause["action"] == "researcher/look"
    (tree,) = fa.read_event_log(log_dir).trees(key=2)
    names = [n.name for n in tree.walk()]
    at = names.index("tool_call_action")
    assert names[at + 1 : at + 4] == [
        "researcher/_input_event",
        "researcher/look",
        "researcher/_output_event",
    ]
    # 0.4 per-component metrics: MCP server, skill and sub-agent scopes, equal on both drivers
    counts, group = promoted.metric_counts, "action.tool_call_action."
    assert counts[group + "mcp_server.orders.numOfToolCallsSucceeded"] == 1
    assert counts[group + "tool.order_status.numOfToolCallsSucceeded"] == 1
    assert counts[group + "skill.refund-policy.numOfToolCallsSucceeded"] == 1
    assert counts[group + "subagent.researcher.numOfSubagentCallsSucceeded"] == 1
