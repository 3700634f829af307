"""An evaluation on the MiniCluster scores as the local one, and the job's logs replay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import flink_agents_nb as fa
from tests.helpers import support_agent
from tests.helpers.support_agent import Support

pytestmark = [pytest.mark.flink, pytest.mark.usefixtures("clean_env")]

DATA = pd.DataFrame(
    {
        "user": ["ada", "bob", "ada", "cy"],
        "text": ["where is order 7", "hello", "thanks", "hi"],
        "expected": [1, 1, 2, 1],
    }
)


def test_evaluate_on_flink_matches_local_and_its_logs_replay(tmp_path: Path) -> None:
    scorers = [fa.field_match("count"), fa.json_schema_match({"required": ["reply", "count"]})]
    args: dict[str, Any] = {"key": "user", "input": "text", "scorers": scorers}
    local = fa.evaluate(Support(), DATA, name="local", **args)
    flink = fa.evaluate(
        Support(), DATA, name="flink", on="flink", config={"baseLogDir": str(tmp_path)}, **args
    )
    assert list(flink.scores["output"]) == list(local.scores["output"])
    assert list(flink.scores["field:count"]) == [1.0, 1.0, 1.0, 1.0]
    assert list(flink.scores["prompt_tokens"]) == list(local.scores["prompt_tokens"])
    cmp = fa.compare([local, flink])
    assert cmp.changes.empty
    # The job's event log is a record like any other: replay it offline.
    support_agent.CALLS.clear()
    rep = fa.replay(str(tmp_path), Support())
    assert support_agent.CALLS == []
    assert rep.raw.answered == 6  # 5 model answers + 1 tool answer
    assert rep.identical, rep.summary()
