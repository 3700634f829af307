"""Skills: folders with a SKILL.md offered to the model and loaded on demand (load_skill)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flink_agents_runtime import (
    ActionFailedError,
    AgentsExecutionEnvironment,
    ChatModelSetup,
    ResourceDescriptor,
    ResourceError,
    ScriptedChatModelConnection,
    ScriptRule,
    Skills,
    skills,
)
from tests.helpers.triage_agent import Triage

SKILLS_DIR = str(Path(__file__).resolve().parents[1] / "helpers" / "skills")


def sees_skills(messages: list[Any]) -> bool:
    return any("## Skills" in m.content and "refund-policy:" in m.content for m in messages)


RULES = [
    ScriptRule(
        lambda msgs: sees_skills(msgs) and "refund" in msgs[-1].content,
        tool_calls=[{"name": "load_skill", "arguments": {"name": "refund-policy"}}],
    ),
    ScriptRule(
        r"reference/amounts.md",
        role="tool",
        tool_calls=[
            {
                "name": "load_skill",
                "arguments": {"name": "refund-policy", "path": "reference/amounts.md"},
            }
        ],
    ),
    ScriptRule(r"opened \| (\d+%)", role="tool", reply="An opened item is refunded at {1}."),
    ScriptRule(None, reply="no skill seen"),
]


class SkilledTriage(Triage):
    @skills
    @staticmethod
    def support_skills() -> Skills:
        return Skills.from_local_dir(SKILLS_DIR)

    @staticmethod
    def scripted() -> ResourceDescriptor:
        return ResourceDescriptor(ScriptedChatModelConnection, rules=RULES)

    @staticmethod
    def triage_model() -> ResourceDescriptor:
        return ResourceDescriptor(
            ChatModelSetup, connection="scripted", model="skilled", skills=["refund-policy"]
        )


def run(agent: Any, text: str) -> Any:
    env = AgentsExecutionEnvironment.get_execution_environment()
    return env.from_list([{"key": "k", "value": text}]).apply(agent).execute()


def test_skill_offered_then_loaded_on_demand_with_its_files(clean_env: None) -> None:
    result = run(SkilledTriage(), "how much of my refund do I get for an opened item?")
    assert result.output_values() == ["An opened item is refunded at 80%."]
    calls = [
        r.event.attributes["tool_calls"][0]["function"]
        for r in result.events or []
        if r.event.type == "_tool_request_event"
    ]
    assert calls == [
        {"name": "load_skill", "arguments": {"name": "refund-policy"}},
        {
            "name": "load_skill",
            "arguments": {"name": "refund-policy", "path": "reference/amounts.md"},
        },
    ]
    first = next(r.event for r in result.events or [] if r.event.type == "_tool_response_event")
    (text,) = first.attributes["responses"].values()
    assert "within 5 days" in text and "- reference/amounts.md" in text
    # 0.4 per-component metrics: a skill load is a tool call, counted under both scopes
    metrics = result.metrics
    group = "action.tool_call_action."
    assert metrics[group + "tool.load_skill.numOfToolCallsSucceeded"] == 2
    assert metrics[group + "skill.refund-policy.numOfToolCallsSucceeded"] == 2
    assert metrics[group + "skill.refund-policy.toolCallLatencyMs"] > 0
    failed = {k: v for k, v in metrics.items() if ".skill." in k and "Failed" in k}
    assert failed == {group + "skill.refund-policy.numOfToolCallsFailed": 0}  # there, at 0


def test_skills_load_from_folders_and_check_their_files(tmp_path: Path) -> None:
    found = Skills.from_local_dir(SKILLS_DIR).load()
    assert sorted(found) == ["refund-policy", "shipping-delays"]
    packaged = Skills.from_package(("tests.helpers", "skills")).load()
    assert packaged["refund-policy"].files() == ["reference/amounts.md"]
    with pytest.raises(ResourceError, match="skills package 'no_such_pkg' not found"):
        Skills.from_package(("no_such_pkg", "skills"))
    assert found["shipping-delays"].description.startswith("How to handle late parcels")
    bad = tmp_path / "broken"
    bad.mkdir()
    (bad / "SKILL.md").write_text("no front matter here\n")
    with pytest.raises(ResourceError, match=r"broken/SKILL.md: SKILL.md must start with YAML"):
        Skills.from_local_dir(str(tmp_path)).load()
    with pytest.raises(ResourceError, match="does not exist"):
        Skills.from_local_dir(str(tmp_path / "nope")).load()


def test_unknown_skill_name_is_a_clear_error(clean_env: None) -> None:
    class Unknown(SkilledTriage):
        @staticmethod
        def triage_model() -> ResourceDescriptor:
            return ResourceDescriptor(ChatModelSetup, connection="scripted", skills=["refunds"])

    with pytest.raises(ActionFailedError) as info:
        run(Unknown(), "refund?")
    message = str(info.value)
    assert "enables skill(s) ['refunds']" in message
    assert "available: ['refund-policy', 'shipping-delays']" in message


def test_load_skill_refuses_paths_outside_the_skill() -> None:
    from flink_agents_runtime.chat.tools._skills import LoadSkillTool
    from flink_agents_runtime.chat.tools._tool import run_tool

    tool = LoadSkillTool(Skills.from_local_dir(SKILLS_DIR).load())
    outcome = run_tool(tool, {"name": "refund-policy", "path": "../shipping-delays/SKILL.md"})
    assert not outcome["ok"] and "has no file '../shipping-delays/SKILL.md'" in outcome["content"]
    outcome = run_tool(tool, {"name": "other"})
    assert not outcome["ok"] and "must be one of" in outcome["content"]


def test_a_skill_the_setup_does_not_offer_counts_as_unknown(clean_env: None) -> None:
    guessing = [
        ScriptRule(
            lambda msgs: msgs[-1].role.value == "user",
            tool_calls=[
                {"name": "load_skill", "arguments": {"name": "shipping-delays"}},
                {"name": "load_skill", "arguments": {"name": "made-up"}},
            ],
        ),
        ScriptRule(None, role="tool", reply="done"),
    ]

    class Guessing(SkilledTriage):
        @staticmethod
        def scripted() -> ResourceDescriptor:
            return ResourceDescriptor(ScriptedChatModelConnection, rules=guessing)

    result = run(Guessing(), "help")
    assert result.output_values() == ["done"]
    group = "action.tool_call_action."
    skills_seen = {k.split(".")[3] for k in result.metrics if ".skill." in k}
    # shipping-delays exists but this setup offers only refund-policy: both are refused by
    # the tool's schema and counted under one bounded name
    assert skills_seen == {"unknown"}
    assert result.metrics[group + "skill.unknown.numOfToolCallsFailed"] == 2
    assert result.metrics[group + "tool.load_skill.numOfToolCallsFailed"] == 2
