"""A standalone cluster's whole ``log/`` directory read as an event log: the trace files a
job wrote there (``trace-log.base-dir``) and the Trace Log records another job's SLF4J
output routed into the TaskManager's log are read; Flink's own logs are each named once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import flink_agents_nb as fa
from tests.flink.test_flink_cluster import INPUTS, Greeter

pytestmark = [pytest.mark.flink, pytest.mark.slow, pytest.mark.usefixtures("clean_env")]


def test_the_clusters_log_directory(flink_cluster: Any, tmp_path: Path) -> None:
    log_dir = Path(flink_cluster.log_dir)
    everything = [{"scope": "ALL", "detail": "STANDARD"}]
    into_tm = fa.submit(
        Greeter(), INPUTS, flink_cluster.rest_url, log_dir=str(tmp_path / "a"),
        config={"trace-log.output-type": "SLF4J", "trace-log.targets": everything},
    )  # fmt: skip
    into_tm.result(timeout=240)
    as_files = fa.submit(
        Greeter(), INPUTS, flink_cluster.rest_url, log_dir=str(tmp_path / "b"),
        config={"trace-log.base-dir": str(log_dir), "trace-log.targets": everything},
    )  # fmt: skip
    as_files.result(timeout=240)
    names = sorted(p.name for p in log_dir.iterdir())
    flinks = [n for n in names if n.startswith("flink-") and n.endswith(".log")]
    assert any("-taskexecutor-" in n for n in flinks), names
    assert any("-standalonesession-" in n for n in flinks), names

    log = fa.read_event_log(log_dir)
    assert all(p.line is None for p in log.problems), log.problems[:5]  # none per line
    by_file: dict[str, list[str]] = {}
    for p in log.problems:
        by_file.setdefault(Path(p.file).name, []).append(p.reason)
    assert all(len(reasons) == 1 for reasons in by_file.values()), by_file
    jm = [n for n in flinks if "-standalonesession-" in n]
    assert [by_file[n][0] for n in jm] == [
        "Flink's standalonesession log (timestamped text lines, no event-log record in it): "
        "not read"
    ] * len(jm)
    frame = log.frame
    files = frame["file"].astype(str).map(lambda f: Path(f).name)
    # the trace files: the Flink job id and task from their names
    mine = frame[frame["job"] == as_files.job_id]
    assert len(mine) and set(files[mine.index]) <= {n for n in names if n.startswith("traces-")}
    assert set(mine["subtask"]) <= {0, 1, 2, 3} and mine["task"].notna().all()
    # the TaskManager's log: the SLF4J records say their job themselves
    routed = frame[frame["job"] == into_tm.job_id]
    assert len(routed) and set(files[routed.index]) <= set(flinks)
    tm_logs = set(files[routed.index])
    assert all("-taskexecutor-" in n for n in tm_logs)
    assert all("its own and not event-log records, not listed" in by_file[n][0] for n in tm_logs)
    for frame_of_job in (mine, routed):
        greets = frame_of_job[
            (frame_of_job["record_type"] == "action") & (frame_of_job["action"] == "greet")
        ]
        assert len(greets) == len(INPUTS) and set(greets["status"]) == {"ok"}
