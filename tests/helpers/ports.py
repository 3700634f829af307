"""Free loopback ports for the servers the tests start, and waiting for one to listen."""

from __future__ import annotations

import socket
import subprocess
import time


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(
    port: int, timeout: float = 60.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Return once 127.0.0.1:``port`` accepts a TCP connection (polled every 0.2 s).

    Raises :class:`TimeoutError` naming the port after ``timeout`` seconds, and
    :class:`RuntimeError` with its exit code as soon as ``process`` (the server being
    waited for) has exited.
    """
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"the server for 127.0.0.1:{port} exited with code {process.returncode}"
            )
        if time.monotonic() >= deadline:
            raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:g} s")
        time.sleep(0.2)
