"""The built-in chat/tool loop with the scripted model: events, tokens, errors, replay."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flink_agents_runtime import (
    ActionFailedError,
    Agent,
    AgentsExecutionEnvironment,
    ChatMessage,
    ChatModelSetup,
    ChatRequestEvent,
    ChatResponseEvent,
    InputEvent,
    OutputEvent,
    ResourceType,
    RunResult,
    ScriptedChatModelConnection,
    ScriptRule,
    chat_model_connection,
    count_tokens,
)
from tests.helpers.triage_agent import Triage


def run(agent: Agent, inputs: list[Any], **config: Any) -> RunResult:
    env = AgentsExecutionEnvironment.get_execution_environment(config=config)
    data = [{"key": i, "value": v} if not isinstance(v, dict) else v for i, v in enumerate(inputs)]
    return env.from_list(data).apply(agent).execute()


def events_of(result: RunResult, etype: str) -> list[Any]:
    assert result.events is not None
    return [r.event for r in result.events if r.event.type == etype]


def test_tool_loop_runs_until_the_model_answers_without_tools(clean_env: None) -> None:
    result = run(Triage(), ["where is order 42?", "hello"])
    assert sorted(result.output_values()) == [
        'Status: {"order": "42", "status": "shipped"}',
        "Thanks, we will look into it.",
    ]
    assert result.events is not None
    first_key = [r.event.type for r in result.events if r.key == 0]
    assert first_key == [
        "_input_event",
        "_chat_request_event",
        "_tool_request_event",
        "_tool_response_event",
        "_chat_response_event",
        "_output_event",
    ]
    (tool_request,) = events_of(result, "_tool_request_event")
    assert tool_request.attributes["model"] == "triage_model"
    assert tool_request.attributes["tool_calls"][0]["function"] == {
        "name": "lookup_order",
        "arguments": {"order_id": "42"},
    }
    (tool_response,) = events_of(result, "_tool_response_event")
    assert tool_response.upstream_action_name == "tool_call_action"
    assert list(tool_response.attributes["responses"].values()) == [
        {"order": "42", "status": "shipped"}
    ]


def test_token_usage_in_metrics_and_response_attributes(clean_env: None) -> None:
    result = run(Triage(), ["where is order 42?", "hello"])
    responses = {e.key: e for e in events_of(result, "_chat_response_event")}
    # The documented rule: words + other non-space characters.
    assert count_tokens('Status: {"a": 1}') == 9
    hello = responses[1].attributes
    prompt_tokens = count_tokens("You triage tickets for support.") + count_tokens("hello")
    completion_tokens = count_tokens("Thanks, we will look into it.")
    assert hello["promptTokens"] == hello["gen_ai.usage.input_tokens"] == prompt_tokens
    assert hello["completionTokens"] == hello["gen_ai.usage.output_tokens"] == completion_tokens
    assert hello["model"] == "triage-v1"
    assert hello["chat_model"] == "triage_model"
    assert hello["turns"] == 1
    assert hello["requested_by"] == "ask"
    order = responses[0].attributes
    assert order["turns"] == 2
    (tool_request,) = events_of(result, "_tool_request_event")
    first_call = tool_request.attributes["call_usage"]
    assert order["promptTokens"] == first_call["promptTokens"] + order["call_usage"]["promptTokens"]
    metrics = result.metric_counts
    group = "action.chat_model_action.model.triage-v1"
    assert metrics[f"{group}.promptTokens"] == hello["promptTokens"] + order["promptTokens"]
    assert metrics[f"{group}.completionTokens"] == (
        hello["completionTokens"] + order["completionTokens"]
    )


def test_zero_token_counts_are_recorded(clean_env: None) -> None:
    agent = Agent()
    agent.add_resource(
        "conn", ResourceType.CHAT_MODEL_CONNECTION, ScriptedChatModelConnection(default_reply="")
    )
    agent.add_resource("m", ResourceType.CHAT_MODEL, ChatModelSetup("conn", model="zero"))
    agent.add_action(
        "ask", InputEvent, lambda e, ctx: ctx.send_event(ChatRequestEvent("m", [ChatMessage()]))
    )
    result = run(agent, ["x"])
    assert result.metric_counts["action.chat_model_action.model.zero.promptTokens"] == 0
    assert result.metric_counts["action.chat_model_action.model.zero.completionTokens"] == 0
    (response,) = events_of(result, "_chat_response_event")
    assert response.attributes["promptTokens"] == 0
    assert response.attributes["gen_ai.usage.output_tokens"] == 0


def test_tool_errors_become_a_tool_answer_the_model_sees(clean_env: None) -> None:
    result = run(Triage(), ["order 13 please"])
    assert result.output_values() == ["Status: Error: LookupError: order 13 is archived"]
    (tool_response,) = events_of(result, "_tool_response_event")
    assert tool_response.attributes["errors"] == list(tool_response.attributes["responses"])


def test_unknown_tool_and_bad_arguments_are_answered_not_raised(clean_env: None) -> None:
    rules = [
        ScriptRule(
            "go",
            tool_calls=[
                {"name": "no_such_tool", "arguments": {}},
                {"name": "lookup_order", "arguments": {"order_id": 5}},
            ],
        ),
        ScriptRule(None, role="tool", reply="saw tool answers"),
    ]
    agent2 = Agent()
    agent2.add_resource(
        "other", ResourceType.CHAT_MODEL_CONNECTION, ScriptedChatModelConnection(rules)
    )
    agent2.add_resource(
        "other_model",
        ResourceType.CHAT_MODEL,
        ChatModelSetup("other", model="m2", tools=["lookup_order"]),
    )
    agent2.add_resource("lookup_order", ResourceType.TOOL, Triage.lookup_order)
    agent2.add_action(
        "ask", InputEvent, lambda e, ctx: ctx.send_event(ChatRequestEvent("other_model", ["go"]))
    )
    agent2.add_action(
        "out", ChatResponseEvent, lambda e, ctx: ctx.send_event(OutputEvent(e.response.content))
    )
    result2 = run(agent2, ["go"])
    assert result2.output_values() == ["saw tool answers"]
    (tool_response,) = events_of(result2, "_tool_response_event")
    answers = list(tool_response.attributes["responses"].values())
    assert answers[0] == "Error: tool 'no_such_tool' does not exist"
    assert answers[1].startswith("Error: ToolArgumentError: tool 'lookup_order': argument")
    assert len(tool_response.attributes["errors"]) == 2


def _looping_agent() -> Agent:
    agent = Agent()
    forever = ScriptedChatModelConnection(
        [ScriptRule(None, role="any", tool_calls=[{"name": "ping", "arguments": {}}])]
    )
    agent.add_resource("conn", ResourceType.CHAT_MODEL_CONNECTION, forever)
    agent.add_resource("m", ResourceType.CHAT_MODEL, ChatModelSetup("conn", tools=["ping"]))
    agent.add_resource("ping", ResourceType.TOOL, lambda: "pong")
    agent.add_action(
        "ask", InputEvent, lambda e, ctx: ctx.send_event(ChatRequestEvent("m", ["hi"]))
    )
    return agent


def test_max_turns_guard_stops_an_endless_tool_loop(clean_env: None) -> None:
    with pytest.raises(
        ActionFailedError, match=r"after 3 model calls \(chat.max-turns=3\)"
    ) as info:
        run(_looping_agent(), ["x"], **{"chat.max-turns": 3})
    assert info.value.action == "chat_model_action"
    ignored = run(
        _looping_agent(), ["x"], **{"chat.max-turns": 2, "error-handling-strategy": "ignore"}
    )
    assert ignored.output_values() == []
    assert ignored.actions is not None
    assert [a.status for a in ignored.actions if a.action == "chat_model_action"] == [
        "ok",
        "ok",
        "ignored",
    ]


def test_missing_prompt_arguments_fail_the_chat_action_naming_them(clean_env: None) -> None:
    agent2 = Agent()
    for rtype, named in Triage().resources.items():
        for name, decl in named.items():
            agent2.add_resource(name, rtype, decl)
    agent2.add_action(
        "ask", InputEvent, lambda e, ctx: ctx.send_event(ChatRequestEvent("triage_model", ["hi"]))
    )
    with pytest.raises(ActionFailedError, match=r"missing argument\(s\) \['team'\]"):
        run(agent2, ["hi"])


def test_sync_and_async_modes_give_the_same_outputs_and_tokens(clean_env: None) -> None:
    inputs = [{"key": k % 3, "value": f"order {k}" if k % 2 else "hi"} for k in range(12)]
    on = run(Triage(), inputs, **{"chat.async": True, "tool-call.async": True})
    off = run(Triage(), inputs, **{"chat.async": False, "tool-call.async": False})
    assert sorted(on.output_values()) == sorted(off.output_values())
    assert len(on.output_values()) == 12
    tokens = {k: v for k, v in on.metric_counts.items() if "Tokens" in k}
    assert tokens == {k: v for k, v in off.metric_counts.items() if "Tokens" in k}
    assert on.actions is not None and off.actions is not None
    assert sum(a.action == "tool_call_action" for a in on.actions) == 6


def by_key(result: RunResult) -> dict[Any, list[Any]]:
    """Outputs per key, in that key's input order (keys interleave differently per run)."""
    out: dict[Any, list[Any]] = {}
    for o in result.outputs:
        out.setdefault(o.key, []).append(o.value)
    return out


