"""fa.diff: what moved after a prompt change."""

from __future__ import annotations

import flink_agents_nb as fa
from tests.helpers.views_agent import INPUTS, run_agent


def test_diff_of_a_prompt_change() -> None:
    a = run_agent(INPUTS)
    b = run_agent([*INPUTS[:2], {"key": "c", "value": "new input here"}], prompt="Answer: ")
    d = fa.diff(a, b)
    rows = {r["key"]: r for r in d.outputs.to_dict("records")}
    assert rows["a"]["status"] == "changed"
    assert rows["a"]["a"] == ["hello", "again"] and rows["a"]["b"] == ["Answer: hello"]
    assert rows["c"]["status"] == "only in b"
    assert set(d.changed_keys) == {"a", "b", "c"}
    events = {(r["key"], r["event_type"]): r["delta"] for r in d.events.to_dict("records")}
    assert events[("a", "_input_event")] == -1 and events[("c", "chat_response")] == 1
    assert set(d.events["change"]) == {"added", "missing"}
    tokens = d.tokens.to_dict("index")
    assert tokens["small"]["prompt_delta"] == -15  # "again" is gone
    assert tokens["big"]["prompt_delta"] == 24  # "new input here": 10 + 14
    assert set(d.latency.index) == {"plan", "answer"}
    assert d.latency.loc["plan", "count_a"] == 3
    text = d.summary()
    assert "2 keys with changed outputs" in text and "1 only in b" in text
    assert "tokens: prompt +9" in text


def test_diff_of_identical_runs_is_quiet() -> None:
    d = fa.diff(run_agent(), run_agent())
    assert d.changed_keys == [] and d.events.empty
    assert "events: same types and counts per key" in d.summary()
    bundle = d._repr_mimebundle_()
    assert bundle["text/plain"].startswith("diff run-")
