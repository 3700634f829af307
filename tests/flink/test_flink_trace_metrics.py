"""On PyFlink's MiniCluster: the 0.4 metrics and the Trace Log, as in a local run (one job)."""

from __future__ import annotations

from pathlib import Path

import pytest

import flink_agents_nb as fa
from tests.helpers.triage_agent import Triage

pytestmark = [pytest.mark.flink, pytest.mark.usefixtures("clean_env")]

INPUTS = [
    {"key": "k1", "value": "where is order 42?"},
    {"key": "k2", "value": "order 13"},
    {"key": "k3", "value": "hi"},
]


def test_metrics_and_trace_log_of_a_flink_job(tmp_path: Path) -> None:
    config = {
        "trace-log.base-dir": str(tmp_path / "traces"),
        "trace-log.targets": [{"scope": "ALL", "detail": "STANDARD"}],
    }
    promoted = fa.promote(Triage(), INPUTS, log_dir=str(tmp_path / "events"), config=config)
    counts = promoted.metric_counts
    assert counts["numOfInputRunsSucceeded"] == 3
    llm = "action.chat_model_action.model_resource.triage_model."
    assert counts[llm + "numOfLlmCallsSucceeded"] == 5
    tool = "action.tool_call_action.tool.lookup_order."
    assert counts[tool + "numOfToolCallsSucceeded"] == 1
    assert counts[tool + "numOfToolCallsFailed"] == 1
    # the local comparison run wrote its own trace log beside the job's
    files = [f for f in (tmp_path / "traces").glob("traces-*.log") if promoted.job_id in f.name]
    assert files
    (tmp_path / "job").mkdir()
    for f in files:
        (tmp_path / "job" / f.name).write_bytes(f.read_bytes())
    log = fa.read_event_log(tmp_path / "job")
    assert log.problems == []
    f = log.frame
    assert set(f["entity_type"]) == {"event", "action", "llm", "tool"}
    assert (f["record_type"] == "call").sum() == 7  # 5 model calls, 2 tool calls
    assert "tool lookup_order [ok]" in log.tree_text("k1")
    # the finished job exports as OpenTelemetry traces: its records, one trace per input
    exported = fa.export_otlp(promoted, path=tmp_path / "job.jsonl")
    assert exported.traces == 3
    back = fa.read_otlp(tmp_path / "job.jsonl")
    assert back.frame["entity_type"].value_counts().to_dict()["llm"] == 5
    assert sorted(set(back.frame["key"])) == ["k1", "k2", "k3"]
