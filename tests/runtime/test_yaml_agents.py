"""YAML-declared agents (Flink Agents' ``load_yaml``) run locally: the quickstart-shaped
review agent over a DataFrame with the scripted model and against a loopback Ollama server,
applied by name, in both local environments; shared actions, 0.3.1's ``listen_to`` and the
resource kinds the kit provides."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

import flink_agents_nb as fa
from flink_agents_runtime.api._agent import ResourceType
from flink_agents_runtime.chat.tools._skills import Skills
from flink_agents_runtime.chat.tools._tool import FunctionTool
from flink_agents_runtime.compat._names import LocalPrompt
from flink_agents_runtime.engine.plan._plan import AgentPlan
from tests.helpers.api_servers import OllamaServer
from tests.helpers.embedding_server import EmbeddingServer
from tests.helpers.yaml_review_agent import NOTIFIED, YAML_DIR, notify_shipping_manager

AGENT_YAML = YAML_DIR / "review_analysis_agent.yaml"
SCRIPTED_INFRA = YAML_DIR / "scripted_infra.yaml"

REVIEWS = pd.DataFrame(
    [
        {"id": "p1", "review": "Great sound, fast delivery."},
        {"id": "p2", "review": "The box arrived crushed, shipping was awful."},
        {"id": "p3", "review": "Broke after a week."},
    ]
)


def test_the_review_agent_runs_on_a_dataframe_with_the_scripted_model() -> None:
    NOTIFIED.clear()
    env = fa.local()
    env.load_yaml([AGENT_YAML, SCRIPTED_INFRA])
    run = env.from_pandas(REVIEWS, key="id").apply("review_analysis_agent").execute()
    outputs = {o["id"]: o for o in run.outputs["output"]}
    assert outputs == {
        "p1": {"id": "p1", "score": 5, "reasons": [], "source": "yaml"},
        "p2": {"id": "p2", "score": 2, "reasons": ["shipping"], "source": "yaml"},
        "p3": {"id": "p3", "score": 1, "reasons": ["quality"], "source": "yaml"},
    }
    assert NOTIFIED == [("p2", "crushed box")]  # the YAML tool ran, with the model's arguments
    # The connection came from the infra file: an environment resource, not the agent's.
    assert "review_server" in env.resources[ResourceType.CHAT_MODEL_CONNECTION]


def test_the_review_agent_calls_a_loopback_ollama_server(tmp_path: Path) -> None:
    with OllamaServer() as server:
        server.canned["qwen3:8b"] = ['{"score": 4, "reasons": ["a bit loud"]}']
        infra = tmp_path / "ollama_infra.yaml"
        infra.write_text(
            "chat_model_connections:\n"
            "  - name: review_server\n"
            "    clazz: ollama\n"
            f"    base_url: {server.url}\n"
            "    request_timeout: 30\n"
        )
        env = fa.local()
        env.load_yaml(AGENT_YAML)
        env.load_yaml(str(infra))  # loads accumulate; the order does not matter
        run = env.from_pandas(REVIEWS.head(2), key="id").apply("review_analysis_agent").execute()
    assert sorted(o["id"] for o in run.outputs["output"]) == ["p1", "p2"]
    assert all(o["score"] == 4 and o["reasons"] == ["a bit loud"] for o in run.outputs["output"])
    assert [r["path"] for r in server.requests] == ["/api/chat", "/api/chat"]
    asked = {json.loads(r["body"]["messages"][1]["content"])["id"]: r for r in server.requests}
    body = asked["p1"]["body"]  # the two keys' requests may arrive in either order
    assert body["model"] == "qwen3:8b"
    system, user = body["messages"]
    assert system["role"] == "system" and "Score the review from 1 to 5" in system["content"]
    assert '{"id": "12345", "score": 1' in system["content"]  # JSON in a prompt stays as written
    assert user["role"] == "user"
    assert json.loads(user["content"]) == {"id": "p1", "review": "Great sound, fast delivery."}
    (tool,) = body["tools"]
    assert tool["function"]["name"] == "notify_shipping_manager"
    assert sorted(tool["function"]["parameters"]["properties"]) == ["id", "review"]


def test_flink_agents_local_environment_applies_by_name_as_the_quickstart_does() -> None:
    from flink_agents_nb.api.execution_environment import AgentsExecutionEnvironment

    env = AgentsExecutionEnvironment.get_execution_environment()
    env.load_yaml([str(AGENT_YAML), str(SCRIPTED_INFRA)])
    builder = env.from_list([{"key": "p3", "value": {"id": "p3", "review": "Broke."}}])
    outputs = builder.apply("review_analysis_agent").to_list()
    env.execute()
    assert outputs == [{"p3": {"id": "p3", "score": 1, "reasons": ["quality"], "source": "yaml"}}]


def test_the_declared_agent_is_the_kits_agent_with_the_files_name() -> None:
    env = fa.local()
    env.load_yaml([AGENT_YAML, SCRIPTED_INFRA])  # applied: its connection must resolve
    builder = env.from_list([]).apply("review_analysis_agent")
    agent = builder._agent
    assert agent is not None
    plan = AgentPlan.from_agent(agent)
    assert plan.name == "review_analysis_agent"  # the Trace Log's agentName
    assert [(a.name, a.event_types) for a in agent.actions.values()] == [
        ("process_input", ("_input_event",)),
        ("process_chat_response", ("_chat_response_event",)),
    ]
    assert agent.actions["process_chat_response"].config == {"source": "yaml"}
    resources = agent.resources
    tool = resources[ResourceType.TOOL]["notify_shipping_manager"]
    assert isinstance(tool, FunctionTool) and tool.func is notify_shipping_manager
    assert isinstance(resources[ResourceType.PROMPT]["review_analysis_prompt"], LocalPrompt)
    setup = resources[ResourceType.CHAT_MODEL]["review_analysis_model"]
    assert setup.resolve_class() is fa.OllamaChatModelSetup
    assert setup.arguments["connection"] == "review_server"
    assert setup.arguments["tools"] == ["notify_shipping_manager"]


def test_shared_actions_listen_to_and_an_infra_only_file(tmp_path: Path) -> None:
    """0.3.1's ``listen_to`` key, a text prompt, two agents sharing a file-level action."""
    (tmp_path / "agents.yaml").write_text(
        """
agents:
  - name: first
    actions: [echo]
  - name: second
    description: the same action, and one of its own
    actions:
      - echo
      - name: shout
        function: tests.helpers.yaml_review_agent:ReviewActions.process_chat_response
        listen_to: [chat_response]
actions:
  - name: echo
    function: tests.runtime.test_yaml_agents:echo
    listen_to: [input]
    config: {tag: shared}
prompts:
  - name: greeting
    text: "Hello {name}"
"""
    )
    env = fa.local()
    env.load_yaml(tmp_path / "agents.yaml")
    out = env.from_list([{"key": 1, "value": "hi"}]).apply("first").execute()
    assert list(out.outputs["output"]) == [{"echo": "hi", "tag": "shared"}]
    second = env.from_list([]).apply("second")._agent
    assert second is not None and list(second.actions) == ["echo", "shout"]
    greeting = env.resources[ResourceType.PROMPT]["greeting"]
    assert greeting.format_string(name="Ada") == "Hello Ada"


