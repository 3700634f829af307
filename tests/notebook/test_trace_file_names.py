"""Job, task and subtask of a trace log from its file name
(``traces-{jobId}-{taskName}-{subtaskId}.log``) where the name tells them, and from the
records' own ``jobId``/``taskName``/``subtaskId`` (the SLF4J form), which win."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

import flink_agents_nb as fa

CORPUS = Path(__file__).resolve().parents[1] / "eventlog_corpus"
TRACE = CORPUS / "traces-4f1e2d3c-weather_agent-0.log"
FLINK_JOB = "3c0a2b9ee1f04d7b8a6f5e4d3c2b1a09"  # a Flink JobID's hex form


def _where(f: pd.DataFrame) -> set[tuple[object, object, object]]:
    return set(zip(f["job"], f["task"], f["subtask"], strict=True))


@pytest.mark.parametrize(
    ("name", "where"),
    [
        # a Flink job id, then Flink's task name: dashes and spaces in it
        (
            f"traces-{FLINK_JOB}-Source_ Custom Source -_ weather-agent-12.log",
            (FLINK_JOB, "Source_ Custom Source -_ weather-agent", 12),
        ),
        # the kit's local runs: task 'local' after a user's job-identifier with dashes
        ("traces-my-agent-job-local-0.log", ("my-agent-job", "local", 0)),
        # rotated and gzip copies, which a directory read takes, tell the same
        ("traces-my-agent-job-local-3.log.1", ("my-agent-job", "local", 3)),
        ("traces-my-agent-job-local-3.log.gz", ("my-agent-job", "local", 3)),
        (
            "traces-run-20261202T141500-abc123-local-0.log",
            ("run-20261202T141500-abc123", "local", 0),
        ),
        # one dash between job and task: no doubt
        ("traces-4f1e2d3c-weather_agent-3.log", ("4f1e2d3c", "weather_agent", 3)),
        # dashes in both: the name cannot say where the job ends (the subtask it can)
        ("traces-my-job-action-execute-operator-2.log", (None, None, 2)),
        ("events-nightly-batch-chat-agent-1.log.gz", (None, None, 1)),
    ],
)
def test_the_file_name_gives_what_it_tells_for_sure(
    tmp_path: Path, name: str, where: tuple[object, object, object]
) -> None:
    data = TRACE.read_bytes()
    path = tmp_path / name
    if name.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    log = fa.read_event_log(path)
    assert log.problems == []
    assert _where(log.frame) == {where}


def test_a_local_run_with_a_job_identifier_with_dashes(tmp_path: Path) -> None:
    class Echo(fa.Agent):
        @fa.action(fa.InputEvent)
        @staticmethod
        def echo(event: fa.Event, ctx: fa.RunnerContext) -> None:
            ctx.send_event(fa.OutputEvent(output=event.input))

    config = {"trace-log.base-dir": str(tmp_path), "job-identifier": "support-desk-eu"}
    fa.local(config=config).from_list([{"key": "a", "value": 1}]).apply(Echo()).execute()
    (written,) = tmp_path.glob("traces-*.log")
    assert written.name == "traces-support-desk-eu-local-0.log"
    log = fa.read_event_log(tmp_path)
    # (was job 'support', task 'desk-eu-local')
    assert _where(log.frame) == {("support-desk-eu", "local", 0)}


def test_the_records_own_job_task_and_subtask_win_over_the_file_name(tmp_path: Path) -> None:
    """SLF4J-form records say where they come from; in a file whose name says otherwise (or
    cannot say), each record keeps its own, and only records without them take the name's."""
    records = [json.loads(line) for line in TRACE.read_text(encoding="utf-8").splitlines()]
    own = {"jobId": "nightly-batch", "taskName": "chat-agent -> sink", "subtaskId": 5}
    lines = [json.dumps({**r, **own} if i % 2 else r) + "\n" for i, r in enumerate(records)]
    clear = tmp_path / "clear" / f"traces-{FLINK_JOB}-agent-1.log"
    unclear = tmp_path / "unclear" / "traces-nightly-batch-chat-agent-1.log"
    for path in (clear, unclear):
        path.parent.mkdir()
        path.write_text("".join(lines), encoding="utf-8")
    from_records = ("nightly-batch", "chat-agent -> sink", 5)
    for path, from_name in ((clear, (FLINK_JOB, "agent", 1)), (unclear, (None, None, 1))):
        f = fa.read_event_log(path.parent).frame.sort_values("line")
        assert f["line"].tolist() == list(range(1, len(records) + 1))
        odd = f["line"].to_numpy() % 2 == 0  # (lines are 1-based: record i is line i + 1)
        assert _where(f[odd]) == {from_records}
        assert _where(f[~odd]) == {from_name}
