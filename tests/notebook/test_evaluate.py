"""fa.evaluate, scorers, the LLM judge (scripted and over HTTP), fa.compare, datasets."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

import flink_agents_nb as fa
from tests.helpers.openai_server import OpenAIServer


def classify(event: Any, ctx: Any) -> None:
    """Labels a ticket and estimates a refund; the rule is the action's ``rule``."""
    text = str(event.input["text"])
    rule = ctx.get_action_config_value("rule")
    urgent = "now" in text if rule == "v1" else "!" in text
    refund = round(float(event.input["amount"]) * (0.5 if urgent else 0.1), 2)
    ctx.send_event(fa.OutputEvent({"label": "urgent" if urgent else "normal", "refund": refund}))


def agent(rule: str) -> fa.Agent:
    a = fa.Agent()
    a.add_action("classify", [fa.InputEvent], classify, rule=rule)
    return a


DATA = pd.DataFrame(
    {
        "text": ["help now", "hello", "refund now!", "thanks"],
        "amount": [10.0, 20.0, 30.0, 40.0],
        "expected": [
            {"label": "urgent", "refund": 5.0},
            {"label": "normal", "refund": 2.0},
            {"label": "urgent", "refund": 15.0},
            {"label": "normal", "refund": 4.0},
        ],
    }
)


def test_scores_per_row_aggregate_and_plot(clean_env: None) -> None:
    ev = fa.evaluate(
        agent("v1"),
        DATA,
        scorers=[
            fa.exact_match(),
            fa.field_match("label"),
            fa.numeric_tolerance(abs_tol=0.01, field="refund"),
            fa.json_schema_match({"type": "object", "required": ["label", "refund"]}),
            lambda output, expected: output["refund"] <= 10,
        ],
    )
    s = ev.scores
    assert list(s["row"]) == [0, 1, 2, 3]
    assert s["output"][1] == {"label": "normal", "refund": 2.0}
    assert list(s["exact_match"]) == [1.0, 1.0, 1.0, 1.0]
    assert list(s["<lambda>"]) == [1.0, 1.0, 0.0, 1.0]
    agg = ev.aggregate.set_index("scorer")
    assert agg.loc["<lambda>", "mean"] == 0.75 and agg.loc["<lambda>", "pass_rate"] == 0.75
    assert agg.loc["json_schema", "errors"] == 0
    assert ev.totals["rows"] == 4 and ev.totals["prompt_tokens"] == 0
    fig = ev.plot()
    assert fig.layout.yaxis.title.text == "mean score (0-1)"
    assert fig.layout.yaxis2.title.text == "dataset row"
    bundle = ev._repr_mimebundle_()
    assert bundle["text/plain"].startswith("evaluation Agent: 4 rows")
    assert "<table" in bundle["text/html"]


def test_compare_finds_the_regression_of_a_new_version(clean_env: None) -> None:
    scorers = [fa.field_match("label"), fa.numeric_tolerance(abs_tol=0.01, field="refund")]
    v1 = fa.evaluate(agent("v1"), DATA, scorers=scorers, name="v1")
    v2 = fa.evaluate(agent("v2"), DATA, scorers=scorers, name="v2")
    cmp = fa.compare([v1, v2])
    assert cmp.table.loc["v1", "field:label"] == 1.0
    assert cmp.table.loc["v2", "field:label"] == 0.75  # "help now" has no "!"
    ch = cmp.changes
    assert set(ch["row"]) == {0} and set(ch["change"]) == {"regressed"}
    assert "v2 vs v1: 2 scores regressed, 0 improved" in cmp.summary()
    assert list(cmp.per_row.columns)[:3] == ["v1.output", "v1.field:label", "v1.numeric_tolerance"]
    fig = cmp.plot()
    assert fig.layout.yaxis.title.text == "mean score (0-1)"
    assert fig.layout.yaxis2.title.text == "cost (USD)"  # no model call: nothing unpriced
    assert "<table" in cmp._repr_mimebundle_()["text/html"]
    with pytest.raises(fa.EvaluationError, match="share a name"):
        fa.compare([v1, v1])
    with pytest.raises(fa.EvaluationError, match="two evaluations or more"):
        fa.compare({"only": v1})


def test_a_scorer_that_raises_is_named_with_its_row(clean_env: None) -> None:
    def picky(output: Any, expected: Any) -> float:
        if output["label"] == "normal":
            raise KeyError("no tone field")
        return 1.0

    with pytest.raises(fa.EvaluationError) as err:
        fa.evaluate(agent("v1"), DATA, scorers=[picky])
    message = str(err.value)
    assert "scorer 'picky' failed on row 1 (key 1)" in message
    assert "KeyError" in message and "no tone field" in message
    ev = fa.evaluate(agent("v1"), DATA, scorers=[picky], on_error="record")
    assert list(ev.errors["row"]) == [1, 3]
    assert math.isnan(ev.scores["picky"][1])
    assert ev.aggregate.iloc[0]["errors"] == 2 and ev.aggregate.iloc[0]["mean"] == 1.0
    with pytest.raises(fa.EvaluationError, match="returned str 'yes', not a number"):
        fa.evaluate(agent("v1"), DATA, scorers=[lambda o, e: "yes"])


def test_a_missing_expected_column_is_named(clean_env: None) -> None:
    with pytest.raises(fa.EvaluationError) as err:
        fa.evaluate(agent("v1"), DATA, expected="gold", scorers=[fa.exact_match()])
    assert "expected column 'gold' is not in the dataset" in str(err.value)
    assert "'expected'" in str(err.value)  # the columns it has
    with pytest.raises(fa.EvaluationError, match="expected=None"):
        fa.evaluate(agent("v1"), DATA, expected=None, scorers=[fa.exact_match()])
    with pytest.raises(fa.EvaluationError, match="expected has 2 values for a dataset of 4"):
        fa.evaluate(agent("v1"), DATA, expected=[1, 2], scorers=[fa.exact_match()])
    with pytest.raises(fa.EvaluationError, match="not a valid JSON schema"):
        fa.json_schema_match({"type": 12})


