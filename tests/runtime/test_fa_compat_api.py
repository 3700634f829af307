"""Flink Agents' API names and semantics: the mirrored module paths and the import alias,
the local environment's rules and helpers, memory references, resources, tools, prompts,
function descriptors, options and user-written chat-model classes."""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import flink_agents_nb as fa
from flink_agents_nb.api.chat_message import ChatMessage, MessageRole
from flink_agents_nb.api.chat_models.chat_model import (
    BaseChatModelConnection,
    BaseChatModelSetup,
)
from flink_agents_nb.api.configuration import AgentConfiguration
from flink_agents_nb.api.core_options import (
    AgentConfigOptions,
    AgentExecutionOptions,
    ErrorHandlingStrategy,
)
from flink_agents_nb.api.events.event import InputEvent, OutputEvent
from flink_agents_nb.api.execution_environment import AgentsExecutionEnvironment
from flink_agents_nb.api.function import JavaFunction, PythonFunction
from flink_agents_nb.api.memory_object import MemoryType
from flink_agents_nb.api.memory_reference import MemoryRef
from flink_agents_nb.api.prompts.prompt import LocalPrompt, Prompt
from flink_agents_nb.api.resource import ResourceDescriptor, ResourceType
from flink_agents_nb.api.tools.tool import Tool, ToolMetadata, ToolType
from flink_agents_nb.api.tools.utils import create_schema_from_function
from flink_agents_nb.runtime.local_memory_object import LocalMemoryObject
from flink_agents_nb.runtime.resource_cache import ResourceCache
from tests.helpers.fa_style_agent import EXPECTED, REVIEWS, ReviewAgent, scripted_connection


@pytest.fixture
def alias() -> Iterator[None]:
    fa.use_as_flink_agents()
    try:
        yield
    finally:
        fa.use_as_flink_agents(False)
        sys.modules.pop("tests.helpers.fa_unmodified_agent", None)


def test_an_unmodified_flink_agents_module_runs_through_the_alias(alias: None) -> None:
    module = importlib.import_module("tests.helpers.fa_unmodified_agent")
    import flink_agents.api.events.event as fa_event

    assert fa_event.OutputEvent is fa.OutputEvent  # the same classes, not copies
    assert fa_event.__spec__.name == "flink_agents_nb.api.events.event"  # specs left intact
    env = AgentsExecutionEnvironment.get_execution_environment()
    out = env.from_list([{"key": "a", "value": 1}, {"key": "a", "value": 3}])
    outputs = out.apply(module.DoublerAgent()).to_list()
    env.execute()
    assert outputs == [{"a": {"doubled": 2, "total": 2}}, {"a": {"doubled": 6, "total": 8}}]
    with pytest.raises(ModuleNotFoundError, match="does not provide this Flink Agents module"):
        importlib.import_module("flink_agents.api.events.memory_event")  # 0.4, refused


BUILDING_BLOCKS = {
    "flink_agents.api.agents.react_agent": {"ReActAgent": "ReActAgent"},
    "flink_agents.api.agents.types": {"OutputSchema": "OutputSchema"},
    "flink_agents.api.events.context_retrieval_event": {
        "ContextRetrievalRequestEvent": "ContextRetrievalRequestEvent",
        "ContextRetrievalResponseEvent": "ContextRetrievalResponseEvent",
    },
    "flink_agents.api.vector_stores.vector_store": {  # (BaseVectorStore: a pydantic base)
        "Document": "Document",
        "VectorStoreQuery": "VectorStoreQuery",
        "VectorStoreQueryResult": "VectorStoreQueryResult",
    },
    "flink_agents.api.skills": {"Skills": "Skills"},
    "flink_agents.api.decorators": {
        "embedding_model_connection": "embedding_model_connection",
        "embedding_model_setup": "embedding_model_setup",
        "vector_store": "vector_store",
        "mcp_server": "mcp_server",
        "skills": "skills",
    },
    "flink_agents.integrations.mcp.mcp": {"MCPServer": "MCPServer", "MCPTool": "MCPTool"},
    "flink_agents.integrations.embedding_models.openai_embedding_model": {
        "OpenAIEmbeddingModelConnection": "OpenAIEmbeddingModelConnection",
        "OpenAIEmbeddingModelSetup": "OpenAIEmbeddingModelSetup",
    },
    "flink_agents.integrations.embedding_models.local.ollama_embedding_model": {
        "OllamaEmbeddingModelConnection": "OllamaEmbeddingModelConnection",
        "OllamaEmbeddingModelSetup": "OllamaEmbeddingModelSetup",
    },
}


