"""The HTML report: one offline file with summary, charts and the records."""

from __future__ import annotations

import html
import re
from pathlib import Path

from tests.helpers.views_agent import run_agent, write_log


def test_report_is_self_contained(tmp_path: Path) -> None:
    run = run_agent()
    path = run.report(tmp_path / "out" / "report.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    # plotly.js inlined exactly once; no network references
    assert text.count("plotly.js v") >= 1
    assert len(re.findall(r"<script[^>]+src=", text)) == 0
    assert text.count("Plotly.newPlot") == 5  # dashboard + 4 charts
    assert html.escape(run.summary().splitlines()[0]) in text
    assert text.count("<tr>") >= 15  # every record in the table
    assert "bonjour tout le monde" in text


def test_report_of_an_event_log_caps_the_table(tmp_path: Path) -> None:
    from flink_agents_nb.charts._report import write_report
    from flink_agents_nb.eventlog._reader import read_event_log

    log = read_event_log(write_log(run_agent(), tmp_path / "e.jsonl"))
    text = write_report(log, tmp_path / "r.html", max_rows=4).read_text(encoding="utf-8")
    assert "showing the first 4 of 15 records" in text
    assert "event log: 15 records" in text