def _flat(result: RunResult) -> list[dict[str, Any]]:
    assert result.events is not None
    return [
        {
            "recordType": "event",
            "eventType": r.event.type,
            "eventAttributes": json.loads(json.dumps(r.event.attributes)),
            "key": r.key,
            "seq": r.seq,
        }
        for r in result.events
    ]


def test_replay_answers_as_recorded_per_key(clean_env: None, tmp_path: Any) -> None:
    inputs = [{"key": k % 2, "value": f"order {k}" if k % 3 else "hello"} for k in range(6)]
    first = run(Triage(), inputs)
    replayer = ScriptedChatModelConnection.from_event_log(_flat(first))

    class Replayed(Triage):
        @chat_model_connection
        @staticmethod
        def scripted() -> ScriptedChatModelConnection:
            return replayer

    second = run(Replayed(), inputs)
    assert by_key(second) == by_key(first)
    tokens = {k: v for k, v in first.metric_counts.items() if "Tokens" in k}
    assert {k: v for k, v in second.metric_counts.items() if "Tokens" in k} == tokens
    # Apache Flink Agents' nested records in a JSON Lines file, without keys: one queue.
    path = tmp_path / "fa.log"
    with path.open("w") as fh:
        for rec in _flat(first):
            if rec["key"] == 1:
                nested = {
                    "timestamp": "t",
                    "event": {"eventType": rec["eventType"], "attributes": rec["eventAttributes"]},
                }
                fh.write(json.dumps(nested) + "\n")
    from_file = ScriptedChatModelConnection.from_event_log(path)
    only_key1 = [i for i in inputs if i["key"] == 1]

    class FromFile(Triage):
        @chat_model_connection
        @staticmethod
        def scripted() -> ScriptedChatModelConnection:
            return from_file

    third = run(FromFile(), only_key1)
    assert (
        third.output_values() == [v for k, v in first.to_list_pairs()]
        if False
        else third.output_values() == [o.value for o in first.outputs if o.key == 1]
    )
    with pytest.raises(ActionFailedError, match="no recorded answer left"):
        run(FromFile(), [{"key": 1, "value": "order 99"}])


def test_token_columns_of_runs_and_logs_add_up_to_the_metrics(
    clean_env: None, tmp_path: Any
) -> None:
    import flink_agents_nb as fa

    env = fa.local(base_log_dir=str(tmp_path))
    frame_run = (
        env.from_list(
            [{"key": i, "value": text} for i, text in enumerate(["where is order 42?", "hello"])]
        )
        .apply(Triage())
        .execute()
    )
    metrics = frame_run.metric_counts
    group = "action.chat_model_action.model.triage-v1"
    for frame in (frame_run.events, fa.read_event_log(tmp_path).frame):
        # A tool request's per-call usage is part of its response's total: counted once.
        assert frame["prompt_tokens"].sum() == metrics[f"{group}.promptTokens"]
        assert frame["completion_tokens"].sum() == metrics[f"{group}.completionTokens"]
        events = frame[frame["record_type"] == "event"]
        tool_rows = events[events["event_type"] == "_tool_request_event"]
        assert len(tool_rows) == 1 and tool_rows["prompt_tokens"].isna().all()
