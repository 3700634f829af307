"""A YAML-declared agent applied by name on the PyFlink MiniCluster: the quickstart-shaped
review agent (``tests/helpers/yaml_agents``) with the scripted model, its functions imported
on the Python workers from the references in the file."""

from __future__ import annotations

import pytest

from tests.helpers.yaml_review_agent import YAML_DIR

pytestmark = [pytest.mark.flink, pytest.mark.usefixtures("clean_env")]


def test_a_yaml_agent_applied_by_name_runs_on_the_minicluster() -> None:
    from pyflink.datastream import StreamExecutionEnvironment

    from flink_agents_runtime import AgentsExecutionEnvironment

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    agents_env = AgentsExecutionEnvironment.get_execution_environment(env)
    agents_env.load_yaml(
        [YAML_DIR / "review_analysis_agent.yaml", YAML_DIR / "scripted_infra.yaml"]
    )
    reviews = [
        {"id": "p1", "review": "Great sound, fast delivery."},
        {"id": "p2", "review": "The box arrived crushed, shipping was awful."},
        {"id": "p3", "review": "Broke after a week."},
    ]
    out = (
        agents_env.from_datastream(env.from_collection(reviews), key_selector=lambda r: r["id"])
        .apply("review_analysis_agent")
        .to_datastream()
    )
    got = {o["id"]: o for o in out.execute_and_collect("yaml-agent-test")}
    assert got == {
        "p1": {"id": "p1", "score": 5, "reasons": [], "source": "yaml"},
        "p2": {"id": "p2", "score": 2, "reasons": ["shipping"], "source": "yaml"},
        "p3": {"id": "p3", "score": 1, "reasons": ["quality"], "source": "yaml"},
    }
