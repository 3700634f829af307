"""The README's main job: `flink-agents-nb quickstart`, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_quickstart_prints_outputs_and_a_summary(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("flink-agents-nb")
    done = subprocess.run(
        [str(exe), "quickstart"], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == [  # the output fields first, then where they came from
        "output.customer",
        "output.item",
        "output.total",
        "output.orders",
        "output.status",
        "key",
        "input_seq",
    ]
    assert lines[3].split() == ["ada", "desk", "115.0", "2", "vip", "ada", "2"]
    assert "8 inputs -> 8 outputs" in done.stdout
    assert "24 events, 16 actions" in done.stdout
    assert "orders counted by the score action: 8" in done.stdout


def test_cli_without_a_command_explains_usage() -> None:
    exe = Path(sys.executable).with_name("flink-agents-nb")
    done = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "quickstart" in done.stderr


def test_a_bad_option_is_one_line_naming_it_not_a_traceback(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("flink-agents-nb")
    env = {**os.environ, "FLINK_AGENTS_NB_MAX_RETRIES": "abc"}
    done = subprocess.run(
        [str(exe), "quickstart"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.startswith("flink-agents-nb quickstart: config key 'max-retries' from env ")
    assert "FLINK_AGENTS_NB_MAX_RETRIES" in done.stderr and "Traceback" not in done.stderr
