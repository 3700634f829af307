"""``fa.preflight()`` and ``flink-agents-nb doctor`` without a cluster: each check's finding
names what it saw and what to do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import flink_agents_nb as fa
from tests.helpers.ports import free_port


def test_a_sound_setup_is_ready_with_warnings_for_what_is_optional(tmp_path: Path) -> None:
    conf = tmp_path / "config.yaml"
    conf.write_text(f"agent:\n  baseLogDir: {tmp_path / 'logs'}\n")
    report = fa.preflight(conf, rest_url=None)
    checks = {f.check: f for f in report.findings}
    assert checks["configuration"].status == "ok"
    assert checks["event-log directory"].status == "ok"
    assert checks["java"].status == "ok" and "Java" in checks["java"].detail
    assert checks["pyflink"].detail.startswith("apache-flink 2.3")
    assert checks["action state store"].status == "warn"
    assert "actionStateStoreBackend" in checks["action state store"].todo
    assert report.ok
    assert "preflight: ready" in str(report)


def test_bad_config_unwritable_log_dir_and_unreachable_cluster_fail_naming_them(
    tmp_path: Path,
) -> None:
    conf = tmp_path / "config.yaml"
    conf.write_text("agent:\n  max-retries: lots\n")
    url = f"http://127.0.0.1:{free_port()}"
    report = fa.preflight(conf, rest_url=url)
    checks = {f.check: f for f in report.findings}
    assert checks["configuration"].status == "fail"
    assert "max-retries" in checks["configuration"].detail
    assert checks["cluster"].status == "fail" and url in checks["cluster"].detail
    assert not report.ok

    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a directory")
    conf.write_text(f"agent:\n  baseLogDir: {blocked / 'logs'}\n")
    checks = {f.check: f for f in fa.preflight(conf, rest_url=url).findings}
    assert checks["event-log directory"].status == "fail"
    assert str(blocked / "logs") in checks["event-log directory"].detail
    html = fa.preflight(conf, rest_url=url)._repr_mimebundle_()["text/html"]
    assert "NOT ready" in html


@pytest.mark.slow
def test_doctor_command_exits_by_verdict_and_prints_json(tmp_path: Path) -> None:
    conf = tmp_path / "config.yaml"
    conf.write_text(f"agent:\n  baseLogDir: {tmp_path}\n")
    cli = Path(sys.executable).parent / "flink-agents-nb"
    command = [str(cli)] if cli.exists() else [sys.executable, "-m", "flink_agents_nb.cli._main"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLINK_AGENTS_NB_")}
    ok = subprocess.run(
        [*command, "doctor", "--config", str(conf), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert ok.returncode == 0, ok.stderr
    assert {f["check"] for f in json.loads(ok.stdout)} >= {"configuration", "java", "pyflink"}
    bad = subprocess.run(
        [*command, "doctor", "--config", str(conf), "--rest", f"http://127.0.0.1:{free_port()}"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert bad.returncode == 1
    assert "[FAIL] cluster: no Flink cluster answers at" in bad.stdout
