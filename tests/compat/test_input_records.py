"""The input is the whole record, its key derived from it, as Flink Agents'
``from_datastream(ds, key_selector=lambda x: x["id"])`` and ``from_table`` give it: an agent
from Flink Agents' quickstart validates its input into a model that has the key field."""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import BaseModel

import flink_agents_nb as fa
from flink_agents_nb.api.agents.agent import Agent
from flink_agents_nb.api.decorators import action
from flink_agents_nb.api.events.event import Event, InputEvent, OutputEvent
from flink_agents_nb.api.runner_context import RunnerContext

pytestmark = pytest.mark.usefixtures("clean_env")


class ProductReview(BaseModel):
    """As Flink Agents' quickstart's input type: the key field ``id`` is part of it."""

    id: str
    review: str


class ReviewEcho(Agent):
    """The quickstart's first action, reduced: validate the input, keep its id in memory."""

    @action(InputEvent.EVENT_TYPE)
    @staticmethod
    def process_input(event: Event, ctx: RunnerContext) -> None:
        review = ProductReview.model_validate(InputEvent.from_event(event).input)
        ctx.short_term_memory.set("id", review.id)
        ctx.send_event(OutputEvent(output=f"{review.id}: {len(review.review)} chars"))


REVIEWS = pd.DataFrame({"id": ["p1", "p2", "p1"], "review": ["broken", "fine", "late!"]})


def test_from_pandas_keyed_by_id_keeps_id_in_each_input() -> None:
    run = fa.local().from_pandas(REVIEWS, key="id").apply(ReviewEcho()).execute()
    assert run.result.output_values() == ["p1: 6 chars", "p2: 4 chars", "p1: 5 chars"]
    assert [o.key for o in run.result.outputs] == ["p1", "p2", "p1"]
    inputs = run.events[run.events["event_type"] == "_input_event"]
    assert inputs["attributes"].map(lambda a: a["input"]["id"]).tolist() == ["p1", "p2", "p1"]


def test_value_and_columns_still_pick_less() -> None:
    frame = REVIEWS.assign(stars=[1, 5, 2])
    env = fa.local()
    echo = fa.Agent().add_action(
        "echo", [fa.InputEvent], lambda e, ctx: ctx.send_event(fa.OutputEvent(output=e.input))
    )
    whole = env.from_pandas(frame, key="id").apply(echo).execute().result.output_values()
    assert whole[0] == {"id": "p1", "review": "broken", "stars": 1}
    some = env.from_pandas(frame, key="id", columns=["stars"]).apply(echo).execute()
    assert some.result.output_values()[0] == {"stars": 1}
    one = env.from_pandas(frame, key="id", value="review").apply(echo).execute()
    assert one.result.output_values()[0] == "broken"


def test_promote_export_and_evaluate_inputs_keep_the_key_too() -> None:
    from flink_agents_nb.evaluate._evaluate import _inputs
    from flink_agents_nb.run._inputs import input_pairs

    assert input_pairs(REVIEWS, key="id")[0] == ("p1", {"id": "p1", "review": "broken"})
    rows = _inputs(REVIEWS.assign(expected=["a", "b", "c"]), "id", None, "expected")
    assert rows[1] == {"key": "p2", "value": {"id": "p2", "review": "fine"}}
