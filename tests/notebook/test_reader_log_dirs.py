"""A user points the reader at Flink's whole ``log/`` directory: it reads the event logs and
Trace Logs there (by name, or other programs' logs holding records) and names each file it
skips once, never one problem per line of Flink's own logs."""
# ruff: noqa: E501 - Flink's log lines below are as long as Flink writes them

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

import flink_agents_nb as fa
from flink_agents_nb.eventlog.files._files import LogProblem, list_log_files, read_records
from flink_agents_nb.eventlog.files._sources import fold_own_lines

CORPUS = Path(__file__).resolve().parents[1] / "eventlog_corpus"
TRACE = CORPUS / "traces-4f1e2d3c-weather_agent-0.log"
JOB = "3c0a2b9ee1f04d7b8a6f5e4d3c2b1a09"

#: Lines as Flink 2.3's daemons write them (the wheel's log4j.properties layout), blank and
#: multi-line parts included (the TaskManager's start-up banner, a stack trace).
FLINK_LINES = """\
2026-12-02 13:56:11,544 INFO  org.apache.flink.runtime.taskexecutor.TaskManagerRunner      [] - --------------------------------------------------------------------------------
2026-12-02 13:56:11,545 INFO  org.apache.flink.runtime.taskexecutor.TaskManagerRunner      [] -  Preconfiguration:
2026-12-02 13:56:11,545 INFO  org.apache.flink.runtime.taskexecutor.TaskManagerRunner      [] -


RESOURCE_PARAMS extraction logs:
jvm_params: -Xmx469762039 -Xms469762039 -XX:MaxDirectMemorySize=255013685
logs: INFO  [] - Using standard YAML parser to load flink configuration file from conf/config.yaml.
2026-12-02 13:05:20,697 INFO  org.apache.flink.runtime.state.changelog.StateChangelogStorageLoader [] - StateChangelogStorageLoader initialized with shortcut names {memory,filesystem}.
\t\tAvailable: ResourceProfile{cpuCores=1, taskHeapMemory=320.000mb (335544311 bytes)}
2026-12-02 13:56:16,567 WARN  org.apache.flink.runtime.taskmanager.Task                    [] - Source: Custom Source -> agent (1/1)#0 switched from RUNNING to FAILED.
java.lang.RuntimeException: boom
\tat org.apache.flink.streaming.runtime.tasks.StreamTask.invoke(StreamTask.java:800) ~[flink-dist-2.3.0.jar:2.3.0]
"""


def _trace_lines() -> list[str]:
    return TRACE.read_text(encoding="utf-8").splitlines()


def _flink_log_dir(root: Path) -> dict[str, Path]:
    """A standalone cluster's ``log/`` with ``trace-log.base-dir`` pointed at it: Flink's
    own logs (current, rotated, ``.out``), a GC log, the SLF4J Trace Log file upstream's
    appender writes, a trace file, and the TaskManager's log with the kit's SLF4J records
    routed into it by PyFlink (``<file>.py:<line> [] - {...}``)."""
    log = root / "log"
    log.mkdir()
    host = "flink-alice-{}-0-node-1.example.org"
    tm, jm = host.format("taskexecutor"), host.format("standalonesession")
    routed = "2026-12-02 13:56:18,427 INFO  /tmp/python-dist-c3e1/flink_agents_runtime/"
    routed += "eventlog/_trace_sink.py:233 [] - "
    where = {"jobId": JOB, "taskName": "agent -> Sink", "subtaskId": 1}
    slf4j = []
    for line in _trace_lines():  # as upstream's SLF4J logger: these after the level
        record = json.loads(line)
        head = {k: record.pop(k) for k in ("timestamp", "detail") if k in record}
        slf4j.append(json.dumps({**head, **where, **record}))
    paths = {
        "tm": log / f"{tm}.log",
        "tm_rotated": log / f"{tm}.log.1",
        "tm_out": log / f"{tm}.out",
        "jm": log / f"{jm}.log",
        "jm_out": log / f"{jm}.out",
        "client": log / "flink-alice-client-node-1.example.org.log",
        "gc": log / "gc.log",
        "slf4j": log / f"{tm}.log.trace-log.log",
        "slf4j_rotated": log / f"{tm}.log.trace-log.log.1",
        "trace": log / f"traces-{JOB}-agent -_ Sink-0.log",
    }
    paths["tm"].write_text(
        FLINK_LINES + "".join(routed + line + "\n" for line in slf4j[:10]) + FLINK_LINES,
        encoding="utf-8",
    )
    paths["tm_rotated"].write_text(FLINK_LINES * 3, encoding="utf-8")
    paths["tm_out"].write_text("RESOURCE_PARAMS extraction logs:\n", encoding="utf-8")
    paths["jm"].write_text(FLINK_LINES.replace("taskexecutor", "dispatcher"), encoding="utf-8")
    paths["jm_out"].write_text("", encoding="utf-8")
    paths["client"].write_text(FLINK_LINES, encoding="utf-8")
    paths["gc"].write_text(
        "[2026-12-02T13:56:11.001+0000][info][gc] Using G1\n"
        "[2026-12-02T13:56:12.310+0000][info][gc] GC(0) Pause Young (Normal) 24M->3M(512M)\n",
        encoding="utf-8",
    )
    paths["slf4j"].write_text("\n".join(slf4j[10:20]) + "\n", encoding="utf-8")
    paths["slf4j_rotated"].write_text("\n".join(slf4j[20:]) + "\n", encoding="utf-8")
    paths["trace"].write_text(TRACE.read_text(encoding="utf-8"), encoding="utf-8")
    return paths


