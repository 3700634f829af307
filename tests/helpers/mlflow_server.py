"""An MLflow tracking server (OTLP trace ingest at ``/v1/traces``) on 127.0.0.1 and a free
port, with a SQLite store in a temporary directory: ``with mlflow_server(dir) as url: ...``.

MLflow 3.17 is the OpenTelemetry-native trace server that installs beside PyFlink (its pins
fit protobuf < 6; Arize Phoenix needs protobuf 7). Started in its own process group and
stopped (group terminated) on exit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.helpers.ports import free_port


@contextmanager
def mlflow_server(workdir: Path, timeout_s: float = 180.0) -> Iterator[str]:
    """Start ``mlflow server`` and yield its URL once ``/health`` answers; stop it on exit."""
    port = free_port()
    exe = Path(sys.executable).parent / "mlflow"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "mlflow"]
    args = [*command, "server", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--backend-store-uri", f"sqlite:///{workdir / 'mlflow.db'}"]
    args += ["--default-artifact-root", str(workdir / "artifacts"), "--workers", "1"]
    env = {**os.environ, "MLFLOW_ENABLE_TELEMETRY": "false", "DO_NOT_TRACK": "1"}
    log = open(workdir / "mlflow.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = (workdir / "mlflow.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"mlflow server did not start on {url}:\n{tail}")
            time.sleep(0.5)
        yield url
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()
