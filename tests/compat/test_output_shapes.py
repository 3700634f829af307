"""Outputs of the shapes Flink Agents' examples emit (pydantic models and PyFlink
``Row``s) get ``output.<field>`` columns in ``run.outputs``, as dict outputs do."""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import BaseModel

import flink_agents_nb as fa
from flink_agents_nb.api.agents.agent import Agent
from flink_agents_nb.api.decorators import action
from flink_agents_nb.api.events.event import Event, InputEvent, OutputEvent
from flink_agents_nb.api.runner_context import RunnerContext


class Verdict(BaseModel):
    sku: str
    stars: int
    tags: list[str]


def _agent(make: Any) -> Agent:
    class Emitter(Agent):
        @action(InputEvent.EVENT_TYPE)
        @staticmethod
        def emit(event: Event, ctx: RunnerContext) -> None:
            row = InputEvent.from_event(event).input
            ctx.send_event(OutputEvent(output=make(row)))

    return Emitter()


REVIEWS = pd.DataFrame({"sku": ["a1", "b2", "a1"], "stars": [4, 1, 5]})


def _outputs(make: Any) -> pd.DataFrame:
    run = fa.local().from_pandas(REVIEWS, key="sku", columns=["sku", "stars"]).apply(_agent(make))
    return run.execute().outputs


def test_pydantic_outputs_get_field_columns_and_keep_the_model() -> None:
    out = _outputs(lambda r: Verdict(sku=r["sku"], stars=r["stars"], tags=["x"] * r["stars"]))
    assert list(out.columns[:3]) == ["output.sku", "output.stars", "output.tags"]
    assert out["output.stars"].tolist() == [4, 1, 5]
    assert out["output.tags"][1] == ["x"]
    assert isinstance(out["output"][0], Verdict)


def test_row_outputs_get_field_columns() -> None:
    from pyflink.common import Row  # a plain Python class: no JVM

    out = _outputs(lambda r: Row(sku=r["sku"], stars=r["stars"]))
    assert out["output.stars"].tolist() == [4, 1, 5]
    # A Row without field names has no fields: the whole output only.
    out = _outputs(lambda r: Row(r["sku"], r["stars"]))
    assert not any(c.startswith("output.") for c in out.columns)


def test_mixed_outputs_keep_the_whole_output_only() -> None:
    out = _outputs(lambda r: r["stars"] if r["stars"] < 2 else {"stars": r["stars"]})
    assert list(out.columns) == ["key", "input_seq", "output"]
