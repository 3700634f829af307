"""A real Prometheus (Debian's package) on 127.0.0.1 scraping given targets, and a query."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.helpers.ports import free_port


@contextmanager
def prometheus_server(targets: list[str], interval_s: int = 1) -> Iterator[str]:
    """Run Prometheus scraping ``targets`` (``host:port``) every ``interval_s`` seconds (the
    scrape timeout is the interval); yields its URL, stops it after."""
    binary = shutil.which("prometheus")
    if binary is None:
        raise RuntimeError("prometheus is not installed (bash .ci/setup installs Debian's)")
    root = Path(tempfile.mkdtemp(prefix="prometheus-"))
    (root / "prometheus.yml").write_text(
        f"global:\n  scrape_interval: {interval_s}s\n  scrape_timeout: {interval_s}s\n"
        "scrape_configs:\n  - job_name: flink\n    static_configs:\n"
        f"      - targets: [{', '.join(repr(t) for t in targets)}]\n"
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={root / 'prometheus.yml'}",
            f"--storage.tsdb.path={root / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(root / "prometheus.log").open("w"),
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError((root / "prometheus.log").read_text()[-2000:])
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)


def query(url: str, promql: str) -> list[dict[str, Any]]:
    """The instant vector ``promql`` evaluates to now: ``[{"metric": labels, "value":
    [time, "number"]}, ...]``."""
    answer = httpx.get(f"{url}/api/v1/query", params={"query": promql}, timeout=5).json()
    assert answer.get("status") == "success", answer
    return list(answer["data"]["result"])


def targets(url: str) -> list[dict[str, Any]]:
    """The active scrape targets with their health and last error."""
    answer = httpx.get(f"{url}/api/v1/targets", timeout=5).json()
    return list(answer["data"]["activeTargets"])
