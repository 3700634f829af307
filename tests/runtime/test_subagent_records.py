"""A sub-agent's own events and actions in the caller's records and logs: named inside the
sub-agent (``<name>/...``), hanging under the calling action, in the run, the event log, the
Trace Log (``agentName``), the stepper, the lineage trees and the token usage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

import flink_agents_nb as fa
from flink_agents_runtime import (
    ResourceType,
    SubagentSetup,
)
from tests.helpers.researcher import Researcher
from tests.helpers.triage_agent import Triage, delegating_triage
from tests.runtime.test_subagents import Parent, researcher


def rows(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    names = frame["event_type"].astype(str) + "|" + frame["action"].astype(str)
    return frame[names.str.contains(prefix, regex=False)]


def test_submitted_subagent_work_is_in_the_run_and_the_event_log(
    clean_env: None, tmp_path: Path
) -> None:
    agent = Parent()
    agent.add_resource("researcher", ResourceType.AGENT, researcher())
    run = (
        fa.local(base_log_dir=str(tmp_path))
        .from_list([{"key": "k", "value": "order 7"}])
        .apply(agent)
        .execute()
    )
    # the sub-agent's outputs are not the caller's: one output, holding both results
    assert len(run.outputs) == 1
    records = run.records
    events = records[records["record_type"] == "event"]
    types = list(events["event_type"])
    assert types == [
        "_input_event",
        "researcher/_input_event",
        "researcher/_output_event",
        "researcher/_input_event",
        "_output_event",
    ]
    first = events.iloc[0]
    subs = events[events["event_type"] == "researcher/_input_event"]
    # the sub-agent's input hangs under the calling action, on the event it handled
    assert set(subs["upstream_event_id"]) == {first["event_id"]}
    assert set(subs["upstream_action"]) == {"delegate"}
    assert set(events["key"]) == {"k"} and set(events["input_seq"]) == {0}
    actions = records[records["record_type"] == "action"]
    looks = actions[actions["action"] == "researcher/look"]
    assert list(looks["status"]) == ["ok", "failed"]
    assert "the researcher exploded" in looks["error"].iloc[1]
    assert list(looks["event_type"]) == ["researcher/_input_event"] * 2
    assert all(not a["memoryWrites"] for a in looks["attributes"])
    # the caller's action ends after the calls it made
    delegate = actions[actions["action"] == "delegate"]
    assert int(delegate["seq"].iloc[0]) > int(looks["seq"].max())

    # the event log has the same records, and its lineage puts the calls under delegate
    log = fa.read_event_log(tmp_path)
    assert sorted(log.frame["event_type"].astype(str)) == sorted(records["event_type"].astype(str))
    assert sorted(log.frame["action"].dropna()) == sorted(records["action"].dropna())
    (tree,) = log.trees()
    (delegate_node,) = tree.children
    assert [n.name for n in delegate_node.children] == [
        "researcher/_input_event",
        "researcher/_input_event",
        "_output_event",
    ]
    assert [n.name for n in delegate_node.children[0].walk()] == [
        "researcher/_input_event",
        "researcher/look",
        "researcher/_output_event",
    ]
    assert not log.problems

    # the stepper walks into the sub-agent's work and shows its cause
    stepper = fa.Stepper(run)
    stepper.filter(event_type="researcher/_output_event")
    view = stepper.view()
    assert view is not None and view.cause is not None
    assert view.cause["action"] == "researcher/look"
    assert view.cause["event_type"] == "researcher/_input_event"
    # and the inspector lists its rows
    inspector = fa.Inspector(run)
    inspector.filter(action="researcher/look")
    assert inspector.total == 2


#: The triage agent whose model calls another triage agent as the tool _subagent_helper.
Delegating = delegating_triage("helper", model="outer-v1")


def test_subagent_called_as_a_tool_its_tokens_and_its_trace_records(
    clean_env: None, tmp_path: Path
) -> None:
    agent = Delegating()
    agent.add_resource("helper", ResourceType.AGENT, SubagentSetup(Triage(), "Looks orders up."))
    run = (
        fa.local(
            config={
                "trace-log.base-dir": str(tmp_path),
                "trace-log.targets": [{"scope": "ALL", "detail": "STANDARD"}],
            }
        )
        .from_list([{"key": "k", "value": "where is order 12?"}])
        .apply(agent)
        .execute()
    )
    assert run.result.output_values() == ['Answer: Status: {"order": "12", "status": "shipped"}']
    records = run.records
    inner = rows(records, "helper/")
    assert "helper/_tool_request_event" in set(inner["event_type"])  # its own tool loop
    assert {"helper/ask", "helper/chat_model_action", "helper/tool_call_action"} <= set(
        inner["action"].dropna()
    )
    sub_input = records[records["event_type"] == "helper/_input_event"].iloc[0]
    assert sub_input["upstream_action"] == "tool_call_action"
    request = records[records["event_type"] == "_tool_request_event"].iloc[0]
    assert sub_input["upstream_event_id"] == request["event_id"]

    # tokens: the sub-agent's model calls are credited to its own action
    usage = fa.token_usage(run, warn=False)
    by_action = dict(zip(usage["action"], usage["prompt_tokens"], strict=True))
    assert by_action["helper/ask"] > 0 and by_action["ask"] > 0
    sub_response = records[records["event_type"] == "helper/_chat_response_event"]
    assert int(sub_response["prompt_tokens"].sum()) == by_action["helper/ask"]
    counts = run.metric_counts
    assert counts["action.tool_call_action.subagent.helper.numOfSubagentCallsSucceeded"] == 1

    # the Trace Log names the sub-agent as the agent of its records
    (path,) = tmp_path.glob("traces-*.log")
    trace = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    agents = {
        r["entityName"]: r["agentName"] for r in trace if r["entityType"] in ("event", "action")
    }
    assert agents["helper/_input_event"] == "helper"
    assert agents["helper/chat_model_action"] == "helper"
    main = {a for n, a in agents.items() if not n.startswith("helper/")}
    assert len(main) == 1 and "helper" not in main
    # its model and tool calls have their llm and tool records, children of its actions
    calls = {(r["entityType"], r["entityName"], r["agentName"]) for r in trace}
    assert ("llm", "triage_model", "helper") in calls
    assert ("tool", "lookup_order", "helper") in calls
    assert ("tool", "_subagent_helper", next(iter(main))) in calls

    # OpenTelemetry spans from the run: the sub-agent's actions, model and tool calls too
    fa.export_otlp(run, path=tmp_path / "spans.jsonl")
    lines = (tmp_path / "spans.jsonl").read_text(encoding="utf-8").splitlines()
    names = [
        span["name"]
        for line in lines
        for resource in json.loads(line)["resourceSpans"]
        for scope in resource["scopeSpans"]
        for span in scope["spans"]
    ]
    assert "helper/chat_model_action" in names and "execute_tool lookup_order" in names
    assert names.count("chat triage-v1") == 2 and names.count("chat outer-v1") == 2


def test_a_caller_that_does_not_trace_gets_the_same_results(clean_env: None) -> None:
    outputs = []
    for record in (True, False):
        agent = Parent()
        agent.add_resource("researcher", ResourceType.AGENT, researcher())
        run: Any = (fa.local().from_list([{"key": "k", "value": "order 7"}]).apply(agent)).execute(
            record=record
        )
        outputs.append(run.result.output_values())
        assert (run.result.events is not None) is record
    assert outputs[0] == outputs[1]


def test_replay_of_a_run_with_a_subagent_tool_is_identical(clean_env: None) -> None:
    def agent() -> Triage:
        built = Delegating()
        built.add_resource(
            "helper", ResourceType.AGENT, SubagentSetup(Triage(), "Looks orders up.")
        )
        return built

    run = (
        fa.local().from_list([{"key": "k", "value": "where is order 12?"}]).apply(agent()).execute()
    )
    # the sub-agent's answer comes from the record, so it does not run (nor record) again:
    # its rows are not compared, the caller's are
    replay = fa.replay(run, agent())
    assert replay.identical, replay.summary()
    assert not rows(replay.run.records, "helper/").shape[0]
    changed = Delegating()
    changed.add_resource("helper", ResourceType.AGENT, SubagentSetup(Researcher(), "Other."))
    assert fa.replay(run, changed).identical  # the call was answered from the record
