"""An agent ported from Apache Flink Agents (prefix rewritten) on the MiniCluster: pydantic
inputs, outputs and event attributes, a ResourceName setup, a tool and memory references
give the same outputs as the local run, handed downstream as Flink Agents hands them on
Flink: its events cross to Java as JSON, so a pydantic output arrives as its JSON-mode dict
(locally, as in Flink Agents' local environment, the model itself)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
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
    assert all(type(o.value) is dict for o in flink)
    dumped = sorted((v.model_dump(mode="json") for v in local), key=repr)
    assert sorted((o.value for o in flink), key=repr) == dumped


def test_a_dataframe_keyed_by_id_on_flink_keeps_id_in_the_input(tmp_path: Path) -> None:
    """``from_pandas(df, key="id")``'s rows, promoted: each input is the whole row (the agent
    validates it into ``Review``, whose ``id`` is the key column), outputs are dicts."""
    agent = ReviewAgent()
    agent.add_resource("ollama_server", ResourceType.CHAT_MODEL_CONNECTION, scripted_connection())
    frame = pd.DataFrame([r.model_dump() for r in REVIEWS])
    promoted = fa.promote(agent, frame, key="id", log_dir=str(tmp_path))
    assert promoted.parity is not None and promoted.parity.ok, repr(promoted.parity)
    by_seq = {o.input_seq: o.value for o in promoted.result.outputs}
    assert [by_seq[i]["id"] for i in range(len(REVIEWS))] == [r.id for r in REVIEWS]
    assert [by_seq[i]["score"] for i in range(len(REVIEWS))] == [e["score"] for e in EXPECTED]
    assert promoted.outputs["output.score"].notna().all()  # dict outputs get field columns