def echo(event: fa.Event, ctx: fa.RunnerContext) -> None:
    """Echo the input with the action's ``tag`` config (a shared action of a test file)."""
    ctx.send_event(fa.OutputEvent({"echo": event.input, "tag": ctx.action_config["tag"]}))


def test_embedding_vector_store_mcp_and_skills_entries_build_the_kits_resources(
    tmp_path: Path,
) -> None:
    (tmp_path / "infra.yaml").write_text(
        """
embedding_model_connections:
  - {name: embed_server, clazz: ollama, base_url: "http://127.0.0.1:1"}
embedding_model_setups:
  - {name: embedder, clazz: openai, connection: embed_server, model: nomic}
vector_stores:
  - {name: memory_store, clazz: in_memory, embedding_model: embedder}
  - {name: disk_store, clazz: lancedb, uri: ./lance, embedding_model: embedder}
mcp_servers:
  - {name: tools_server, clazz: mcp, endpoint: "http://127.0.0.1:1/mcp"}
skills:
  - {name: team_skills, paths: [./skills], package: [{package: tests, resource: helpers}]}
"""
    )
    env = fa.local()
    env.load_yaml(tmp_path / "infra.yaml")
    res = env.resources
    classes = {
        name: d.resolve_class().__name__
        for rtype in (
            ResourceType.EMBEDDING_MODEL_CONNECTION,
            ResourceType.EMBEDDING_MODEL,
            ResourceType.VECTOR_STORE,
            ResourceType.MCP_SERVER,
        )
        for name, d in res[rtype].items()
    }
    assert classes == {
        "embed_server": "OllamaEmbeddingModelConnection",
        "embedder": "OpenAIEmbeddingModelSetup",
        "memory_store": "InMemoryVectorStore",
        "disk_store": "LanceDBVectorStore",
        "tools_server": "MCPServer",
    }
    assert res[ResourceType.VECTOR_STORE]["disk_store"].arguments == {
        "uri": "./lance",
        "embedding_model": "embedder",
    }
    skills = res[ResourceType.SKILLS]["team_skills"]
    assert isinstance(skills, Skills)
    assert skills.paths[0] == "skills" and skills.paths[1].endswith(str(Path("tests/helpers")))