def test_flinks_log_directory_reads_the_trace_logs_and_names_each_skipped_file(
    tmp_path: Path,
) -> None:
    paths = _flink_log_dir(tmp_path)
    log = fa.read_event_log(tmp_path / "log")
    assert sorted(log.files) == sorted(
        str(paths[k]) for k in ("tm", "slf4j", "slf4j_rotated", "trace")
    )
    lines = len(_trace_lines())
    assert len(log.frame) == 2 * lines  # the trace file, and the SLF4J records in 3 files
    problems = {Path(p.file).name: p for p in log.problems}
    assert len(problems) == len(log.problems) == 5  # one a file, no line numbers
    assert all(p.line is None for p in log.problems)
    for key, what in (
        ("tm_rotated", "Flink's taskexecutor log"),
        ("jm", "Flink's standalonesession log"),
        ("client", "Flink's client log"),
        ("gc", "a JVM garbage collection log"),
    ):
        assert problems[paths[key].name].reason == (
            f"{what} (timestamped text lines, no event-log record in it): not read"
        )
    folded = problems[paths["tm"].name].reason
    own = 2 * sum(1 for line in FLINK_LINES.splitlines() if line.strip())  # (blank: none)
    assert folded == (
        f"{own} lines of Flink's taskexecutor log, its own and not event-log records, "
        "not listed (read the file alone to list each)"
    )
    # the SLF4J records say where they come from; the trace file's name does (a Flink job id)
    where = log.frame.groupby(log.frame["file"].astype(str).map(lambda f: Path(f).name))
    assert set(where["job"].unique().explode()) == {JOB}
    tasks = {Path(f).name: set(t) for f, t in where["task"].unique().items()}
    assert tasks[paths["trace"].name] == {"agent -_ Sink"}
    assert tasks[paths["tm"].name] == {"agent -> Sink"}
    # the routed records are the same rows as read from a file of their own
    plain = fa.read_event_log(TRACE).frame
    routed = log.frame[log.frame["file"].astype(str) == str(paths["tm"])]
    columns = ["record_type", "timestamp", "event_id", "action", "status", "run_id"]
    expect = plain[columns].iloc[:10].sort_values("timestamp", kind="stable")
    pd.testing.assert_frame_equal(
        routed[columns].reset_index(drop=True), expect.reset_index(drop=True)
    )


def test_a_text_log_named_alone_is_read_as_before(tmp_path: Path) -> None:
    """A file named alone is read whatever it holds: each line that is no record is a
    problem with its line (the reader does not guess the user meant otherwise)."""
    paths = _flink_log_dir(tmp_path)
    alone = fa.read_event_log(paths["tm"])
    assert len(alone.frame) == 10
    assert alone.problems and all(p.line is not None for p in alone.problems)
    assert fa.read_event_log(paths["gc"]).problems[0].line == 1


