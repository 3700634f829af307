"""What a Flink job hands downstream: Apache Flink Agents' events cross to Java and back as
JSON (pydantic's JSON mode; a PyFlink ``Row`` as ``{"type": "Row", ...}``, rebuilt), so a
Python agent's output reaches ``to_datastream()`` in that form. The kit's Flink driver hands
outputs on the same way (``crossed``; the MiniCluster side is in
``tests/flink/test_fa_compat_flink.py``); the local driver hands the objects, as Flink
Agents' local environment does, and parity compares the local run in the Flink form."""

from __future__ import annotations

import dataclasses
import enum
import math

from pydantic import BaseModel
from pyflink.common import Row  # a plain Python class: no JVM

import flink_agents_nb as fa
from flink_agents_nb.flink._parity import compare
from flink_agents_runtime.api._values import crossed, crossed_all
from flink_agents_runtime.engine.reporting._run import Output


class Verdict(BaseModel):
    sku: str
    stars: int
    span: tuple[int, int]
    weight: float


class Level(enum.IntEnum):
    HIGH = 3


def test_a_pydantic_output_crosses_as_its_json_mode_dict() -> None:
    verdict = Verdict(sku="a1", stars=4, span=(1, 2), weight=math.nan)
    assert crossed(verdict) == {"sku": "a1", "stars": 4, "span": [1, 2], "weight": None}
    nested = {"v": verdict, "pair": (1, (2, 3)), "level": Level.HIGH, "inf": math.inf}
    assert crossed(nested) == {
        "v": {"sku": "a1", "stars": 4, "span": [1, 2], "weight": None},
        "pair": [1, [2, 3]],
        "level": 3,
        "inf": None,
    }


def test_plain_json_outputs_are_handed_on_as_they_are() -> None:
    plain = {"a": [1, 2.5, None, "x"], "b": {"c": True}}
    assert crossed(plain) is plain
    outputs = ["text", 7, plain]
    assert crossed_all(outputs) is outputs
    assert crossed_all([1, (2, 3)]) == [1, [2, 3]]


def test_rows_stay_rows_of_crossed_values() -> None:
    verdict = Verdict(sku="a1", stars=4, span=(1, 2), weight=0.5)
    row = crossed(Row(sku="a1", verdict=verdict))
    assert isinstance(row, Row)
    assert row.as_dict() == {
        "sku": "a1",
        "verdict": {"sku": "a1", "stars": 4, "span": [1, 2], "weight": 0.5},
    }
    # Flink Agents rebuilds rows found in dicts and lists, not rows inside a row's values
    inner = crossed(Row(1, Row(x=(1, 2))))
    assert inner == Row(1, {"type": "Row", "values": [[1, 2]], "fields": ["x"]})
    assert crossed({"rows": [Row(a=(1, 2))]}) == {"rows": [Row(a=[1, 2])]}


def test_parity_compares_the_local_objects_in_the_flink_form() -> None:
    agent = fa.Agent().add_action(
        "emit",
        [fa.InputEvent],
        lambda e, ctx: ctx.send_event(
            fa.OutputEvent(output=Verdict(sku=e.input, stars=2, span=(0, 1), weight=1.0))
        ),
    )
    run = fa.local().from_list([{"key": "k", "value": s} for s in ["a1", "b2"]]).apply(agent)
    local = run.execute(record=True).result
    assert all(isinstance(o.value, Verdict) for o in local.outputs)  # locally: the model
    as_flink = [Output(o.key, o.input_seq, crossed(o.value)) for o in local.outputs]
    flink = dataclasses.replace(local, outputs=as_flink)
    assert compare(local, flink).checks[0].ok
    # a job that handed the models on (the kit before) no longer matches Flink Agents
    assert not compare(local, local).checks[0].ok
