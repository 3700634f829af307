"""A YAML-declared tool's ``injected_args`` (Flink Agents' YAML spec): the parameter is
filled from the agent configuration, over the value the scripted model wrote for it."""

from __future__ import annotations

from pathlib import Path

import pytest

import flink_agents_nb as fa
from flink_agents_nb.api.chat_message import ChatMessage, MessageRole
from flink_agents_nb.api.events.chat_event import ChatRequestEvent
from flink_agents_nb.api.events.event import Event, InputEvent, OutputEvent
from flink_agents_nb.api.events.tool_event import ToolResponseEvent
from flink_agents_nb.api.runner_context import RunnerContext

HERE = "tests.compat.test_yaml_injected_args"
AGENT = f"""
agents:
  - name: shop
    actions:
      - name: ask
        function: {HERE}:ask
        trigger_conditions: [input]
      - name: note
        function: {HERE}:note
        trigger_conditions: [tool_response]
      - name: answer
        function: {HERE}:answer
        trigger_conditions: [chat_response]
    chat_model_connections:
      - name: llm
        clazz: flink_agents_runtime.ScriptedChatModelConnection
        rules:
          - match: order
            tool_calls:
              - name: lookup
                arguments: {{order_id: 12, tenant_id: evil}}
          - role: tool
            reply: done
    chat_model_setups:
      - name: model
        clazz: flink_agents_runtime.ChatModelSetup
        connection: llm
        tools: [lookup]
    tools:
      - name: lookup
        function: {HERE}:lookup
        injected_args:
          tenant_id:
            source: config
            key: tenant.id
"""


def lookup(order_id: int, tenant_id: str) -> str:
    """Look an order up in a tenant.

    Args:
        order_id: the order.
    """
    return f"{tenant_id}/{order_id}"


def ask(event: Event, ctx: RunnerContext) -> None:
    text = str(InputEvent.from_event(event).input)
    ctx.send_event(ChatRequestEvent(model="model", messages=[ChatMessage(MessageRole.USER, text)]))


def note(event: Event, ctx: RunnerContext) -> None:
    ctx.short_term_memory.set(
        "answers", list(ToolResponseEvent.from_event(event).responses.values())
    )


def answer(event: Event, ctx: RunnerContext) -> None:
    ctx.send_event(OutputEvent(output=ctx.short_term_memory.get("answers")))


def test_yaml_injected_args_are_filled_from_the_config(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(AGENT)
    env = fa.local()
    env.get_config().set_str("tenant.id", "good")
    env.load_yaml(path)
    run = env.from_list([{"key": "k", "value": "order 12"}]).apply("shop").execute()
    assert run.result.output_values() == [["good/12"]]  # not evil/12, not an error


def test_a_bad_injected_args_entry_is_named_by_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(AGENT.replace("source: config", "source: bogus"))
    env = fa.local()
    with pytest.raises(fa.AgentDefinitionError) as info:
        env.load_yaml(path)
    message = str(info.value)
    assert message.startswith(f"{path}:") and "tools[0] 'lookup'" in message
    assert "injected_args" in message and "bogus" in message
