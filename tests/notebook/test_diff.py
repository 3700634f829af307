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


def _ticket_run(rule: dict[int, str]) -> fa.Run:
    """Tickets 0..39 with priority P3 (P1 when divisible by 10), overridden by ``rule``."""

    def classify(event, ctx):  # type: ignore[no-untyped-def]
        n = event.input
        prio = rule.get(n, "P1" if n % 10 == 0 else "P3")
        ctx.send_event(fa.OutputEvent(output={"ticket": n, "priority": prio, "team": "ops"}))

    agent = fa.Agent()
    agent.add_action("classify", [fa.InputEvent], classify)
    inputs = [{"key": f"t{n}", "value": n} for n in range(40)]
    return fa.local().from_list(inputs).apply(agent).execute(record=True)


def test_field_level_diff_names_each_changed_field_old_to_new() -> None:
    a = _ticket_run({})
    b = _ticket_run({5: "P2", 6: "P2", 7: "P2", 10: "P2", 11: "<b>P0</b>"})
    d = fa.diff(a, b)
    assert list(d.fields["field"].unique()) == ["priority"]
    row = d.fields.set_index("key").loc["t5"]
    assert (row["a"], row["b"]) == ("P3", "P2")
    summary = d.field_summary.iloc[0]
    assert summary["changed"] == 5 and summary["inputs"] == 40
    assert summary["transitions"][0] == ("P3", "P2", 3)
    assert summary["text"].startswith("priority changed on 5 of 40 inputs: P3 -> P2 x 3")
    assert "priority changed on 5 of 40 inputs" in d.summary()
    assert d.inputs["status"].value_counts()["changed"] == 5
    assert d.inputs.loc[d.inputs["key"] == "t5", "fields"].iloc[0] == ["priority"]
    html = d._repr_mimebundle_()["text/html"]
    assert "<del>P3</del> → <ins>P2</ins>" in html
    assert "&lt;b&gt;P0&lt;/b&gt;" in html and "<b>P0</b>" not in html
    # "input #" means the input's position in the run, as in the other views
    assert "<th>key</th><th>key's input #</th><th>input #</th>" in html
    assert "<tr><td>t5</td><td>0</td><td>5</td>" in html
    assert "ticket" not in set(d.fields["field"])  # unchanged fields are not listed


def test_field_diff_matches_inputs_per_key_and_reports_added_fields() -> None:
    agent_a, agent_b = fa.Agent(), fa.Agent()
    agent_a.add_action(
        "f", [fa.InputEvent], lambda e, ctx: ctx.send_event(fa.OutputEvent({"v": e.input}))
    )
    agent_b.add_action(
        "f",
        [fa.InputEvent],
        lambda e, ctx: ctx.send_event(fa.OutputEvent({"v": e.input, "extra": 1})),
    )
    a = fa.local().from_list([{"key": "x", "value": 1}, {"key": "y", "value": 2}])
    b = fa.local().from_list([{"key": "z", "value": 0}, {"key": "x", "value": 1}])
    d = fa.diff(a.apply(agent_a).execute(), b.apply(agent_b).execute())
    rows = {r["key"]: r for r in d.inputs.to_dict("records")}
    assert rows["x"]["status"] == "changed" and rows["x"]["fields"] == ["extra"]
    assert rows["y"]["status"] == "only in a" and rows["z"]["status"] == "only in b"
    extra = d.fields.iloc[0]
    assert str(extra["a"]) == "(missing)" and extra["b"] == 1
