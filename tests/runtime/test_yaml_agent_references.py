"""References between a YAML file's entries (a setup's connection, prompt and tools, an
embedding setup's connection, a vector store's embedding model) are checked before a run:
at load time when their kind is declared in scope, else when the agent is applied. Each
error names the reference, the file and the line; a failed load registers nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import flink_agents_nb as fa
from flink_agents_runtime.api._agent import ResourceType
from flink_agents_runtime.yamlagents import declared_agents
from tests.helpers.yaml_review_agent import YAML_DIR

AGENT_YAML = YAML_DIR / "review_analysis_agent.yaml"
SCRIPTED_INFRA = YAML_DIR / "scripted_infra.yaml"


def failed_load(env: object, *paths: Path) -> str:
    """The message of the error loading ``paths`` into ``env`` in one call raises."""
    with pytest.raises(fa.AgentDefinitionError) as info:
        env.load_yaml(list(paths))  # type: ignore[attr-defined]
    return str(info.value)


def with_setup_line(old: str, new: str, tmp_path: Path) -> Path:
    """The review agent's file with one line of its model setup changed."""
    text = AGENT_YAML.read_text()
    assert old in text
    path = tmp_path / "agent.yaml"
    path.write_text(text.replace(old, new))
    return path


def nothing_registered(env: object) -> None:
    assert declared_agents(env) == {}
    assert not any(getattr(env, "resources", {}).values())


def test_a_misspelt_prompt_is_refused_at_load_naming_file_line_and_entry(tmp_path: Path) -> None:
    bad = with_setup_line(
        "prompt: review_analysis_prompt", "prompt: review_analysis_promt", tmp_path
    )
    env = fa.local()
    message = failed_load(env, SCRIPTED_INFRA, bad)  # a good file first: it is not loaded either
    assert message == (
        f"{bad}:36: agent 'review_analysis_agent', chat_model_setups[0] 'review_analysis_model': "
        "prompt 'review_analysis_promt' is not a declared prompt "
        "(did you mean 'review_analysis_prompt'?); prompts declared: ['review_analysis_prompt']"
    )
    nothing_registered(env)


def test_each_tool_name_is_checked_at_its_own_line(tmp_path: Path) -> None:
    bad = with_setup_line(
        "tools: [notify_shipping_manager]",
        "tools:\n          - notify_shipping_manager\n          - notify_shiping_manager",
        tmp_path,
    )
    message = failed_load(fa.local(), bad, SCRIPTED_INFRA)
    assert message.startswith(f"{bad}:39: agent 'review_analysis_agent', chat_model_setups[0] ")
    assert "tools[1] 'notify_shiping_manager' is not a declared tool" in message
    assert "did you mean 'notify_shipping_manager'?" in message


def test_file_level_references_and_several_problems_in_one_message(tmp_path: Path) -> None:
    infra = tmp_path / "infra.yaml"
    infra.write_text(
        "embedding_model_connections:\n"
        "  - {name: embed_server, clazz: ollama, base_url: 'http://127.0.0.1:1'}\n"
        "embedding_model_setups:\n"
        "  - {name: embedder, clazz: ollama, connection: embed_srv, model: nomic}\n"
        "vector_stores:\n"
        "  - {name: store, clazz: in_memory, embedding_model: embeder}\n"
        "  - {name: plain, clazz: in_memory}\n"
    )
    env = fa.local()
    head, *lines = failed_load(env, infra).splitlines()
    assert head == "2 references do not resolve:"
    assert lines == [
        f"  {infra}:4: file-level embedding_model_setups[0] 'embedder': connection 'embed_srv' "
        "is not a declared embedding_model_connection (did you mean 'embed_server'?); "
        "embedding_model_connections declared: "
        "['embed_server']",
        f"  {infra}:6: file-level vector_stores[0] 'store': embedding_model 'embeder' is not a "
        "declared embedding_model (did you mean 'embedder'?); embedding_models declared: "
        "['embedder']",
    ]
    nothing_registered(env)


def test_a_connection_already_on_the_environment_counts_and_a_typo_against_it_does_not(
    tmp_path: Path,
) -> None:
    env = fa.local()
    env.load_yaml(SCRIPTED_INFRA)  # review_server, a shared connection, loaded first
    env.load_yaml(AGENT_YAML)
    assert "review_analysis_agent" in declared_agents(env)
    bad = with_setup_line("connection: review_server", "connection: review_sever", tmp_path)
    other = fa.local()
    other.load_yaml(SCRIPTED_INFRA)
    message = failed_load(other, bad)
    assert f"{bad}:34: agent 'review_analysis_agent'" in message
    assert "connection 'review_sever' is not a declared chat_model_connection" in message
    assert "did you mean 'review_server'?" in message
    assert "review_analysis_agent" not in declared_agents(other)


