"""Test helpers around the kit's standalone cluster: ``flink run`` against it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from flink_agents_nb.flink._standalone import StandaloneCluster, pyflink_home

__all__ = ["StandaloneCluster", "flink_run", "pyflink_home"]


def flink_run(
    cluster: StandaloneCluster, script: Path, *args: str, detached: bool = False
) -> subprocess.CompletedProcess[str]:
    """``flink run -py script args`` against ``cluster`` with this interpreter on both sides
    (``-d``: return once submitted, for unbounded jobs)."""
    import sys

    env = dict(
        os.environ,
        FLINK_CONF_DIR=str(cluster.root / "conf"),
        FLINK_LIB_DIR=str(cluster.root / "lib"),
        FLINK_HOME=str(pyflink_home()),
    )
    command = ["bash", str(pyflink_home() / "bin" / "flink"), "run"]
    if detached:
        command.append("-d")
    command += [
        "-m",
        cluster.rest_url.removeprefix("http://"),
        "-pyclientexec",
        sys.executable,
        "-pyexec",
        sys.executable,
        "-py",
        str(script),
        *args,
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
