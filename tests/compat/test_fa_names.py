"""Names Flink Agents' own examples import from its module paths, present at the kit's
mirror paths and behaving as upstream documents them (found by running FA's examples)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import flink_agents_nb as fa
from flink_agents_nb.api.agents.agent import STRUCTURED_OUTPUT, Agent
from flink_agents_nb.api.decorators import action, chat_model_connection, chat_model_setup
from flink_agents_nb.api.events.chat_event import ChatResponseEvent
from flink_agents_nb.api.events.event import Event, InputEvent, OutputEvent
from flink_agents_nb.api.execution_environment import AgentBuilder, AgentsExecutionEnvironment
from flink_agents_nb.api.function import Function, JavaFunction, PythonFunction
from flink_agents_nb.api.resource import ResourceDescriptor
from flink_agents_nb.api.runner_context import RunnerContext
from flink_agents_nb.api.vector_stores.vector_store import VectorStoreQuery, VectorStoreQueryMode
from tests.compat._fa_chat import ask_model, run_one


class Mood(BaseModel):
    mood: str


class MoodAgent(Agent):
    """Asks for a structured answer and reads it under ``STRUCTURED_OUTPUT``, as FA's
    parallel-chat quickstart does."""

    @chat_model_connection
    @staticmethod
    def llm() -> ResourceDescriptor:
        return ResourceDescriptor(
            fa.ScriptedChatModelConnection, rules=[fa.ScriptRule(None, reply='{{"mood": "calm"}}')]
        )

    @chat_model_setup
    @staticmethod
    def judge() -> ResourceDescriptor:
        return ResourceDescriptor(fa.ChatModelSetup, connection="llm", model="m")

    @action(InputEvent.EVENT_TYPE)
    @staticmethod
    def ask(event: Event, ctx: RunnerContext) -> None:
        ask_model(event, ctx, "judge", Mood)

    @action(ChatResponseEvent.EVENT_TYPE)
    @staticmethod
    def answer(event: Event, ctx: RunnerContext) -> None:
        parsed: Any = ChatResponseEvent.from_event(event).response.extra_args[STRUCTURED_OUTPUT]
        if isinstance(parsed, dict):
            parsed = Mood(**parsed)
        ctx.send_event(OutputEvent(output=parsed.mood))


def test_structured_output_key_is_importable_where_fa_keeps_it() -> None:
    assert STRUCTURED_OUTPUT == "structured_output" == fa.STRUCTURED_OUTPUT
    assert run_one(MoodAgent(), "a quiet day") == [{"k": "calm"}]


def test_agent_builder_is_the_type_of_every_builder() -> None:
    env = AgentsExecutionEnvironment.get_execution_environment()
    assert isinstance(env.from_list([]), AgentBuilder)
    assert isinstance(fa.local().from_list([]), AgentBuilder)
    assert not isinstance(env, AgentBuilder)
    assert not isinstance(object(), AgentBuilder)


def test_function_is_the_base_of_function_descriptors() -> None:
    assert isinstance(PythonFunction(module="os.path", qualname="join"), Function)
    assert isinstance(JavaFunction(qualname="a.B", method_name="m"), Function)


@pytest.mark.parametrize(
    ("module", "qualname", "says"),
    [
        ("os.path", "join.__class__", "function 'os.path:join.__class__': '__class__' is not a"),
        ("tests.helpers.no_such_module", "f", "module 'tests.helpers.no_such_module' does not "),
        ("os.path", "join.nope", "function 'os.path:join.nope': 'os.path:join' has no attribute"),
        ("os", "sep", "function 'os:sep' names a str, not a function"),
        (".path", "join", "function '.path:join': module '.path' is not an absolute dotted"),
        ("", "join", "function ':join': module '' is not an absolute dotted module name"),
    ],
)
def test_python_function_refuses_by_name_what_does_not_resolve(
    module: str, qualname: str, says: str
) -> None:
    """The kit's one resolver of function references (a YAML file's ``function:`` too):
    each refusal names the function, never a bare ImportError or AttributeError, and a
    walk through a dunder (``__class__`` reaches a callable) is refused."""
    assert PythonFunction(module="os.path", qualname="join").as_callable() is os.path.join
    # as in Flink Agents, the walk goes through a module the named one imported
    assert PythonFunction(module="os", qualname="path.join").as_callable() is os.path.join
    with pytest.raises(fa.AgentDefinitionError) as err:
        PythonFunction(module=module, qualname=qualname).as_callable()
    assert says in str(err.value)


def test_vector_store_query_takes_fa_mode_field() -> None:
    query = VectorStoreQuery(mode=VectorStoreQueryMode.SEMANTIC, query_text="late parcel", limit=2)
    assert query.mode is VectorStoreQueryMode.SEMANTIC and query.limit == 2
    as_text = VectorStoreQuery(query_text="x", mode="semantic")  # type: ignore[arg-type]
    assert as_text.mode is VectorStoreQueryMode.SEMANTIC
    with pytest.raises(fa.FlinkAgentsError, match=r"mode 'hybrid' is not supported.*semantic"):
        VectorStoreQuery(query_text="x", mode="hybrid")  # type: ignore[arg-type]


def test_load_yaml_loads_at_flink_agents_names(tmp_path: Path) -> None:
    """``env.load_yaml`` on the mirror's environment and ``api.yaml.loader.load_yaml``
    register agents that ``apply`` takes by name (no longer refused)."""
    from flink_agents_nb.api.yaml.loader import load_yaml

    path = tmp_path / "agents.yaml"
    path.write_text(
        "agents:\n  - name: doubler\n    actions:\n      - name: run\n"
        "        function: tests.compat.test_fa_names:double_input\n"
        "        listen_to: [input]\n"
    )
    env = AgentsExecutionEnvironment.get_execution_environment()
    env.load_yaml(path)
    outputs = env.from_list([{"key": "k", "value": 21}]).apply("doubler").to_list()
    env.execute()
    assert outputs == [{"k": 42}]
    other = fa.local()
    load_yaml(other, [str(path)])
    assert list(other.from_list([{"value": 2}]).apply("doubler").execute().outputs["output"]) == [4]
    with pytest.raises(fa.FlinkAgentsError, match=r"cannot read .*missing.yaml"):
        fa.local().load_yaml(["missing.yaml"])


def double_input(event: Event, ctx: RunnerContext) -> None:
    """The action a test YAML file names."""
    ctx.send_event(OutputEvent(output=InputEvent.from_event(event).input * 2))


def test_option_accessors_and_tool_type() -> None:
    from flink_agents_nb.api.core_options import AgentExecutionOptions
    from flink_agents_nb.api.tools.tool import Tool, ToolType

    option = AgentExecutionOptions.MAX_RETRIES
    assert option.get_key() == "max-retries" and option.get_type() is int
    assert option.get_default_value() == option.default

    def ping() -> str:
        """Answer pong."""
        return "pong"

    assert Tool.from_callable(ping).tool_type == ToolType.FUNCTION
    assert fa.MCPTool.tool_type == ToolType.MCP