def _judge_rule(messages: list[fa.ChatMessage]) -> bool:
    text = messages[-1].content
    answer = text.split("Agent's answer: ")[1].split("\n")[0]
    expected = text.split("Expected answer: ")[1].split("\n")[0]
    return answer == expected


def test_llm_judge_with_the_scripted_model_counts_its_tokens(clean_env: None) -> None:
    judge_model = fa.ScriptedChatModelConnection(
        [fa.ScriptRule(_judge_rule, reply="score: 10"), fa.ScriptRule(None, reply="score: 3")]
    )
    judge = fa.llm_judge(judge_model, criteria="the label is right", model="judge-model")
    ev = fa.evaluate(agent("v2"), DATA, scorers=[judge])
    assert list(ev.scores["judge"]) == [0.3, 1.0, 1.0, 1.0]
    assert ev.aggregate.iloc[0]["pass_rate"] == 0.75  # threshold 0.7
    assert list(ev.failures()["row"]) == [0]
    assert (ev.scores["judge.prompt_tokens"] > 20).all()
    assert ev.totals["judge_tokens"] > 0
    assert judge.answers[0] == "score: 3"
    silent = fa.llm_judge(fa.ScriptedChatModelConnection(default_reply="fine"), criteria="x")
    with pytest.raises(fa.EvaluationError, match="the judge answered without a score: 'fine'"):
        fa.evaluate(agent("v1"), DATA, scorers=[silent])


def test_llm_judge_over_an_openai_compatible_server(clean_env: None) -> None:
    body = {
        "model": "judge",
        "choices": [{"message": {"role": "assistant", "content": "Score: 8"}}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 2},
    }
    with OpenAIServer() as server:
        server.canned["judge"] = [body] * 4
        conn = fa.OpenAIChatModelConnection(base_url=server.url, api_key="sk-test")
        judge = fa.llm_judge(conn, criteria="polite", model="judge", temperature=0)
        ev = fa.evaluate(agent("v1"), DATA, expected=None, scorers=[judge])
        requests = list(server.requests)
    prompts = [r["body"]["messages"][-1]["content"] for r in requests]
    assert list(ev.scores["judge"]) == [0.8] * 4
    assert list(ev.scores["judge.prompt_tokens"]) == [50] * 4
    assert any('"refund": 15.0' in p and "Criteria: polite" in p for p in prompts)
    assert {r["body"]["temperature"] for r in requests} == {0}


def test_a_dataset_from_a_run_with_reviewed_outputs(clean_env: None) -> None:
    inputs = [
        {"key": i, "value": row}
        for i, row in enumerate(DATA[["text", "amount"]].to_dict("records"))
    ]
    run = fa.local().from_list(inputs).apply(agent("v2")).execute()
    ds = fa.dataset_from_run(run, reviewed={0: {"label": "urgent", "refund": 5.0}})
    assert list(ds.columns) == ["key", "input", "output", "expected"]
    assert ds["output"][0] == {"label": "normal", "refund": 1.0}
    assert ds["expected"][0] == {"label": "urgent", "refund": 5.0}
    assert ds["expected"][1] == ds["output"][1]
    ev = fa.evaluate(agent("v2"), ds, key="key", input="input", scorers=[fa.exact_match()])
    assert list(ev.scores["exact_match"]) == [0.0, 1.0, 1.0, 1.0]
    with pytest.raises(fa.EvaluationError, match="reviewed row 9 does not exist"):
        fa.dataset_from_run(run, reviewed={9: "x"})


def test_rows_of_one_key_keep_their_order_and_tokens_are_counted(clean_env: None) -> None:
    from tests.helpers.support_agent import Support

    data = pd.DataFrame({"user": ["ada", "bob", "ada"], "text": ["hi", "order 7", "bye"]})
    ev = fa.evaluate(
        Support(),
        data,
        key="user",
        input="text",
        expected=[1, 1, 2],
        scorers=[fa.field_match("count")],
        prices={"support-v1": {"input": 1.0, "output": 2.0}},
    )
    assert [o["count"] for o in ev.scores["output"]] == [1, 1, 2]
    assert list(ev.scores["field:count"]) == [1.0, 1.0, 1.0]
    assert ev.scores["output"][2]["reply"].endswith("re: bye")
    assert (ev.scores["prompt_tokens"] > 0).all()
    expected_cost = (ev.scores["prompt_tokens"] * 1.0 + ev.scores["completion_tokens"] * 2.0) / 1e6
    assert ev.scores["cost_usd"].tolist() == pytest.approx(expected_cost.tolist())


def test_displays_escape_untrusted_text(clean_env: None) -> None:
    scorer = fa.exact_match(name="<b>exact</b>")
    ev = fa.evaluate(agent("v1"), DATA, scorers=[scorer], name="<i>v1</i>")
    other = fa.evaluate(agent("v2"), DATA, scorers=[scorer], name="v2")
    for shown in (ev, fa.compare([ev, other])):
        bundle = shown._repr_mimebundle_()
        assert "<b>exact</b>" not in bundle["text/html"] and "&lt;b&gt;exact" in bundle["text/html"]
        assert "<i>v1</i>" not in bundle["text/html"]
        assert bundle == shown._repr_mimebundle_()  # deterministic
