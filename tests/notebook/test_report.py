"""The HTML report: one small offline file with summary, charts (each once) and records."""

from __future__ import annotations

import base64
import gzip
import html
import json
import re
from pathlib import Path
from typing import Any

import flink_agents_nb as fa
from flink_agents_nb.charts._report import RECORD_COLUMNS, money
from tests.helpers.views_agent import run_agent, write_log


def _blobs(text: str) -> dict[str, bytes]:
    found = re.findall(
        r"<script type='application/octet-stream' id='([^']+)'>([A-Za-z0-9+/=]*)</script>", text
    )
    return {name: gzip.decompress(base64.b64decode(data)) for name, data in found}


def _report(source: Any, path: Path) -> tuple[str, dict[str, bytes]]:
    text = source.report(path).read_text(encoding="utf-8")
    return text, _blobs(text)


def test_report_is_one_offline_file_with_each_chart_once(tmp_path: Path) -> None:
    run = run_agent(
        [{"key": "x", "value": "<script>alert(1)</script>"}, *[{"key": "a", "value": "hi"}] * 3]
    )
    text, blobs = _report(run, tmp_path / "out" / "report.html")
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]+src=", text) and "http://" not in text.split("<script")[0]
    assert set(blobs) == {"fanb-data-plotly", "fanb-data-figures", "fanb-data-records"}
    assert blobs["fanb-data-plotly"].startswith(b"/**\n* plotly.js (cartesian")
    figures = json.loads(blobs["fanb-data-figures"])
    assert list(figures) == ["fanb-dashboard", "fanb-tokens"]  # each chart once
    layout = figures["fanb-tokens"]["layout"]  # models' lines apart from the token kinds
    assert (layout["legend"]["title"]["text"], layout["legend2"]["title"]["text"]) == (
        "model",
        "tokens",
    )
    assert layout["margin"]["t"] == 40  # untitled: no empty band under its heading
    for fig_id in figures:
        assert text.count(f"id='{fig_id}'") == 1
    assert html.escape(run.summary().splitlines()[0]) in text
    records = json.loads(blobs["fanb-data-records"])
    assert records["columns"] == list(RECORD_COLUMNS)
    assert len(records["rows"]) == len(run.records)  # every record, paged in the browser
    assert "<script>alert(1)</script>" not in text  # only inside the packed data
    row = dict(zip(records["columns"], records["rows"][0], strict=True))
    assert row["seq"] == 0 and row["time_ms"] == 0.0 and row["event_type"] == "_input_event"
    assert "<script>alert(1)</script>" in row["details"]  # shown as text by the page script
    assert "td.textContent" in text and "innerHTML" not in text


def test_report_numbers_are_formatted(tmp_path: Path) -> None:
    assert money(0.012813149999999999) == "$0.0128"
    assert money(0.000123456) == "$0.000123" and money(float("nan")) == "-"
    run = run_agent([{"key": "k", "value": "bonjour tout le monde"}] * 1200)
    text, _ = _report(run, tmp_path / "r.html")
    assert "<td class='n'>1,200</td>" in text  # runs and responses with thousands separators
    assert re.search(r"<td class='n'>\d+\.\d{3}</td>", text)  # latency in ms, 3 decimals
    assert not re.search(r"\d\.\d{8,}", text.split("<script")[0])  # no float noise
    # the record table's ms columns: 3 decimals each, right-aligned, by the page script
    assert "v.toFixed(3)" in text and "#fanb-records td.n{text-align:right" in text
    records = json.loads(_blobs(text)["fanb-data-records"])
    assert records["ms"] == ["time_ms", "duration_ms"]


def test_report_says_why_a_model_has_no_cost(tmp_path: Path) -> None:
    from flink_agents_runtime import (
        ChatModelSetup,
        ResourceDescriptor,
        ScriptedChatModelConnection,
        ScriptRule,
    )

    agent = fa.Agent()
    agent.add_resource(
        "conn",
        fa.ResourceType.CHAT_MODEL_CONNECTION,
        ResourceDescriptor(ScriptedChatModelConnection, rules=[ScriptRule(r".+", reply="ok")]),
    )
    agent.add_resource(
        "m",
        fa.ResourceType.CHAT_MODEL,
        ResourceDescriptor(ChatModelSetup, connection="conn", model="house-model-x"),
    )
    agent.add_action(
        "ask",
        [fa.InputEvent],
        lambda e, ctx: ctx.send_event(
            fa.ChatRequestEvent(model="m", messages=[fa.ChatMessage(content=e.input)])
        ),
    )
    agent.add_action(
        "out",
        [fa.ChatResponseEvent],
        lambda e, ctx: ctx.send_event(fa.OutputEvent(e.response.content)),
    )
    run = fa.local().from_list([{"key": "k", "value": "hi"}]).apply(agent).execute()
    text, _ = _report(run, tmp_path / "r.html")
    assert "<td class='n'>not priced (conf/prices.yaml)</td>" in text


def test_report_of_an_event_log(tmp_path: Path) -> None:
    log = fa.read_event_log(write_log(run_agent(), tmp_path / "e.jsonl"))
    text, blobs = _report(log, tmp_path / "r.html")
    assert "event log: 15 records" in text
    assert len(json.loads(blobs["fanb-data-records"])["rows"]) == 15
