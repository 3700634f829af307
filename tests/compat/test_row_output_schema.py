"""A ReAct agent with a PyFlink ``RowTypeInfo`` output schema and ``Row`` inputs, as in
Flink Agents' ReAct docs and e2e test: the answer is validated against the row's fields and
comes out as a ``Row``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pyflink.common import Row  # plain Python classes: no JVM
from pyflink.common.typeinfo import BasicTypeInfo, RowTypeInfo, Types

import flink_agents_nb as fa
from flink_agents_nb.api.agents.react_agent import ReActAgent
from flink_agents_nb.api.chat_message import ChatMessage, MessageRole
from flink_agents_nb.api.execution_environment import AgentsExecutionEnvironment
from flink_agents_nb.api.prompts.prompt import Prompt
from flink_agents_nb.api.resource import ResourceDescriptor, ResourceType
from flink_agents_nb.api.tools.tool import Tool


def multiply(a: int, b: int) -> int:
    """Multiply two numbers.

    Parameters
    ----------
    a : int
        The first operand
    b : int
        The second operand
    """
    return a * b


def _calls(messages: list[Any], match: Any) -> list[dict[str, Any]]:
    return [{"name": "multiply", "arguments": {"a": int(match[1]), "b": int(match[2])}}]


def _answer(messages: list[Any], match: Any) -> str:
    return json.dumps({"result": int(messages[-1].content), "unit": "apples"})


def _agent(output_schema: Any) -> tuple[Any, ReActAgent]:
    env = AgentsExecutionEnvironment.get_execution_environment()
    rules = [fa.ScriptRule(r"What is (\d+) \* (\d+)", tool_calls=_calls)]
    rules.append(fa.ScriptRule(None, role="tool", reply=_answer))
    env.add_resource(
        "llm", ResourceType.CHAT_MODEL_CONNECTION, fa.ScriptedChatModelConnection(rules)
    ).add_resource("multiply", ResourceType.TOOL, Tool.from_callable(multiply))
    prompt = Prompt.from_messages(
        messages=[
            ChatMessage(role=MessageRole.SYSTEM, content='Answer like {"result": 30}.'),
            ChatMessage(role=MessageRole.USER, content="What is {a} * {b}"),
        ]
    )
    agent = ReActAgent(
        chat_model=ResourceDescriptor(fa.ChatModelSetup, connection="llm", tools=["multiply"]),
        prompt=prompt,
        output_schema=output_schema,
    )
    return env, agent


def test_row_inputs_and_a_row_type_output_schema() -> None:
    row_type = RowTypeInfo([BasicTypeInfo.INT_TYPE_INFO(), Types.STRING()], ["result", "unit"])
    env, agent = _agent(row_type)
    out = env.from_list([{"key": 1, "value": Row(a=6, b=7)}]).apply(agent).to_list()
    env.execute()
    ((key, value),) = out[0].items()
    assert key == 1 and isinstance(value, Row)
    assert value.as_dict() == {"result": 42, "unit": "apples"}


def test_a_row_type_with_a_non_basic_field_is_refused() -> None:
    nested = RowTypeInfo([Types.LIST(Types.INT())], ["values"])
    with pytest.raises(fa.FlinkAgentsError, match=r"field 'values'.*basic types"):
        _agent(nested)
