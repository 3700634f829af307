"""An agent ported from Apache Flink Agents (prefix rewritten) on the MiniCluster: pydantic
inputs, outputs and event attributes, a ResourceName setup, a tool and memory references
give the same outputs as the local run."""

from __future__ import annotations

from pathlib import Path

import pytest

import flink_agents_nb as fa
from flink_agents_nb.api.resource import ResourceType
from tests.helpers.fa_style_agent import (
    EXPECTED,
    REVIEWS,
    ReviewAgent,
    Verdict,
    scripted_connection,
)

pytestmark = [pytest.mark.flink, pytest.mark.usefixtures("clean_env")]


def test_ported_agent_has_the_same_outputs_on_flink(tmp_path: Path) -> None:
    agent = ReviewAgent()
    agent.add_resource("ollama_server", ResourceType.CHAT_MODEL_CONNECTION, scripted_connection())
    inputs = [{"key": r.id, "value": r} for r in REVIEWS]
    promoted = fa.promote(agent, inputs, log_dir=str(tmp_path))
    assert promoted.parity is not None and promoted.parity.ok, repr(promoted.parity)
    assert promoted.local is not None
    local = [o.value for o in promoted.local.result.outputs]
    assert all(isinstance(v, Verdict) for v in local)
    assert sorted((v.id, v.score) for v in local) == sorted((e["id"], e["score"]) for e in EXPECTED)
    flink = promoted.result.outputs
    assert sorted(str(o.value) for o in flink) == sorted(str(v) for v in local)
    assert all(isinstance(o.value, Verdict) for o in flink)
