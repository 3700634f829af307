"""OTLP round trip: a log exported with ``fa.export_otlp`` and read back with
``fa.read_otlp`` gives the original's frame as far as OTLP carries it."""

from __future__ import annotations

from pathlib import Path

import flink_agents_nb as fa
from tests.helpers.triage_agent import Triage

CORPUS = Path(__file__).resolve().parents[1] / "eventlog_corpus"
TRACE = CORPUS / "traces-4f1e2d3c-weather_agent-0.log"


def test_a_replayed_action_comes_back_replayed_without_a_duration(tmp_path: Path) -> None:
    log = fa.read_event_log(TRACE)
    (replayed,) = log.frame.index[log.frame["status"] == "replayed"]
    assert log.frame.at[replayed, "duration_ms"] != log.frame.at[replayed, "duration_ms"]  # NaN
    fa.export_otlp(log, path=tmp_path / "spans.jsonl")
    back = fa.read_otlp(tmp_path / "spans.jsonl").frame
    (row,) = back.index[(back["key"] == "u2") & (back["action"] == "process_input")]
    assert back.at[row, "status"] == "replayed"
    assert back.at[row, "duration_ms"] != back.at[row, "duration_ms"]  # NaN, not 0 ms
    assert "─ action process_input [replayed]\n" in fa.read_otlp(
        tmp_path / "spans.jsonl"
    ).tree_text("u2")


def test_a_chat_response_comes_back_under_the_action_that_sent_it(tmp_path: Path) -> None:
    """Two ``chat_model_action`` executions in one run: each chat span's response event
    hangs under its own action, not under the last one of that name."""
    run = fa.local().from_list([{"key": "k", "value": "order 42"}]).apply(Triage()).execute()
    fa.export_otlp(run, path=tmp_path / "run.jsonl")
    back = fa.read_otlp(tmp_path / "run.jsonl")
    f = back.frame
    chats = f.index[(f["record_type"] == "action") & (f["action"] == "chat_model_action")]
    assert len(chats) == 2
    responses = f[(f["record_type"] == "event") & (f["event_type"] == "_chat_response_event")]
    # each response names the execution of the action that sent it, as a trace log does
    assert sorted(responses["parent_execution_id"]) == sorted(f.loc[chats, "execution_id"])
    lines = back.tree_text("k").splitlines()
    first, second = (lines.index(line) for line in lines if "action chat_model_action" in line)
    under_first = lines[first + 1 : second]
    assert sum("_chat_response_event" in line for line in under_first) == 1
    assert sum("_chat_response_event" in line for line in lines[second:]) == 1
