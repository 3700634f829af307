"""A YAML-declared agent taken out of the environment it was loaded into: ``env.get_agent``
gives a self-contained agent (the environment's shared resources with it), and ``promote``,
``submit`` and ``export_job`` take it, or its name with ``env=``. The MiniCluster run is in
``tests/flink/test_yaml_agent_flink.py``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cloudpickle
import pandas as pd
import pytest

import flink_agents_nb as fa
from flink_agents_runtime.api._agent import ResourceType
from flink_agents_runtime.yamlagents import declared_agents
from tests.helpers.yaml_review_agent import YAML_DIR

AGENT_YAML = YAML_DIR / "review_analysis_agent.yaml"
SCRIPTED_INFRA = YAML_DIR / "scripted_infra.yaml"
NAME = "review_analysis_agent"
REVIEWS = pd.DataFrame(
    [
        {"id": "p1", "review": "Great sound, fast delivery."},
        {"id": "p2", "review": "The box arrived crushed, shipping was awful."},
        {"id": "p3", "review": "Broke after a week."},
    ]
)
EXPECTED = {
    "p1": {"id": "p1", "score": 5, "reasons": [], "source": "yaml"},
    "p2": {"id": "p2", "score": 2, "reasons": ["shipping"], "source": "yaml"},
    "p3": {"id": "p3", "score": 1, "reasons": ["quality"], "source": "yaml"},
}


def loaded() -> Any:
    env = fa.local()
    env.load_yaml([AGENT_YAML, SCRIPTED_INFRA])
    return env


def outputs(run: fa.Run) -> dict[str, Any]:
    return {o["id"]: o for o in run.outputs["output"]}


def test_get_agent_runs_without_the_environment_it_was_loaded_into() -> None:
    env = loaded()
    agent = env.get_agent(NAME)
    assert outputs(env.from_pandas(REVIEWS, key="id").apply(NAME).execute()) == EXPECTED
    # a fresh environment has no review_server: the agent carries it
    assert outputs(fa.local().from_pandas(REVIEWS, key="id").apply(agent).execute()) == EXPECTED
    assert agent.name == NAME and agent.source == f"{AGENT_YAML}:6"
    connections = agent.resources[ResourceType.CHAT_MODEL_CONNECTION]
    assert list(connections) == ["review_server"]
    # the loaded agent is left as loaded: the shared connection stays the environment's
    registered = declared_agents(env)[NAME]
    assert registered is not agent
    assert registered.resources[ResourceType.CHAT_MODEL_CONNECTION] == {}
    # as a Flink worker gets it: pickled by value, then run
    shipped = cloudpickle.loads(cloudpickle.dumps(agent))
    assert outputs(fa.local().from_pandas(REVIEWS, key="id").apply(shipped).execute()) == EXPECTED


def test_export_job_takes_a_yaml_agent_by_name(tmp_path: Path) -> None:
    env = loaded()
    target = fa.export_job(NAME, tmp_path / "job", REVIEWS, key="id", env=env)
    assert (target / "job.py").read_text().startswith(f'"""Flink job of agent {NAME}, exported')
    agent = cloudpickle.loads((target / "agent.pkl").read_bytes())
    inputs = [json.loads(line) for line in (target / "inputs.jsonl").read_text().splitlines()]
    assert [i["key"] for i in inputs] == ["p1", "p2", "p3"]
    run = fa.local().from_list(inputs).apply(agent).execute()
    assert outputs(run) == EXPECTED


def test_an_unknown_name_names_the_agent_and_the_files_loaded() -> None:
    env = loaded()
    expected = (
        f"promote('review_agent'): no agent of that name; loaded: ['{NAME}'] "
        f"(from {AGENT_YAML}, {SCRIPTED_INFRA})"
    )
    with pytest.raises(fa.AgentDefinitionError) as info:
        fa.promote("review_agent", REVIEWS, key="id", env=env)
    assert str(info.value) == expected
    # submit names the agent before it asks any address (nothing listens on port 1)
    with pytest.raises(fa.AgentDefinitionError, match=r"^submit\('review_agent'\): no agent"):
        fa.submit("review_agent", REVIEWS, "http://127.0.0.1:1", key="id", env=env)
    infra_only = fa.local()
    infra_only.load_yaml(SCRIPTED_INFRA)
    with pytest.raises(fa.AgentDefinitionError) as info:
        infra_only.get_agent(NAME)
    assert str(info.value) == (
        f"get_agent('{NAME}'): no agent of that name; no agent is loaded: env.load_yaml(path) "
        f"registers a YAML file's agents (loaded: {SCRIPTED_INFRA}, which declare none)"
    )


def test_a_name_needs_its_environment_and_an_object_needs_none() -> None:
    env = loaded()
    with pytest.raises(fa.ArgumentValueError) as info:
        fa.promote(NAME, REVIEWS, key="id")
    assert str(info.value) == (
        f"promote('{NAME}'): an agent named by a string is a YAML agent, taken from the "
        f"environment it was loaded into: promote('{NAME}', ..., env=env), or pass "
        f"env.get_agent('{NAME}')"
    )
    with pytest.raises(fa.ArgumentValueError, match=r"^export_job\(agent, env=\.\.\.\): env= is"):
        fa.export_job(env.get_agent(NAME), "unused", env=env)


def test_export_job_by_name_ships_all_shared_resources_and_shows_no_key(tmp_path: Path) -> None:
    """``export_job(name, env=env)`` binds every shared resource of ``env`` into
    ``agent.pkl`` (one the agent never names too); a key given in a connection's arguments
    travels only there: no other exported file, repr or refusal on the path shows it."""
    import threading

    secret = "sk-test-not-a-real-key-7f3a"
    infra = tmp_path / "keys.yaml"
    infra.write_text(
        "chat_model_connections:\n"
        "  - {name: spare_server, clazz: openai, base_url: 'http://127.0.0.1:1/v1', "
        f"api_key: {secret}}}\n"
    )
    env = loaded()
    env.load_yaml(infra)
    target = fa.export_job(NAME, tmp_path / "job", REVIEWS, key="id", env=env)
    shipped = cloudpickle.loads((target / "agent.pkl").read_bytes())
    connections = shipped.resources[ResourceType.CHAT_MODEL_CONNECTION]
    assert sorted(connections) == ["review_server", "spare_server"]
    assert secret.encode() in (target / "agent.pkl").read_bytes()
    others = [p for p in target.rglob("*") if p.is_file() and p.name != "agent.pkl"]
    assert others and not [p for p in others if secret.encode() in p.read_bytes()]
    assert secret not in repr(shipped) + repr(shipped.resources) + repr(env.resources)
    assert "api_key=****" in repr(connections["spare_server"])
    # a resource that cannot be pickled: the refusal names it, not the key
    env.add_resource("held", ResourceType.TOOL, threading.Lock())
    with pytest.raises(TypeError, match="resource 'held' \\(tool\\)") as info:
        fa.export_job(NAME, tmp_path / "job2", env=env)
    assert secret not in str(info.value)
