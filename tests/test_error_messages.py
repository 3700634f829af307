"""Common mistakes get errors that name the thing and say what would be right."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

import flink_agents_nb as fa


def _fail_with(agent: fa.Agent) -> BaseException:
    with pytest.raises(fa.ActionFailedError) as info:
        fa.local().from_list([{"key": "ada", "value": "hi"}]).apply(agent).execute()
    cause = info.value.__cause__
    assert cause is not None
    return cause


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (object(), "a value of type object,"),
        ({1, 2}, "a value of type set,"),
        (dt.date(2024, 1, 1), "a value of type datetime.date,"),
        (pd.Timestamp("2024-01-01"), "a value of type pandas.Timestamp,"),  # not pandas._libs...
    ],
)
def test_a_non_json_attribute_names_its_path_and_public_type(value: Any, shown: str) -> None:
    def send(event: Any, ctx: Any) -> None:
        ctx.send_event(fa.Event(type="note", when=value))

    cause = _fail_with(fa.Agent().add_action("send", [fa.InputEvent], send))
    assert isinstance(cause, fa.EventAttributeError)
    assert f"event attribute note.attributes.when holds {shown} which is not JSON" in str(cause)
