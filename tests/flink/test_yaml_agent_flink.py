"""A YAML-declared agent applied by name on the PyFlink MiniCluster: the quickstart-shaped
review agent (``tests/helpers/yaml_agents``) with the scripted model, its functions imported
on the Python workers from the references in the file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.helpers.yaml_review_agent import YAML_DIR

pytestmark = [pytest.mark.flink, pytest.mark.usefixtures("clean_env")]

REVIEWS = pd.DataFrame(
    [
        {"id": "p1", "review": "Great sound, fast delivery."},
        {"id": "p2", "review": "The box arrived crushed, shipping was awful."},
        {"id": "p3", "review": "Broke after a week."},
    ]
)


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


def test_a_yaml_agent_promoted_by_name_matches_its_local_run(tmp_path: Path) -> None:
    """``fa.promote(name, df, env=env)``: the agent with its environment's shared connection
    as a MiniCluster job, its outputs those of the same agent applied locally by name."""
    import flink_agents_nb as fa

    env = fa.local()
    env.load_yaml([YAML_DIR / "review_analysis_agent.yaml", YAML_DIR / "scripted_infra.yaml"])
    local = env.from_pandas(REVIEWS, key="id").apply("review_analysis_agent").execute()
    promoted = fa.promote(
        "review_analysis_agent", REVIEWS, key="id", env=env, log_dir=str(tmp_path / "logs")
    )
    assert promoted.parity is not None and promoted.parity.ok, repr(promoted.parity)
    on_flink = {out.key: out.value for out in promoted.result.outputs}
    assert on_flink == {o.key: o.value for o in local.result.outputs}
    assert on_flink == {
        "p1": {"id": "p1", "score": 5, "reasons": [], "source": "yaml"},
        "p2": {"id": "p2", "score": 2, "reasons": ["shipping"], "source": "yaml"},
        "p3": {"id": "p3", "score": 1, "reasons": ["quality"], "source": "yaml"},
    }
    # the job's own event log: the shared connection was found and the tool called on Flink
    assert promoted.result.agent == "review_analysis_agent"
    types = set(promoted.events["event_type"])
    assert {"_chat_request_event", "_tool_request_event", "_tool_response_event"} <= types