def test_a_kind_nothing_declares_yet_is_left_to_a_later_file_and_checked_when_applied(
    tmp_path: Path,
) -> None:
    """Flink Agents loads a topology file and an infrastructure file in either order: the
    agent file names a connection no file declared yet; applying it needs it resolved."""
    wrong_infra = tmp_path / "infra.yaml"
    wrong_infra.write_text(
        SCRIPTED_INFRA.read_text().replace("name: review_server", "name: reviews_server")
    )
    env = fa.local()
    env.load_yaml(AGENT_YAML)  # loads: no chat_model_connection is declared anywhere yet
    env.load_yaml(wrong_infra)  # loads: its own entries resolve
    expected = (
        "a reference resolves nowhere: not in the agent, nor in the files loaded, nor added "
        f"with add_resource:\n  {AGENT_YAML}:34: agent 'review_analysis_agent', "
        "chat_model_setups[0] 'review_analysis_model': connection 'review_server' is not a "
        "declared chat_model_connection (did you mean 'reviews_server'?); "
        "chat_model_connections declared: ['reviews_server']"
    )
    with pytest.raises(fa.AgentDefinitionError) as info:
        env.from_list([]).apply("review_analysis_agent")
    assert str(info.value) == f"apply('review_analysis_agent'): {expected}"
    # the loaded agent given as an object is checked as its name is
    loaded = declared_agents(env)["review_analysis_agent"]
    with pytest.raises(fa.AgentDefinitionError) as info:
        env.from_list([]).apply(loaded)
    assert str(info.value) == f"apply('review_analysis_agent'): {expected}"
    with pytest.raises(fa.AgentDefinitionError) as info:
        env.get_agent("review_analysis_agent")
    assert str(info.value) == f"get_agent('review_analysis_agent'): {expected}"
    # add_resource supplies it: the same agent now applies and runs
    connection = env.resources[ResourceType.CHAT_MODEL_CONNECTION]["reviews_server"]
    env.add_resource("review_server", ResourceType.CHAT_MODEL_CONNECTION, connection)
    value = {"id": "p3", "review": "Broke after a week."}
    run = env.from_list([{"key": "p3", "value": value}]).apply("review_analysis_agent").execute()
    assert list(run.outputs["output"]) == [
        {"id": "p3", "score": 1, "reasons": ["quality"], "source": "yaml"}
    ]


def test_a_shared_entry_left_unresolved_does_not_stop_an_agent_that_does_not_use_it(
    tmp_path: Path,
) -> None:
    """As Flink Agents resolves a resource when an action first asks for it, a shared
    setup naming a connection of a kind no file declares loads, and an agent that never
    uses it applies and runs."""
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "embedding_model_setups:\n"
        "  - {name: embedder, clazz: ollama, connection: embed_server, model: nomic}\n"
    )
    env = fa.local()
    env.load_yaml([AGENT_YAML, SCRIPTED_INFRA, extra])
    value = {"id": "p3", "review": "Broke after a week."}
    run = env.from_list([{"key": "p3", "value": value}]).apply("review_analysis_agent").execute()
    assert list(run.outputs["output"]) == [
        {"id": "p3", "score": 1, "reasons": ["quality"], "source": "yaml"}
    ]
    assert env.get_agent("review_analysis_agent").name == "review_analysis_agent"


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (
            "tools: [notify_shipping_manager]",
            "tools: notify_shipping_manager",
            ":37: agent 'review_analysis_agent', chat_model_setups[0] 'review_analysis_model': "
            "'tools' must be a list of tool names, got 'notify_shipping_manager'",
        ),
        (
            "prompt: review_analysis_prompt",
            "prompt: {text: hi}",
            ":36: agent 'review_analysis_agent', chat_model_setups[0] 'review_analysis_model': "
            "'prompt' must name a prompt, got {'text': 'hi'}",
        ),
    ],
)
def test_a_reference_that_is_not_a_name_is_refused(
    tmp_path: Path, old: str, new: str, says: str
) -> None:
    bad = with_setup_line(old, new, tmp_path)
    env = fa.local()
    assert failed_load(env, bad, SCRIPTED_INFRA) == f"{bad}{says}"
    nothing_registered(env)


def test_tools_an_mcp_server_may_serve_are_left_to_run_time(tmp_path: Path) -> None:
    served = with_setup_line(
        "tools: [notify_shipping_manager]",
        "tools: [notify_shipping_manager, search_orders]",
        tmp_path,
    )
    with pytest.raises(fa.AgentDefinitionError, match="tools\\[1\\] 'search_orders' is not a"):
        fa.local().load_yaml([served, SCRIPTED_INFRA])
    mcp = tmp_path / "mcp.yaml"
    mcp.write_text(
        "mcp_servers:\n  - {name: orders, clazz: mcp, endpoint: 'http://127.0.0.1:1/m'}\n"
    )
    env = fa.local()
    env.load_yaml([served, SCRIPTED_INFRA, mcp])  # the server may serve search_orders
    assert env.get_agent("review_analysis_agent").name == "review_analysis_agent"


def test_a_load_whose_add_resource_fails_partway_leaves_nothing_registered(
    tmp_path: Path,
) -> None:
    """The shared resources go in before the agents; when the environment refuses one,
    the ones it took are taken out again and no agent, file or reference stays."""

    class Refusing(type(fa.local())):  # type: ignore[misc]
        def add_resource(self, name: str, resource_type: Any, instance: Any) -> Any:
            if name == "refused_server":
                raise fa.AgentDefinitionError(f"this environment takes no {name!r}")
            return super().add_resource(name, resource_type, instance)

    stores = tmp_path / "stores.yaml"  # no connection: the agent's is left to apply()
    stores.write_text(
        "vector_stores:\n"
        "  - {name: plain, clazz: in_memory}\n"
        "  - {name: refused_server, clazz: in_memory}\n"
    )
    env = Refusing(fa.local().get_config())
    with pytest.raises(fa.AgentDefinitionError, match="takes no 'refused_server'"):
        env.load_yaml([AGENT_YAML, stores])
    nothing_registered(env)  # 'plain' was added, then taken out
    assert env.__dict__.get("_declared_files", []) == []
    assert env.__dict__.get("_declared_references", []) == []
    # the same agent loads afterwards, its connection left to apply(), which checks it
    env.load_yaml([AGENT_YAML])
    with pytest.raises(fa.AgentDefinitionError, match="'review_server' is not a declared"):
        env.from_list([]).apply(declared_agents(env)["review_analysis_agent"])
