"""Flink Agents' event semantics: pydantic values, ids at construction, JSON round trips,
pydantic's error type, event classes in @action (0.2 style) and typed delivery."""

from __future__ import annotations

import json
import pickle
import uuid
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, ValidationError

import flink_agents_nb as fa
from flink_agents_nb.api.events.event import Event, InputEvent, OutputEvent


class Order(BaseModel):
    id: int
    items: list[str]


class Priced(BaseModel):
    order: Order
    total: float


class Untyped(Event):  # Flink Agents 0.2 style: no EVENT_TYPE, fields with defaults
    amount: int = 0
    note: str = "none"


class PricedEvent(Event):
    EVENT_TYPE: ClassVar[str] = "priced"

    def __init__(self, priced: Priced) -> None:
        super().__init__(type=self.EVENT_TYPE, attributes={"priced": priced})


class Shop(fa.Agent):
    @fa.action(InputEvent.EVENT_TYPE)
    @staticmethod
    def price(event: Event, ctx: Any) -> None:
        order = event.input
        assert isinstance(order, Order)  # actions get the objects
        ctx.short_term_memory.set("last", order)
        ctx.send_event(PricedEvent(Priced(order=order, total=2.5 * len(order.items))))

    @fa.action(PricedEvent)
    @staticmethod
    def emit(event: PricedEvent, ctx: Any) -> None:
        assert isinstance(event, PricedEvent)
        assert isinstance(ctx.short_term_memory.get("last"), Order)
        ctx.send_event(OutputEvent(output=event.priced))


ORDERS = [Order(id=1, items=["a", "b"]), Order(id=2, items=["c"])]


def test_pydantic_inputs_outputs_and_attributes_run_locally_and_log_as_json(
    tmp_path: Path,
) -> None:
    env = fa.local(config={"baseLogDir": str(tmp_path), "event-log.level": "VERBOSE"})
    run = env.from_list([{"key": o.id, "value": o} for o in ORDERS]).apply(Shop()).execute()
    outputs = list(run.outputs["output"])
    assert outputs == [Priced(order=ORDERS[0], total=5.0), Priced(order=ORDERS[1], total=2.5)]
    assert all(isinstance(o, Priced) for o in outputs)
    (log,) = run.result.log_files
    records = [json.loads(line) for line in Path(log).read_text().splitlines()]
    priced = [r for r in records if r.get("eventType") == "priced" and r["recordType"] == "event"]
    assert priced[0]["eventAttributes"]["priced"] == {
        "order": {"id": 1, "items": ["a", "b"]},
        "total": 5.0,
    }
    inputs = [r for r in records if r["recordType"] == "event" and r["eventType"] == "_input_event"]
    assert inputs[1]["eventAttributes"]["input"] == {"id": 2, "items": ["c"]}


def test_a_value_nothing_can_serialise_is_still_a_clear_error() -> None:
    class Holder(BaseModel):
        model_config = {"arbitrary_types_allowed": True}
        thing: object

    with pytest.raises(fa.EventAttributeError, match=r"x\.attributes\.h holds a pydantic model"):
        Event(type="x", h=Holder(thing=object()))
    with pytest.raises(ValidationError) as info:
        Event(type="x", attributes={"when": {1, 2}})
    assert isinstance(info.value, fa.EventAttributeError)
    assert info.value.errors()[0]["loc"] == ("attributes", "when")
    assert "x.attributes.when holds a value of type set" in str(info.value)


def test_bad_type_or_attributes_raise_pydantics_validation_error() -> None:
    with pytest.raises(ValidationError) as info:
        Event(type=7)  # type: ignore[arg-type]
    assert info.value.errors()[0]["loc"] == ("type",)
    with pytest.raises(ValidationError):
        Event(type="x", attributes="not a dict")  # type: ignore[arg-type]


def test_ids_exist_at_construction_and_survive_sending() -> None:
    seen: dict[str, str] = {}

    def send(event: Event, ctx: Any) -> None:
        out = OutputEvent(output=event.input)
        seen["built"] = out.id  # read before sending
        ctx.send_event(out)

    agent = fa.Agent().add_action("send", [InputEvent], send)
    run = fa.local().from_list([{"key": 1, "value": 1}]).apply(agent).execute()
    assert uuid.UUID(seen["built"]).version == 4
    out_ids = list(run.events[run.events["event_type"] == "_output_event"]["event_id"])
    assert out_ids == [seen["built"]]
    a, b = Event(type="same", x=1), Event(type="same", x=1)
    assert a.id != b.id and a.id == a.id  # per occurrence (0.4), stable once read


def test_model_dump_json_and_from_json_round_trip() -> None:
    event = PricedEvent(Priced(order=ORDERS[0], total=1.0))
    event.upstream_action_name = "price"
    text = event.model_dump_json()
    data = json.loads(text)
    assert data["type"] == "priced" and data["id"] == event.id
    assert data["attributes"]["priced"]["order"] == {"id": 1, "items": ["a", "b"]}
    assert data["upstreamActionName"] == "price" and "upstreamEventId" not in data
    back = Event.from_json(text)
    assert back.type == "priced" and back.id == event.id
    assert back.upstream_action_name == "price"
    assert Priced.model_validate(back.priced) == event.priced
    with pytest.raises(ValueError, match="non-empty 'type'"):
        Event.from_json('{"attributes": {}}')
    copy = event.model_copy(update={"note": "x"})
    assert copy.note == "x" and "note" not in event.attributes


def test_events_are_attribute_values_and_pickle() -> None:
    inner = Event(type="inner", n=1)
    outer = Event(type="outer", inner=inner)
    assert json.loads(outer.model_dump_json())["attributes"]["inner"]["attributes"] == {"n": 1}
    back = pickle.loads(pickle.dumps(outer))
    assert back.inner.n == 1 and back.id == outer.id


def test_untyped_event_classes_route_by_qualified_name_with_field_defaults() -> None:
    assert Untyped().type == f"{__name__}.Untyped"
    assert (Untyped().amount, Untyped(amount=3).amount, Untyped().note) == (0, 3, "none")

    class Spend(fa.Agent):
        @fa.action(InputEvent)
        @staticmethod
        def start(event: Event, ctx: Any) -> None:
            ctx.send_event(Untyped(amount=event.input))

        @fa.action(Untyped)
        @staticmethod
        def done(event: Untyped, ctx: Any) -> None:
            assert isinstance(event, Untyped)
            ctx.send_event(OutputEvent(output=[event.amount, event.note]))

    run = fa.local().from_list([{"key": 1, "value": 4}]).apply(Spend()).execute()
    assert list(run.outputs["output"]) == [[4, "none"]]
    assert hasattr(Spend.done, "_listen_events")


def test_the_runtime_runs_without_pydantic() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['pydantic'] = None; sys.modules['pydantic_core'] = None\n"
        "import flink_agents_runtime as fa\n"
        "from flink_agents_runtime.drivers._local import LocalExecutionEnvironment\n"
        "agent = fa.Agent().add_action(\n"
        "    'a', [fa.InputEvent], lambda e, c: c.send_event(fa.OutputEvent(e.input)))\n"
        "run = LocalExecutionEnvironment().from_list([{'key': 1, 'value': 2}]).apply(agent)\n"
        "print(run.execute().to_list())\n"
        "try:\n"
        "    fa.Event(type='x', bad={1})\n"
        "except fa.EventAttributeError as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/"
    )
    assert done.stdout.split() == ["[{1:", "2}]", "EventAttributeError"]
