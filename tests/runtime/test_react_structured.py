"""ReActAgent and structured output: the loop on the core, schemas, re-asks, clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic
import pytest

from flink_agents_runtime import (
    ActionFailedError,
    AgentsExecutionEnvironment,
    ChatModelSetup,
    ChatRequestEvent,
    OutputSchema,
    Prompt,
    ReActAgent,
    ResourceDescriptor,
    ResourceType,
    RunResult,
    ScriptedChatModelConnection,
    ScriptRule,
    StructuredOutputError,
    Tool,
)


class Triage(pydantic.BaseModel):
    """The triage decision."""

    ticket: int
    priority: str = pydantic.Field(json_schema_extra={"enum": ["low", "high"]})
    labels: list[str]


def lookup_order(order_id: int) -> dict:
    """Look an order up.

    Args:
        order_id: the order number.
    """
    return {"order": order_id, "status": "late"}


RULES = [
    ScriptRule(r"order (\d+)", tool_calls=[{"name": "lookup_order", "arguments": {"order_id": 7}}]),
    ScriptRule(
        None,
        role="tool",
        reply='```json\n{"ticket": 7, "priority": "high", "labels": ["shipping"]}\n```',
    ),
    ScriptRule(r"hello", reply='{"ticket": 1, "priority": "low", "labels": []}'),
    ScriptRule(r"broken", reply='{"ticket": "one", "priority": "low", "labels": []}'),
    ScriptRule(r"Answer again", reply='{"ticket": 3, "priority": "low", "labels": ["fixed"]}'),
]


def run(agent: Any, inputs: list[Any], **config: Any) -> RunResult:
    env = AgentsExecutionEnvironment.get_execution_environment(config=config)
    env.add_resource(
        "scripted", ResourceType.CHAT_MODEL_CONNECTION, ScriptedChatModelConnection(RULES)
    )
    env.add_resource("lookup_order", ResourceType.TOOL, Tool.from_callable(lookup_order))
    data = [{"key": i, "value": v} for i, v in enumerate(inputs)]
    return env.from_list(data).apply(agent).execute()


def react(schema: Any = Triage, prompt: Prompt | None = None) -> ReActAgent:
    return ReActAgent(
        chat_model=ResourceDescriptor(
            ChatModelSetup, connection="scripted", model="triage-v1", tools=["lookup_order"]
        ),
        prompt=prompt
        or Prompt.from_messages(
            [
                {"role": "system", "content": "You triage support tickets."},
                {"role": "user", "content": "{input}"},
            ]
        ),
        output_schema=schema,
    )


def test_react_loop_with_tools_gives_a_validated_pydantic_value(clean_env: None) -> None:
    result = run(react(), ["where is order 7?", "hello"])
    values = {o.key: o.value for o in result.outputs}
    expected = Triage(ticket=7, priority="high", labels=["shipping"])
    # events carry JSON until pydantic values are supported; then the model instance
    got = values[0]
    assert (got if isinstance(got, dict) else got.model_dump()) == expected.model_dump()
    assert result.events is not None
    types = [r.event.type for r in result.events if r.key == 0]
    assert types == [
        "_input_event",
        "_chat_request_event",
        "_tool_request_event",
        "_tool_response_event",
        "_chat_response_event",
        "_output_event",
    ]
    request = next(r.event for r in result.events if r.event.type == "_chat_request_event")
    messages = request.attributes["messages"]
    assert [m["role"] for m in messages] == ["system", "system", "user"]
    assert "JSON schema" in messages[1]["content"] and '"ticket"' in messages[1]["content"]
    assert request.attributes["output_schema"]["name"].endswith("Triage")
    # tokens of both model calls are counted for the chat action
    assert result.metrics["action.chat_model_action.model.triage-v1.promptTokens"] > 0


def test_json_schema_dict_and_free_text(clean_env: None) -> None:
    schema = {
        "title": "Ticket",
        "type": "object",
        "properties": {"ticket": {"type": "integer"}, "priority": {"enum": ["low", "high"]}},
        "required": ["ticket", "priority"],
    }
    result = run(react(schema), ["hello"])
    assert result.output_values() == [{"ticket": 1, "priority": "low", "labels": []}]
    free = run(react(None, Prompt.from_text("{input}")), ["hello"])
    assert free.output_values() == ['{"ticket": 1, "priority": "low", "labels": []}']


def test_invalid_answer_fails_naming_the_path_without_retry(clean_env: None) -> None:
    with pytest.raises(ActionFailedError) as info:
        run(react(), ["broken ticket"])
    cause = info.value.__cause__
    assert isinstance(cause, StructuredOutputError)
    assert cause.path == "$.ticket"
    assert "must be integer" in str(cause) and "'one'" in str(cause)
    assert "triage-v1" in str(cause) and "Triage" in str(cause)


def test_invalid_answer_is_re_asked_under_the_retry_strategy(clean_env: None) -> None:
    result = run(
        react(), ["broken ticket"], **{"error-handling-strategy": "retry", "retry-wait-interval": 0}
    )
    values = result.output_values()
    got = values[0] if isinstance(values[0], dict) else values[0].model_dump()
    assert got == {"ticket": 3, "priority": "low", "labels": ["fixed"]}
    key = "action.chat_model_action.model.triage-v1.structuredOutputRetries"
    assert result.metrics[key] == 1
    response = next(r.event for r in result.events or [] if r.event.type == "_chat_response_event")
    assert response.attributes["turns"] == 2


def test_schema_validator_subset() -> None:
    schema = OutputSchema(Triage)
    from flink_agents_runtime.chat._structured import parse_structured

    with pytest.raises(StructuredOutputError, match=r"missing required field\(s\) \['labels'\]"):
        parse_structured('{"ticket": 1, "priority": "low"}', schema)
    with pytest.raises(StructuredOutputError, match=r"\$\.labels\[1\] must be string"):
        parse_structured('{"ticket": 1, "priority": "low", "labels": ["a", 2]}', schema)
    with pytest.raises(StructuredOutputError, match="not JSON"):
        parse_structured("I think it is high", schema)
    with pytest.raises(TypeError, match="not supported"):
        OutputSchema(42)
    event = ChatRequestEvent("m", ["hi"], output_schema=Triage)
    json.dumps(event.attributes)  # the schema travels as JSON
    assert event.output_schema is not None
    assert event.output_schema.json_schema == Triage.model_json_schema()


def test_tool_schema_violation_is_the_tools_answer_and_the_loop_goes_on(clean_env: None) -> None:
    rules = [
        ScriptRule(
            r"order (\w+)",
            tool_calls=[{"name": "lookup_order", "arguments": {"order_id": "{1}"}}],
        ),
        ScriptRule(
            r"must be an integer",
            role="tool",
            reply='{"ticket": 0, "priority": "low", "labels": ["bad-order"]}',
        ),
    ]
    env = AgentsExecutionEnvironment.get_execution_environment()
    env.add_resource(
        "scripted", ResourceType.CHAT_MODEL_CONNECTION, ScriptedChatModelConnection(rules)
    )
    env.add_resource("lookup_order", ResourceType.TOOL, Tool.from_callable(lookup_order))
    result = env.from_list([{"key": 0, "value": "where is order seven?"}]).apply(react()).execute()
    (value,) = result.output_values()
    got = value if isinstance(value, dict) else value.model_dump()
    assert got["labels"] == ["bad-order"]
    response = next(r.event for r in result.events or [] if r.event.type == "_tool_response_event")
    (answer,) = response.attributes["responses"].values()
    assert answer == (
        "Error: ToolArgumentError: tool 'lookup_order': argument 'order_id' must be an integer, "
        "got str 'seven'"
    )
    assert len(response.attributes["errors"]) == 1


def test_react_input_over_a_hard_budget_fails_visibly(clean_env: None) -> None:
    with pytest.raises(ActionFailedError) as info:
        run(react(), ["where is order 7?"], **{"budget.max-turns": 1, "budget.mode": "hard"})
    assert info.value.action == "stop_action"
    assert "spent its budget (turns)" in str(info.value)


def test_structured_output_parses_are_trace_log_parser_records(
    clean_env: None, tmp_path: Path
) -> None:
    """Upstream's chat action reports each structured-output parse as a ``parser``
    ``structured_output`` execution under the chat action (failed:
    ``model_output_parse_error``); the Trace Log writes them, and the reader shows them."""
    trace = {"trace-log.base-dir": str(tmp_path), "trace-log.targets": [{"scope": "ALL"}]}
    ok = run(react(), ["hello"], **trace)
    assert len(ok.outputs) == 1
    with pytest.raises(ActionFailedError):
        run(react(), ["broken ticket"], **{**trace, "job-identifier": "bad"})
    records = [
        json.loads(line)
        for path in sorted(tmp_path.glob("traces-*.log"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    parses = [r for r in records if r["entityType"] == "parser"]
    assert {r["entityName"] for r in parses} == {"structured_output"}
    assert sorted(r["status"] for r in parses) == ["failed", "started", "started", "success"]
    actions = {r["executionId"] for r in records if r["entityType"] == "action"}
    assert all(r["parentExecutionId"] in actions for r in parses)
    for i, r in enumerate(records):  # a parse follows the answer it parsed (upstream's order)
        if r["entityType"] == "parser":
            later = records[i:]
            assert not any(
                x["entityType"] == "llm" and x["parentExecutionId"] == r["parentExecutionId"]
                for x in later
            )
    (failed,) = [r for r in parses if r["status"] == "failed"]
    assert failed["problemCategory"] == "model_output_parse_error"
    assert failed["attributes"]["errorType"] == "StructuredOutputError"
    import flink_agents_nb as fa

    text = fa.read_event_log(tmp_path).tree_text()
    assert "parser structured_output [ok]" in text and "parser structured_output [failed]" in text
