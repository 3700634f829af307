"""What the kit writes, its reader reads back (issue 13, items 6 and 7): a lone surrogate
in an attribute, and NaN/infinite floats kept as the JSON extension tokens (NaN, Infinity,
-Infinity), not silently turned into null."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import flink_agents_nb as fa
from flink_agents_runtime import Agent, Event, InputEvent, OutputEvent


def _agent() -> Agent:
    def act(event: Any, ctx: Any) -> None:
        ctx.send_event(
            Event(
                type="odd",
                attributes={"text": "a\ud800b", "nan": math.nan, "inf": [math.inf, -math.inf]},
            )
        )

    def done(event: Any, ctx: Any) -> None:
        ctx.send_event(OutputEvent(output="ok"))

    return Agent().add_action("act", [InputEvent], act).add_action("done", ["odd"], done)


def test_lone_surrogate_and_nan_attributes_round_trip(tmp_path: Path) -> None:
    env = fa.local(baseLogDir=str(tmp_path))
    run = env.from_list([{"key": "k", "value": 1}]).apply(_agent()).execute()
    assert list(run.outputs["output"]) == ["ok"]
    log = fa.read_event_log(tmp_path)
    assert log.problems == []
    frame = log.frame
    odd = frame[(frame["event_type"] == "odd") & (frame["record_type"] == "event")]
    (attrs,) = odd["attributes"].tolist()
    assert attrs["text"] == "a\ud800b"
    assert math.isnan(attrs["nan"]) and attrs["inf"] == [math.inf, -math.inf]
    assert len(log.frame) == len(run.records)  # every record read back