def test_the_building_blocks_are_at_flink_agents_module_paths(alias: None) -> None:
    import flink_agents_runtime

    for module_name, names in BUILDING_BLOCKS.items():
        module = importlib.import_module(module_name)
        for fa_name, kit_name in names.items():
            assert getattr(module, fa_name) is getattr(flink_agents_runtime, kit_name), (
                f"{module_name}.{fa_name}"
            )


def test_the_alias_is_opt_in_and_refuses_the_real_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("flink_agents.api.decorators")
    real = tmp_path / "flink_agents"
    real.mkdir()
    (real / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(fa.FlinkAgentsError, match=r"real flink_agents package is installed \("):
        fa.use_as_flink_agents()
    assert "flink_agents" not in sys.modules


def test_a_ported_agent_runs_with_flink_agents_local_rules() -> None:
    env = AgentsExecutionEnvironment.get_execution_environment()
    env.add_resource("ollama_server", ResourceType.CHAT_MODEL_CONNECTION, scripted_connection())
    builder = env.from_list([{"key": r.id, "value": r} for r in REVIEWS])
    outputs = builder.apply(ReviewAgent()).to_list()
    with pytest.raises(RuntimeError, match="doesn't support apply multiple agents"):
        builder.apply(ReviewAgent())
    with pytest.raises(RuntimeError, match="call from_list multiple times"):
        env.from_list([])
    env.execute()
    with pytest.raises(RuntimeError, match="execute multiple times"):
        env.execute()
    assert [next(iter(o.values())).model_dump() for o in outputs] == EXPECTED
    (request,) = env.get_tool_request_events()
    assert request.tool_calls[0]["function"]["name"] == "shipping_complaint"
    with pytest.raises(NotImplementedError):
        env.from_datastream(None)


def test_async_outputs_come_back_in_input_order() -> None:
    async def slow(event: Any, ctx: Any) -> None:
        delay = 0.05 if event.input == 0 else 0.0
        await ctx.durable_execute_async(lambda: asyncio.run(asyncio.sleep(delay)))
        ctx.send_event(OutputEvent(output=event.input))

    agent = fa.Agent().add_action("slow", [InputEvent], slow)
    run = fa.local().from_list([{"key": i, "value": i} for i in range(6)]).apply(agent).execute()
    assert list(run.outputs["output"]) == list(range(6))


def test_memory_set_returns_a_ref_that_get_and_resolve_accept() -> None:
    class Remember(fa.Agent):
        @fa.action(InputEvent)
        @staticmethod
        def keep(event: Any, ctx: Any) -> None:
            ref = ctx.short_term_memory.new_object("a").set("b.c", event.input)
            sensory = ctx.sensory_memory.set("tmp", 1)
            ctx.send_event(fa.Event(type="kept", ref=ref, sensory=sensory))

        @fa.action("kept")
        @staticmethod
        def read(event: Any, ctx: Any) -> None:
            ref = event.ref
            assert ref == MemoryRef(memory_type=MemoryType.SHORT_TERM, path="a.b.c")
            assert event.sensory.memory_type is MemoryType.SENSORY
            ctx.send_event(OutputEvent([ctx.short_term_memory.get(ref), ref.resolve(ctx)]))

    run = fa.local().from_list([{"key": 1, "value": "v"}]).apply(Remember()).execute()
    assert list(run.outputs["output"]) == [["v", "v"]]
    mem = LocalMemoryObject(MemoryType.SHORT_TERM, {})
    ref = mem.set("x.y", 3)
    assert mem.get(ref) == 3 and mem.get("x").get("y") == 3 and ref.path == "x.y"


def test_tools_resources_and_prompts_in_flink_agents_shape() -> None:
    def add(a: int, b: int) -> int:
        """Add two numbers.

        Parameters
        ----------
        a : int
            First.
        b : int
            Second.
        """
        return a + b

    tool = Tool.from_callable(add)
    assert tool.call(2, 3) == 5 and tool.call(a=1, b=1) == 2  # positional, as in FA
    schema = create_schema_from_function("add", add)
    assert schema.model_json_schema()["properties"]["a"]["description"] == "First."
    meta = ToolMetadata(name="add", description="Add two numbers.", args_schema=schema)
    back = ToolMetadata.model_validate_json(meta.model_dump_json())
    assert back == meta and ToolType.FUNCTION.value == "function"

    prompt = Prompt.from_text("Hello {name}, {missing}")
    assert isinstance(prompt, LocalPrompt) and isinstance(prompt, fa.Prompt)
    assert prompt.format_string(name="Ada") == "Hello Ada, {missing}"  # FA leaves it
    with pytest.raises(fa.PromptError, match=r"missing argument\(s\) \['missing'\]"):
        fa.Prompt.from_text("Hello {missing}").format_string()  # the kit's own names it

    cache = ResourceCache({ResourceType.TOOL: {"add": add}})
    assert cache.get_resource("add", ResourceType.TOOL).call(1, 2) == 3

    class Lookup(fa.Agent):
        @fa.tool
        @staticmethod
        def add(a: int, b: int) -> int:
            """Add."""
            return a + b

        @fa.action(InputEvent)
        @staticmethod
        def go(event: Any, ctx: Any) -> None:
            found = ctx.get_resource("add", type=ResourceType.TOOL)
            ctx.send_event(OutputEvent(found.call(event.input, 1)))

    run = fa.local().from_list([{"key": 1, "value": 41}]).apply(Lookup()).execute()
    assert list(run.outputs["output"]) == [42]


def plus_one(event: Any, ctx: Any) -> None:
    ctx.send_event(OutputEvent(event.input + 1))


def test_function_descriptors_python_runs_java_is_refused() -> None:
    class ByTarget(fa.Agent):
        @fa.action(InputEvent, target=PythonFunction.from_callable(plus_one))
        @staticmethod
        def stub(event: Any, ctx: Any) -> None:
            raise NotImplementedError

    run = fa.local().from_list([{"key": 1, "value": 1}]).apply(ByTarget()).execute()
    assert list(run.outputs["output"]) == [2]
    java = fa.Agent().add_action(
        "times_two", [InputEvent], JavaFunction.for_action("org.example.Handler", "timesTwo")
    )
    with pytest.raises(fa.AgentDefinitionError, match=r"'times_two' .* is a Java function"):
        fa.local().from_list([{"key": 1, "value": 1}]).apply(java)


def test_option_classes_and_flink_agents_keys_are_accepted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    conf = AgentConfiguration()
    conf.set(AgentExecutionOptions.ERROR_HANDLING_STRATEGY, ErrorHandlingStrategy.RETRY)
    conf.set(AgentExecutionOptions.MAX_RETRIES, 5).set_str("baseLogDir", "/tmp/x")
    assert conf.get(AgentExecutionOptions.ERROR_HANDLING_STRATEGY) == "retry"
    assert (
        conf.get_int("max-retries") == 5 and conf.get(AgentConfigOptions.BASE_LOG_DIR) == "/tmp/x"
    )
    assert conf.get(AgentExecutionOptions.MAX_RETRIES.key) == 5
    conf.set("short-term-memory.state-ttl.ms", 1000).set("memory.generate-event.sensory-read", True)
    env = AgentsExecutionEnvironment.get_execution_environment(
        config={"short-term-memory.state-ttl.ms": 60_000, "agent-run.begin-event": False}
    )
    env.from_list([{"key": 1, "value": 1}]).apply(
        fa.Agent().add_action("p", [InputEvent], plus_one)
    )
    env.execute()
    assert "short-term-memory.state-ttl.ms = 60000: Flink Agents key, accepted; no effect" in (
        caplog.text
    )
    with pytest.raises(fa.ConfigError, match="kafkaBootstrapServers"):
        conf.set("kafkaBootstrapServers", "x:9092")


class EchoConnection(BaseChatModelConnection):
    """A user-written connection with pydantic fields, as for Flink Agents."""

    prefix: str = "echo"
    opened: bool = False

    def open(self) -> None:
        self.opened = True

    def chat(
        self,
        messages: Sequence[ChatMessage],
        tools: list[Tool] | None = None,
        output_schema: Any = None,
        **kwargs: Any,
    ) -> ChatMessage:
        text = " | ".join(m.content for m in messages)
        names = ",".join(t.name for t in tools or [])
        return ChatMessage(
            role=MessageRole.ASSISTANT,
            content=f"{self.prefix}[{kwargs['model']}:{kwargs['temperature']}:{names}] {text}",
            extra_args={"model_name": kwargs["model"], "promptTokens": 3, "completionTokens": 4},
        )


class EchoSetup(BaseChatModelSetup):
    temperature: float = 0.5

    @property
    def model_kwargs(self) -> dict[str, Any]:
        return {"model": self.model, "temperature": self.temperature}


def test_user_written_connection_and_setup_plug_in_unchanged() -> None:
    with pytest.raises(ValidationError):
        EchoSetup(connection="llm")  # type: ignore[call-arg]  # model is required, as in FA
    agent = fa.Agent()
    agent.add_resource(
        "llm",
        ResourceType.CHAT_MODEL_CONNECTION,
        ResourceDescriptor(clazz=f"{__name__}.EchoConnection", prefix="hi"),
    )
    agent.add_resource("sys", ResourceType.PROMPT, Prompt.from_text("be {tone}"))
    agent.add_resource("add", ResourceType.TOOL, plus_one)
    agent.add_resource(
        "m",
        ResourceType.CHAT_MODEL,
        ResourceDescriptor(
            clazz=f"{__name__}.EchoSetup", connection="llm", model="m1", prompt="sys", tools=["add"]
        ),
    )

    def ask(event: Any, ctx: Any) -> None:
        ctx.send_event(
            fa.ChatRequestEvent(
                "m", [ChatMessage(content=event.input)], prompt_args={"tone": "kind"}
            )
        )

    def answer(event: Any, ctx: Any) -> None:
        conn = ctx.get_resource("llm", ResourceType.CHAT_MODEL_CONNECTION)
        ctx.send_event(OutputEvent([event.response.content, conn.opened, event.prompt_tokens]))

    agent.add_action("ask", [InputEvent], ask).add_action("answer", [fa.ChatResponseEvent], answer)
    run = fa.local().from_list([{"key": 1, "value": "hello"}]).apply(agent).execute()
    assert list(run.outputs["output"]) == [["hi[m1:0.5:add] be kind | hello", True, 3]]


def test_the_readme_section_runs_as_written() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Coming from Apache Flink Agents", 1)[1].split("\n## ", 1)[0]
    (block,) = [b.split("```", 1)[0] for b in section.split("```python\n")[1:]]
    scope: dict[str, Any] = {}
    try:
        exec(compile(block, "README.md", "exec"), scope)
    finally:
        fa.use_as_flink_agents(False)
    env = scope["env"]
    assert "ollama_server" in env.resources[ResourceType.CHAT_MODEL_CONNECTION]
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("flink_agents.api.resource")
