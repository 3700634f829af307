"""``flink-agents-nb logs``: run as users do, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "eventlog_corpus"
CLI = Path(sys.executable).parent / "flink-agents-nb"


def logs(*args: str) -> subprocess.CompletedProcess[str]:
    command = [str(CLI)] if CLI.exists() else [sys.executable, "-m", "flink_agents_nb.cli._main"]
    return subprocess.run([*command, "logs", *args], capture_output=True, text=True, timeout=120)


def test_summary_text() -> None:
    out = logs(str(CORPUS / "ours.log"))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "event log: 3 records (2 events, 1 actions) from 1 file(s), 0 problem(s)"
    assert "time span: 2025-03-01T10:00:00.000100+00:00 .. " in out.stdout
    assert "tokens: 11 prompt, 4 completion" in lines
    assert "events per type: _input_event: 1, _chat_response_event: 1" in lines
    assert "events per key: k1: 2" in lines


def test_summary_json_lists_problems_with_file_and_line() -> None:
    out = logs(str(CORPUS / "malformed.log"), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["records"] == 2 and doc["events_per_key"] == {"m": 2}
    assert [(Path(p["file"]).name, p["line"]) for p in doc["problems"]] == [
        ("malformed.log", 2),
        ("malformed.log", 3),
        ("malformed.log", 4),
    ]


def test_tree_text_and_json() -> None:
    out = logs(str(CORPUS / "ours.log"), "--tree", "k1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        '_input_event {"input":"hi"}  (key \'k1\')',
        "└─ action reply [ok] 2.500 ms",
        '   └─ _chat_response_event {"response":{"content":"hello","extra_args":{"model_name"...',
    ]
    doc = json.loads(logs(str(CORPUS / "ours.log"), "--tree", "k1", "--json").stdout)
    (tree,) = doc["trees"]
    assert tree["name"] == "_input_event"
    assert tree["children"][0]["children"][0]["event_id"] == "e2"


def test_unknown_key_and_missing_path_exit_2(tmp_path: Path) -> None:
    out = logs(str(CORPUS / "ours.log"), "--tree", "nobody")
    assert out.returncode == 2 and "no input with key 'nobody'" in out.stderr
    out = logs(str(tmp_path / "missing"))
    assert out.returncode == 2 and "no event log at" in out.stderr


def test_output_into_a_pipe_closed_early_is_no_traceback(tmp_path: Path) -> None:
    """``flink-agents-nb logs DIR | head -1``: the reader closes the pipe after a line; the
    command stops quietly (exit 141, as for SIGPIPE), no BrokenPipeError traceback."""
    rows = (
        json.dumps({"timestamp": "2025-03-01T10:00:00Z", "recordType": "event",
                    "eventId": f"e{i}", "eventType": "_input_event", "eventAttributes": {},
                    "key": f"customer-{i:06d}"})
        for i in range(20_000)
    )  # fmt: skip
    (tmp_path / "many.log").write_text("\n".join(rows) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "flink_agents_nb.cli._main", "logs", str(tmp_path)]
    proc = subprocess.Popen(
        [*command, "--max-rows", "100000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )  # the summary is ~400 KB: more than a pipe holds
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(5) == b"event"
    proc.stdout.close()  # as head does after its lines
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_a_trace_log_its_problems_in_line_order_and_its_tree() -> None:
    out = logs(str(CORPUS / "taskmanager.log.trace-log.log"))
    assert out.returncode == 0, out.stderr
    lines = [
        line.split(": ", 1)[1] for line in out.stdout.splitlines() if line.startswith("problem")
    ]
    assert [int(line.split(":")[1]) for line in lines] == [2, 6, 8, 9, 10]
    out = logs(str(CORPUS / "traces-4f1e2d3c-weather_agent-0.log"), "--tree", "u2")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == (
        "         └─ llm qwen [failed] 7.000 ms (qwen3:8b): read timed out after 30 s"
    )


def test_an_otlp_file_is_read_as_spans_not_refused_line_by_line() -> None:
    out = logs(str(CORPUS / "otlp_other_tool.jsonl"))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("event log: 7 records (3 events, 1 actions, 3 calls)")
    assert "tokens: 277 prompt, 92 completion" in lines
    assert "not an event-log record" not in out.stdout
    tree = logs(str(CORPUS / "otlp_other_tool.jsonl"), "--tree", "conv_5j66").stdout
    assert "   ├─ tool get_weather [failed] 250.000 ms: timeout" in tree


def test_help_describes_the_formats_in_plain_words() -> None:
    out = logs("--help")
    assert out.returncode == 0
    assert "``" not in out.stdout and "0.4 Trace Log" in out.stdout


def test_a_directory_of_flinks_own_logs_only_names_each_and_exits_2(tmp_path: Path) -> None:
    line = "2026-12-02 13:56:11,544 INFO  org.apache.flink.runtime.taskexecutor.Task [] - x\n"
    (tmp_path / "flink-bob-taskexecutor-0-host.log").write_text(line * 50)
    (tmp_path / "flink-bob-standalonesession-0-host.log").write_text(line * 50)
    (tmp_path / "flink-bob-taskexecutor-0-host.out").write_text("")
    out = logs(str(tmp_path))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.splitlines() == [
        f"flink-agents-nb logs: {tmp_path}/flink-bob-standalonesession-0-host.log: Flink's "
        "standalonesession log (timestamped text lines, no event-log record in it): not read",
        f"flink-agents-nb logs: {tmp_path}/flink-bob-taskexecutor-0-host.log: Flink's "
        "taskexecutor log (timestamped text lines, no event-log record in it): not read",
        f"flink-agents-nb logs: no event-log file in {tmp_path}",
    ]