def test_agent_objects_still_apply_beside_loaded_agents() -> None:
    env = fa.local()
    env.load_yaml([AGENT_YAML, SCRIPTED_INFRA])
    agent = fa.Agent()
    agent.add_action("echo", [fa.InputEvent], echo, tag="object")
    run = env.from_list([{"key": 1, "value": "v"}]).apply(agent).execute()
    assert list(run.outputs["output"]) == [{"echo": "v", "tag": "object"}]
    value = {"id": "p9", "review": "ok"}
    run = env.from_list([{"key": 1, "value": value}]).apply("review_analysis_agent").execute()
    (output,) = run.outputs["output"]
    assert output == {"id": "p9", "score": 5, "reasons": [], "source": "yaml"}


def test_embedding_and_vector_store_entries_retrieve_through_a_loopback_server(
    tmp_path: Path,
) -> None:
    """A YAML retrieval agent: Ollama embeddings (alias) on a loopback server, the kit's
    in-memory store with documents given in the file, the built-in retrieval action."""
    with EmbeddingServer() as server:
        (tmp_path / "lookup.yaml").write_text(
            f"""
agents:
  - name: lookup
    actions:
      - name: ask
        function: tests.helpers.yaml_lookup_actions:ask
        trigger_conditions: [input]
        config: {{store: knowledge_base}}
      - name: found
        function: tests.helpers.yaml_lookup_actions:found
        trigger_conditions: [context_retrieval_response]
    embedding_model_connections:
      - {{name: embed_server, clazz: ollama, base_url: "{server.url}"}}
    embedding_model_setups:
      - {{name: text_embedder, clazz: ollama, connection: embed_server, model: nomic}}
    vector_stores:
      - name: knowledge_base
        clazz: in_memory
        embedding_model: text_embedder
        documents:
          - {{id: d-flink, content: Apache Flink is a stream processing engine.}}
          - {{id: d-py, content: Python is a programming language.}}
"""
        )
        env = fa.local()
        env.load_yaml(tmp_path / "lookup.yaml")
        inputs = [{"key": 1, "value": "Python is a programming language."}]
        run = env.from_list(inputs).apply("lookup").execute()
    assert list(run.outputs["output"]) == [["d-py"]]
    assert {r["path"] for r in server.requests} == {"/api/embed"}
    assert server.requests[-1]["body"]["model"] == "nomic"
