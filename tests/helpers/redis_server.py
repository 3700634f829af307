"""A redis-server (Debian's, installed by .ci/setup) on 127.0.0.1, a free port and a password,
for the shared action state store backend. ``with redis_server(dir) as url: ...``."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers.ports import free_port

PASSWORD = "pw-123"


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """Start redis-server (no persistence) and yield its URL; stop it on exit."""
    from flink_agents_runtime._errors import ActionStateStoreError
    from flink_agents_runtime.durable import RedisActionStateStore

    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server is not installed: run .ci/setup (apt-get install)")
    port = free_port()
    args = [exe, "--bind", "127.0.0.1", "--port", str(port), "--requirepass", PASSWORD]
    args += ["--dir", str(workdir), "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://:{PASSWORD}@127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                RedisActionStateStore(url, "probe").close()
                break
            except ActionStateStoreError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