def test_a_broken_record_in_a_text_log_is_still_listed(tmp_path: Path) -> None:
    routed = "2026-10-12 10:00:00,123 INFO  org.apache.flink.agents.TraceLog [] - "
    lines = [routed + line for line in _trace_lines()[:3]]
    lines.insert(2, routed + '{"timestamp": "2026-11-02T10:00:00.030Z", "detail": ')
    (tmp_path / "app.log").write_text(FLINK_LINES + "\n".join(lines) + "\n", encoding="utf-8")
    log = fa.read_event_log(tmp_path)
    assert len(log.frame) == 3
    listed = [(p.line, p.reason[:14]) for p in log.problems if p.line is not None]
    assert listed == [(FLINK_LINES.count("\n") + 3, "not valid JSON")]
    (folded,) = [p for p in log.problems if p.line is None]
    assert "lines of a text log of another program, its own" in folded.reason


def test_the_fold_judges_the_lines_as_the_reader_read_them(tmp_path: Path) -> None:
    """Whether a bad line of a text log is a broken record is told by the reader, which had
    the line: the fold does not read the file again (a live log may have grown or rotated
    under its name meanwhile; here it is replaced by lines that each open a record)."""
    routed = "2026-10-12 10:00:00,123 INFO  org.apache.flink.agents.TraceLog [] - "
    lines = [routed + line for line in _trace_lines()[:3]]
    lines.insert(2, routed + '{"timestamp": "2026-11-02T10:00:00.030Z", "detail": ')
    path = tmp_path / "app.log"
    path.write_text(FLINK_LINES + "\n".join(lines) + "\n", encoding="utf-8")
    problems: list[LogProblem] = []
    text_logs: dict[str, str] = {}
    for file in list_log_files(tmp_path, problems, text_logs):
        for _ in read_records(file, problems):
            pass
    path.write_text("{\n" * 100, encoding="utf-8")
    fold_own_lines(problems, text_logs)
    own = sum(1 for line in FLINK_LINES.splitlines() if line.strip())
    folded, broken = problems
    assert folded.line is None
    assert folded.reason.startswith(f"{own} lines of a text log of another program, its own")
    assert broken.line == FLINK_LINES.count("\n") + 3
    assert broken.reason.startswith("not valid JSON")


def test_names_the_kit_writes_are_read_whatever_their_first_line(tmp_path: Path) -> None:
    """Files named as event logs are never sniffed: one starting with junk is read and its
    junk reported by line, as before; other names starting with JSON, gzip or junk too."""
    junk = "2026-12-02 13:56:11,544 not a record\n"
    (tmp_path / f"traces-{JOB}-agent-0.log").write_text(junk + TRACE.read_text())
    (tmp_path / "mine.jsonl").write_text(TRACE.read_text())
    (tmp_path / "old.log.gz").write_bytes(gzip.compress(TRACE.read_bytes()))
    (tmp_path / "notes.log").write_text("just some words\n")
    (tmp_path / "README.md").write_text("2026-12-02 13:56:11,544 INFO not a log file\n")
    problems: list[LogProblem] = []
    files = list_log_files(tmp_path, problems)
    assert [f.name for f in files] == [
        "mine.jsonl",
        "notes.log",
        "old.log.gz",
        f"traces-{JOB}-agent-0.log",
    ]
    assert problems == []
    log = fa.read_event_log(tmp_path)
    assert [(Path(p.file).name, p.line) for p in log.problems] == [
        ("notes.log", 1),
        (f"traces-{JOB}-agent-0.log", 1),
    ]


def test_the_corpus_directory_reads_the_same_files(tmp_path: Path) -> None:
    """Every corpus file is JSON, gzip, empty or junk: none is taken for a text log."""
    problems: list[LogProblem] = []
    files = list_log_files(CORPUS, problems)
    assert len(files) == 18 and problems == []


def test_lines_past_the_listing_cap_are_counted_in_the_fold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk lists at most MAX_PROBLEMS_PER_FILE bad lines and sums up the rest in one
    problem: the fold counts those too (a 100 MB TaskManager log has ~25k listed)."""
    from flink_agents_nb.eventlog.files import _general_path

    paths = _flink_log_dir(tmp_path)
    whole = fa.read_event_log(tmp_path / "log").problems
    monkeypatch.setattr(_general_path, "MAX_PROBLEMS_PER_FILE", 5)
    capped = fa.read_event_log(tmp_path / "log").problems
    assert capped == whole
    (folded,) = [p for p in capped if p.file == str(paths["tm"])]
    assert folded.reason.startswith("22 lines of Flink's taskexecutor log")
