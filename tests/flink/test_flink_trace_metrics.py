"""On PyFlink's MiniCluster: the 0.4 metrics and the Trace Log, as in a local run (one job);
on a standalone cluster: the failed counters at 0 over Flink's REST API, as an alert sees them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import flink_agents_nb as fa
from flink_agents_runtime.drivers._sources import DirectorySource
from tests.flink.test_flink_operations import drop
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
    assert counts["numOfInputRunsFailed"] == 0  # there from the subtask's open
    llm = "action.chat_model_action.model_resource.triage_model."
    assert counts[llm + "numOfLlmCallsSucceeded"] == 5
    assert counts[llm + "numOfLlmCallsFailed"] == 0  # beside its succeeded twin
    tool = "action.tool_call_action.tool.lookup_order."
    assert counts[tool + "numOfToolCallsSucceeded"] == 1
    assert counts[tool + "numOfToolCallsFailed"] == 1
    # one execution core: the local run counted the same metrics, zeros included (the
    # job's event-log sink's own eventLog* counters aside)
    assert promoted.local is not None
    on_flink = {n: v for n, v in counts.items() if not n.startswith("eventLog")}
    assert dict(promoted.local.metric_counts) == on_flink
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


LLM = "action.chat_model_action.model_resource.triage_model."
TOOL = "action.tool_call_action.tool.lookup_order."


def _rest_metrics_when(job: fa.FlinkJob, ready: Any, timeout: float = 90.0) -> dict[str, float]:
    """The agent's metrics over REST once ``ready(metrics)`` holds (Flink's REST serves
    what its metric fetcher last fetched: poll)."""
    deadline = time.monotonic() + timeout
    seen: dict[str, float] = {}
    while time.monotonic() < deadline:
        seen = job.metrics()
        if ready(seen):
            return seen
        time.sleep(0.25)
    raise AssertionError(f"not there after {timeout} s (state {job.state()}): {seen}")


@pytest.mark.slow
def test_failed_counters_read_zero_over_rest_on_a_healthy_job(
    flink_cluster: Any, tmp_path: Path
) -> None:
    """What a dashboard or an alert on Flink's REST API finds on a job where nothing failed:
    ``numOfInputRunsFailed`` at 0 before the first input (registered at the subtask's open),
    then the model's and the tool's failed counters at 0 beside their succeeded twins."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    job = fa.submit(
        Triage(),
        DirectorySource(str(inbox), poll_ms=200),
        flink_cluster.rest_url,
        log_dir=str(tmp_path / "logs"),
        config={"flink.metrics-sync-interval-ms": 200},
    )
    try:
        idle = _rest_metrics_when(job, lambda m: "numOfInputRunsSucceeded" in m)
        assert idle["numOfInputRunsFailed"] == 0 and idle["numOfInputRunsSucceeded"] == 0
        assert not any(".model_resource." in n or ".tool." in n for n in idle)  # none called
        rows = [{"key": "k1", "value": "where is order 42?"}, {"key": "k3", "value": "hi"}]
        drop(inbox, "1.jsonl", rows)
        # (a component's metrics reach REST at the metric fetcher's next fetch after its
        # first call: wait for the succeeded twins, then the failed ones must be there too)
        busy = _rest_metrics_when(
            job,
            lambda m: (
                m.get("numOfInputRunsSucceeded") == 2
                and m.get(LLM + "numOfLlmCallsSucceeded") == 3
                and m.get(TOOL + "numOfToolCallsSucceeded") == 1
            ),
        )
        assert busy["numOfInputRunsFailed"] == 0
        assert busy[LLM + "numOfLlmCallsFailed"] == 0
        assert busy[TOOL + "numOfToolCallsFailed"] == 0
    finally:
        job.cancel()
