"""DataFrame input and output, Run frames and display."""

from __future__ import annotations

import pandas as pd
import pytest

import flink_agents_nb as fa
from flink_agents_nb.cli._quickstart import OrderWatchAgent, sample_orders
from flink_agents_nb.run._run import ACTION_COLUMNS

pytestmark = pytest.mark.usefixtures("clean_env")


def collect_agent() -> fa.Agent:
    return fa.Agent().add_action(
        "out", [fa.InputEvent], lambda e, ctx: ctx.send_event(fa.OutputEvent(output=e.input))
    )


def test_from_pandas_value_column_columns_and_whole_rows() -> None:
    df = pd.DataFrame(
        {
            "user": ["a", "b"],
            "n": [1, 2],
            "x": [0.5, None],
            "when": pd.to_datetime(["2024-01-01", None], utc=True),
            "cat": pd.Categorical(["p", "q"]),
        }
    )
    env = fa.local()
    one = env.from_pandas(df, key="user", value="n").apply(collect_agent()).execute()
    assert one.to_list() == [{"a": 1}, {"b": 2}]
    assert type(one.result.outputs[0].value) is int  # numpy scalars became Python ints
    some = env.from_pandas(df, key="user", columns=["n", "cat"]).apply(collect_agent()).execute()
    assert some.result.output_values() == [{"n": 1, "cat": "p"}, {"n": 2, "cat": "q"}]
    rows = env.from_pandas(df, key="user").apply(collect_agent()).execute()
    first = rows.result.output_values()[0]
    # the whole row, the key column included (as Flink Agents' key selectors leave it)
    assert first == {
        "user": "a",
        "n": 1,
        "x": 0.5,
        "when": "2024-01-01T00:00:00+00:00",
        "cat": "p",
    }
    assert rows.result.output_values()[1]["when"] is None
    unkeyed = env.from_pandas(df[["n"]]).apply(collect_agent()).execute()
    assert [o.key for o in unkeyed.result.outputs] == [0, 1]


def test_from_pandas_errors_name_the_column() -> None:
    df = pd.DataFrame({"a": [1]})
    env = fa.local()
    with pytest.raises(fa.InputError, match=r"no column 'b'; the frame has \['a'\]"):
        env.from_pandas(df, key="b")
    with pytest.raises(fa.InputError, match="not both"):
        env.from_pandas(df, value="a", columns=["a"])
    with pytest.raises(fa.InputError, match="takes a pandas DataFrame, got list"):
        env.from_pandas([1, 2])


def test_run_frames_and_to_pandas_on_the_quickstart_agent() -> None:
    builder = fa.local().from_pandas(sample_orders(), key="customer").apply(OrderWatchAgent())
    outputs = builder.to_pandas()
    fields = [c for c in outputs.columns if c.startswith("output.")]
    assert fields and list(outputs.columns) == [*fields, "key", "input_seq", "output"]
    ada = outputs[outputs["key"] == "ada"]
    assert ada["output.total"].tolist() == [35.0, 115.0, 124.9]
    assert ada["output.status"].tolist() == ["regular", "vip", "vip"]
    run = builder._run
    assert run is not None
    assert list(run.records.columns) == list(fa.RECORD_COLUMNS)
    assert run.events["event_type"].value_counts().to_dict() == {
        "_input_event": 8,
        "order_scored": 8,
        "_output_event": 8,
    }
    assert str(run.events["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert list(run.actions.columns) == list(ACTION_COLUMNS)
    assert "upstream_event_id" not in run.actions and "prompt_tokens" not in run.actions
    writes = run.actions[run.actions["action"] == "score"]["memory_writes"].iloc[0]
    assert writes == [
        {"memory": "short_term", "path": "total", "value": 35.0},
        {"memory": "short_term", "path": "orders", "value": 1},
    ]


def test_outputs_are_in_input_order_whatever_order_they_finished_in() -> None:
    builder = fa.local().from_pandas(sample_orders(), key="customer").apply(OrderWatchAgent())
    result = builder.execute().result
    result.outputs = list(reversed(result.outputs))  # as if later inputs finished first
    outputs = fa.Run(result).outputs
    assert outputs["input_seq"].tolist() == sorted(outputs["input_seq"].tolist())
    assert outputs["input_seq"].tolist()[0] == 0


def test_run_displays_as_escaped_html_and_plain_text() -> None:
    agent = fa.Agent().add_action(
        "x", [fa.InputEvent], lambda e, ctx: ctx.send_event(fa.OutputEvent(output=e.input))
    )
    run = (
        fa.local()
        .from_list([{"key": "<b>k</b>", "value": "<script>alert(1)</script>"}])
        .apply(agent)
        .execute()
    )
    bundle = run._repr_mimebundle_()
    assert bundle["text/plain"].startswith("run ")
    assert "1 inputs -> 1 outputs" in bundle["text/plain"]
    assert "<script>" not in bundle["text/html"]
    assert "&lt;script&gt;" in bundle["text/html"]
    assert "<b>k</b>" not in bundle["text/html"]
