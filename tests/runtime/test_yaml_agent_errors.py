"""What ``load_yaml`` refuses, and how: each error names the file, the line and the entry,
and a failed load registers nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

import flink_agents_nb as fa
from flink_agents_runtime.api._agent import ResourceType
from flink_agents_runtime.yamlagents import declared_agents
from tests.helpers.yaml_review_agent import YAML_DIR

ACTION = "tests.helpers.yaml_review_agent:ReviewActions.process_input"


def load(tmp_path: Path, text: str, env: object = None) -> str:
    """The message of the error loading ``text`` (as ``agents.yaml``) raises."""
    path = tmp_path / "agents.yaml"
    path.write_text(text.lstrip("\n"))
    target = env if env is not None else fa.local()
    with pytest.raises(fa.AgentDefinitionError) as info:
        target.load_yaml(path)  # type: ignore[attr-defined]
    assert isinstance(info.value, ValueError)  # as Flink Agents' loader raises
    return str(info.value)


def agent_with(entries: str) -> str:
    return "agents:\n  - name: reviewer\n" + entries


def test_an_unknown_alias_names_the_file_line_agent_and_entry(tmp_path: Path) -> None:
    message = load(
        tmp_path,
        agent_with(
            "    chat_model_connections:\n"
            "      - name: fine\n"
            "        clazz: ollama\n"
            "      - name: server\n"
            "        clazz: olama\n"
        ),
    )
    # the line of the entry's clazz
    assert message.startswith(f"{tmp_path / 'agents.yaml'}:7: agent 'reviewer', ")
    assert "chat_model_connections[1] 'server': unknown chat_model_connections alias 'olama'" in (
        message
    )
    assert "'ollama'" in message and "dotted class path" in message


@pytest.mark.parametrize(
    ("function", "says"),
    [
        ("tests.helpers.no_such_module:f", "module 'tests.helpers.no_such_module' does not import"),
        (
            "tests.helpers.yaml_review_agent:ReviewActions.nope",
            "'tests.helpers.yaml_review_agent:ReviewActions' has no attribute 'nope'",
        ),
        ("tests.helpers.yaml_review_agent.ReviewActions", "must be 'module:qualified.name'"),
        ("tests.helpers.yaml_review_agent:YAML_DIR", "names a PosixPath, not a function"),
        ("tests.helpers.yaml_review_agent:echo.__globals__", "'__globals__' is not a name"),
        (".yaml_review_agent:echo", "module '.yaml_review_agent' is not an absolute dotted"),
        ("tests..helpers:echo", "module 'tests..helpers' is not an absolute dotted module"),
    ],
)
def test_a_function_that_does_not_resolve_names_the_action(
    tmp_path: Path, function: str, says: str
) -> None:
    message = load(
        tmp_path,
        agent_with(
            f"    actions:\n      - name: ask\n        function: {function}\n"
            "        trigger_conditions: [input]\n"
        ),
    )
    where = f"{tmp_path / 'agents.yaml'}:5: agent 'reviewer', actions[0] 'ask'"  # function's line
    assert message.startswith(where)
    assert says in message


def test_a_located_refusal_keeps_the_refusal_as_its_cause(tmp_path: Path) -> None:
    """The file, line and entry are put before the resolver's message; its own error stays
    the cause (a traceback shows where it was raised)."""
    path = tmp_path / "agents.yaml"
    path.write_text(agent_with("    tools:\n      - name: lookup\n        function: os:sep\n"))
    with pytest.raises(fa.AgentDefinitionError) as info:
        fa.local().load_yaml(path)
    cause = info.value.__cause__
    assert isinstance(cause, fa.AgentDefinitionError)
    assert str(cause) == "function 'os:sep' names a str, not a function"
    assert str(info.value) == f"{path}:5: agent 'reviewer', tools[0] 'lookup': {cause}"


def test_a_missing_function_names_the_tool(tmp_path: Path) -> None:
    message = load(tmp_path, agent_with("    tools:\n      - name: lookup\n"))
    assert ":4: agent 'reviewer', tools[0] 'lookup': 'function' is required" in message


def test_an_unknown_agent_name_lists_the_loaded_names() -> None:
    env = fa.local()
    env.load_yaml([YAML_DIR / "review_analysis_agent.yaml", YAML_DIR / "scripted_infra.yaml"])
    with pytest.raises(fa.AgentDefinitionError) as info:
        env.from_list([]).apply("review_agent")
    assert str(info.value) == (
        "apply('review_agent'): no agent of that name; loaded: ['review_analysis_agent'] "
        f"(from {YAML_DIR / 'review_analysis_agent.yaml'}, {YAML_DIR / 'scripted_infra.yaml'})"
    )
    with pytest.raises(fa.AgentDefinitionError, match=r"no agent is loaded: env\.load_yaml"):
        fa.local().from_list([]).apply("review_analysis_agent")


def test_yaml_that_does_not_parse_names_its_line(tmp_path: Path) -> None:
    message = load(
        tmp_path,
        agent_with(
            f"    actions:\n      - name: ask\n        function: {ACTION}\n"
            "        trigger_conditions: [input\n"
            "    prompts: []\n"
        ),
    )
    # YAML notices at line 7 the sequence opened at line 6 is not closed
    assert message.startswith(f"{tmp_path / 'agents.yaml'}:7: not valid YAML: ")
    assert "while parsing a flow sequence at line 6" in message


def test_shape_errors_name_each_entry_and_its_line(tmp_path: Path) -> None:
    message = load(
        tmp_path,
        agent_with(
            f"    actions:\n      - name: ask\n        function: {ACTION}\n"
            "        trigger_conditions: [input]\n"
            "        colour: red\n"
            "    prompts:\n"
            "      - name: empty\n"
        )
        + "chat_model_connection: []\n",
    )
    head, *lines = message.splitlines()
    assert head == "not a valid agents file:" and len(lines) == 3
    path = tmp_path / "agents.yaml"
    (colour,) = [x for x in lines if "colour" in x]
    assert colour.strip().startswith(f"{path}:7: agent 'reviewer', actions[0] 'ask': unknown key")
    assert "'trigger_conditions'" in colour  # the keys an action takes
    (empty,) = [x for x in lines if "'empty'" in x]
    assert empty.strip().startswith(f"{path}:9: agent 'reviewer', prompts[0] 'empty': ")
    assert "exactly one of a non-empty 'text' or 'messages'" in empty
    (top,) = [x for x in lines if "chat_model_connection'" in x]
    assert top.strip().startswith(f"{path}:10: the file: unknown key 'chat_model_connection'")


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        (
            "    vector_stores:\n      - name: store\n        clazz: chroma\n",
            "vector_stores[0] 'store': flink_agents.integrations.vector_stores.chroma",
        ),
        (
            "    chat_model_setups:\n      - name: model\n        clazz: ollama\n"
            "        type: java\n",
            "chat_model_setups[0] 'model': type: java is not supported",
        ),
        (
            "    skills:\n      - name: team\n        classpath: [skills/x]\n",
            "skills[0] 'team': 'classpath' skills are Java resources",
        ),
        (
            "    embedding_model_connections:\n      - name: e\n"
            "        clazz: org.apache.flink.agents.integrations.X\n",
            "embedding_model_connections[0] 'e': org.apache.flink.agents.integrations.X is a Java",
        ),
        (
            "    chat_model_setups:\n      - name: model\n        clazz: ollama\n"
            "        model: qwen3:8b\n",
            "chat_model_setups[0] 'model': OllamaChatModelSetup needs ['connection']",
        ),
        (
            "    vector_stores:\n      - name: store\n        clazz: lancedb\n"
            "        uri: ./db\n        colection: reviews\n",
            "vector_stores[0] 'store': LanceDBVectorStore takes no ['colection']; its arguments: "
            "['uri', 'embedding_model', 'collection', ",
        ),
        (
            f"    actions:\n      - name: ask\n        function: {ACTION}\n"
            "        trigger_conditions: [input, 'score > 5']\n",
            "actions[0] 'ask', trigger_conditions[1] 'score > 5': trigger condition 'score > 5' "
            "is a condition expression",
        ),
    ],
)
def test_kinds_the_kit_lacks_are_refused_naming_file_agent_and_entry(
    tmp_path: Path, entry: str, says: str
) -> None:
    message = load(tmp_path, agent_with(entry))
    assert message.startswith(f"{tmp_path / 'agents.yaml'}:")
    assert f"agent 'reviewer', {says}" in message


def test_a_failed_load_registers_nothing_and_duplicates_are_refused(tmp_path: Path) -> None:
    env = fa.local()
    env.load_yaml(YAML_DIR / "scripted_infra.yaml")
    good = YAML_DIR / "review_analysis_agent.yaml"
    bad = tmp_path / "bad.yaml"
    bad.write_text("prompts:\n  - name: p\n    text: hi\n  - name: p\n    text: again\n")
    shared = tmp_path / "shared.yaml"  # a good file with a shared resource, before the bad one
    shared.write_text("prompts:\n  - name: q\n    text: hi\n")
    with pytest.raises(fa.AgentDefinitionError, match=r"bad.yaml:4: file-level prompts\[1\] 'p'"):
        env.load_yaml([good, shared, bad])
    assert "review_analysis_agent" not in declared_agents(env)
    assert ResourceType.PROMPT not in env.resources  # not even the good file's prompt 'q'
    env.load_yaml(good)
    message = load(tmp_path, good.read_text(), env)
    assert f"{tmp_path / 'agents.yaml'}:6: agent 'review_analysis_agent' is already loaded" in (
        message
    )
    again = "chat_model_connections:\n  - {name: review_server, clazz: ollama}\n"
    assert "a shared chat_model_connection named 'review_server' is already registered" in (
        load(tmp_path, again, env)
    )


def test_yaml_tags_that_build_objects_are_not_loaded(tmp_path: Path) -> None:
    """``yaml.safe_load``: a Python object tag is an error, never a call."""
    message = load(tmp_path, "agents: !!python/object/apply:os.system ['echo hacked']\n")
    assert "not valid YAML" in message and ":1:" in message


def test_an_empty_file_and_a_list_are_refused(tmp_path: Path) -> None:
    assert "the file is empty" in load(tmp_path, "# nothing\n")
    assert ":1: the top level must be a mapping" in load(tmp_path, "- a\n- b\n")
    with pytest.raises(fa.AgentDefinitionError, match="cannot read"):
        fa.local().load_yaml(tmp_path / "missing.yaml")


def test_an_unknown_shared_action_and_a_repeated_agent_are_named(tmp_path: Path) -> None:
    shared = f"actions:\n  - name: ask\n    function: {ACTION}\n    trigger_conditions: [input]\n"
    message = load(tmp_path, agent_with("    actions: [ask, answer]\n") + shared)
    assert ":3: agent 'reviewer', actions[1] 'answer': no shared action named 'answer'" in message
    assert "declared: ['ask']" in message
    twice = agent_with("    actions: [ask]\n") + "  - name: reviewer\n" + shared
    message = load(tmp_path, twice)
    assert ":4: agent 'reviewer': agent 'reviewer' is already declared in this file" in message
    assert "agents.yaml:2)" in message  # where the first one is


def test_an_agent_without_actions_loads_and_is_refused_when_applied(tmp_path: Path) -> None:
    path = tmp_path / "agents.yaml"
    path.write_text("agents:\n  - name: idle\n    description: nothing yet\n")
    env = fa.local()
    env.load_yaml(path)  # as upstream: loading does not require actions
    with pytest.raises(fa.AgentDefinitionError) as info:
        env.from_list([]).apply("idle")
    assert str(info.value).endswith(f"(a YAML agent: under its actions:, {path}:2)")


@pytest.mark.parametrize("paths", [5, None, [3]])
def test_load_yaml_of_no_path_says_so(paths: object) -> None:
    with pytest.raises(fa.AgentDefinitionError, match=r"load_yaml takes (a path or )?paths, got"):
        fa.local().load_yaml(paths)  # type: ignore[arg-type]
