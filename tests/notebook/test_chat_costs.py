"""Token usage and cost per model and action (notebook layer)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import flink_agents_nb as fa
from flink_agents_nb.run._costs import USAGE_COLUMNS, cost_of, load_prices, packaged_prices_text
from tests.helpers.triage_agent import Triage

ROOT = Path(__file__).resolve().parents[2]
INPUTS = [{"key": 1, "value": "order 42"}, {"key": 2, "value": "hi"}, {"key": 2, "value": "yo"}]


def test_conf_prices_yaml_parses_to_usd_per_million() -> None:
    table = load_prices(ROOT / "conf" / "prices.yaml")
    assert table["gpt-4o-mini"] == (0.15, 0.60)
    assert all(i >= 0 and o >= 0 for i, o in table.values())
    assert cost_of("gpt-4o-mini", 1_000_000, 2_000_000, ROOT / "conf" / "prices.yaml") == (
        pytest.approx(0.15 + 1.20)
    )
    assert cost_of("no-such-model", 10, 10, {}) is None


def test_token_usage_per_model_and_action_with_cost(clean_env: None) -> None:
    run = fa.local().from_list(INPUTS).apply(Triage()).execute()
    usage = run.token_usage(prices={"triage-v1": {"input": 1.0, "output": 2.0}})
    assert list(usage.columns) == list(USAGE_COLUMNS)
    (row,) = usage.to_dict("records")
    responses = [e for e in run.result.events or [] if e.event.type == "_chat_response_event"]
    prompt = sum(e.event.attributes["promptTokens"] for e in responses)
    completion = sum(e.event.attributes["completionTokens"] for e in responses)
    assert row["model"] == "triage-v1"
    assert row["action"] == "ask"  # the action that asked
    assert row["model_action"] == "chat_model_action"  # the one that called the model
    assert row["responses"] == 3
    assert (row["prompt_tokens"], row["completion_tokens"]) == (prompt, completion)
    assert row["cost_usd"] == pytest.approx((prompt * 1.0 + completion * 2.0) / 1e6)
    metric = run.metric_counts["action.chat_model_action.model.triage-v1.promptTokens"]
    assert metric == prompt


def test_unknown_models_show_usage_without_cost(clean_env: None) -> None:
    run = fa.local().from_list(INPUTS).apply(Triage()).execute()
    usage = fa.token_usage(run, prices={"gpt-4o": (2.5, 10.0)})
    assert usage.loc[0, "prompt_tokens"] > 0
    assert math.isnan(usage.loc[0, "cost_usd"])


def test_token_usage_from_metrics_records_and_files(clean_env: None, tmp_path: Path) -> None:
    env = fa.local()
    recorded = env.from_list(INPUTS).apply(Triage()).execute()
    unrecorded = env.from_list(INPUTS).apply(Triage()).execute(record=False)
    from_metrics = fa.token_usage(unrecorded, prices={})
    # Without records the asking action is unknown; the model action is the metric's group.
    assert from_metrics.loc[0, "action"] == "(not recorded)"
    assert from_metrics.loc[0, "model_action"] == "chat_model_action"
    expected = fa.token_usage(recorded, prices={})
    assert from_metrics.loc[0, "prompt_tokens"] == expected.loc[0, "prompt_tokens"]
    # Flat records as an event log holds them, and Flink Agents' nested ones.
    flat: list[dict[str, Any]] = []
    for r in recorded.result.events or []:
        flat.append(
            {
                "eventType": r.event.type,
                "eventAttributes": r.event.attributes,
                "upstreamActionName": r.event.upstream_action_name,
            }
        )
    nested = [
        {"event": {"eventType": f["eventType"], "attributes": f["eventAttributes"]}} for f in flat
    ]
    assert fa.token_usage(flat, prices={}).equals(expected)
    assert (
        fa.token_usage(json.loads(json.dumps(nested)), prices={}).loc[0, "prompt_tokens"]
        == (expected.loc[0, "prompt_tokens"])
    )
    assert fa.token_usage(recorded.events, prices={}).equals(expected)  # a records DataFrame
    assert fa.token_usage([], prices={}).empty


def test_default_prices_come_from_the_nearest_conf_dir(
    clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "prices.yaml").write_text("models:\n  triage-v1: {input: 3, output: 4}\n")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    run = fa.local().from_list(INPUTS).apply(Triage()).execute()
    usage = run.token_usage()
    assert usage.loc[0, "input_usd_per_1m"] == 3.0
    assert isinstance(usage, pd.DataFrame)


def test_packaged_prices_match_conf_and_apply_without_a_conf_dir(
    clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The copy shipped in the package (for non-editable installs) is conf/prices.yaml.
    assert packaged_prices_text() == (ROOT / "conf" / "prices.yaml").read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # no conf/ here or above: the packaged list applies
    assert load_prices()["gpt-4o"] == (2.5, 10.0)
    assert cost_of("gpt-4o", 1_000_000, 0) == pytest.approx(2.5)
    (tmp_path / "conf").mkdir()  # a conf/prices.yaml overrides it
    (tmp_path / "conf" / "prices.yaml").write_text("models:\n  mine: {input: 1, output: 1}\n")
    assert set(load_prices()) == {"mine"}
