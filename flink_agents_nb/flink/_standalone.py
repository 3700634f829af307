"""A standalone Flink session cluster on 127.0.0.1, started from the PyFlink wheel's scripts.

For rehearsing operations before a real cluster: ``StandaloneCluster(taskmanagers=2).start()``
writes a ``config.yaml`` with free ports (REST, RPC, blob, data) into a temp directory, runs
``pyflink/bin/jobmanager.sh start`` and ``taskmanager.sh start`` (once per task manager) with
``FLINK_HOME`` = the pyflink package and ``FLINK_CONF_DIR``/``FLINK_LOG_DIR``/
``FLINK_PID_DIR``/``FLINK_LIB_DIR`` (the wheel's jars plus ``opt/flink-python``, which Python
jobs need)/``FLINK_PLUGINS_DIR`` in it, and waits until the REST API reports the task
managers. ``prometheus=True`` turns on Flink's Prometheus reporter (the wheel's plugin) on
free ports. ``stop()`` stops every daemon. Everything binds to loopback.

When a reporter closes a scrape without an answer, the cause is an exception inside its
collect, which the JDK's HTTP server logs only through ``java.util.logging`` at FINER: add
``env.java.opts.taskmanager: -Djava.util.logging.config.file=F`` to ``conf/config.yaml``
with ``F`` setting ``handlers=java.util.logging.ConsoleHandler``,
``java.util.logging.ConsoleHandler.level=ALL`` and ``com.sun.net.httpserver.level=ALL``; the
stack trace lands in the task manager's ``.out`` file (how the ``Gauge<Long>`` cast failure
fixed in ``drivers/flink/_metrics.py`` was found).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import yaml

from flink_agents_nb.flink._rest import ClusterError


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pyflink_home() -> Path:
    """The pyflink package directory (it holds ``bin/``, ``lib/``, ``conf/``)."""
    import pyflink

    return Path(pyflink.__file__).resolve().parent


class StandaloneCluster:
    """One jobmanager and ``taskmanagers`` task managers on loopback.

    Attributes:
        rest_url: ``http://127.0.0.1:<port>``.
        root: the temp dir holding ``conf/``, ``log/`` and ``pid/``.
        start_s: seconds ``start()`` took until a task manager registered.
    """

    def __init__(
        self,
        slots: int = 2,
        root: str | None = None,
        taskmanagers: int = 1,
        prometheus: bool = False,
        heartbeat_timeout_ms: int | None = None,
    ) -> None:
        self.slots = slots
        self.taskmanagers = taskmanagers
        #: How soon a dead task manager is noticed (Flink's default: 50 s).
        self.heartbeat_timeout_ms = heartbeat_timeout_ms
        #: Ports configured for the Prometheus reporter: the job manager and each task
        #: manager take the first one free, two spare for added task managers or a port
        #: taken meanwhile (:meth:`prometheus_targets` lists the ones answering).
        self.prometheus_ports: list[int] = (
            [free_port() for _ in range(taskmanagers + 3)] if prometheus else []
        )
        self.root = Path(root or tempfile.mkdtemp(prefix="flink-standalone-"))
        self.rest_port = free_port()
        self.rest_url = f"http://127.0.0.1:{self.rest_port}"
        self.start_s = 0.0
        self._started = False

    @property
    def log_dir(self) -> Path:
        """Where the daemons write their logs."""
        return self.root / "log"

    def _env(self) -> dict[str, str]:
        home = pyflink_home()
        env = dict(os.environ)
        env.update(
            FLINK_HOME=str(home),
            FLINK_CONF_DIR=str(self.root / "conf"),
            FLINK_LOG_DIR=str(self.log_dir),
            FLINK_PID_DIR=str(self.root / "pid"),
            FLINK_LIB_DIR=str(self.root / "lib"),
            FLINK_PLUGINS_DIR=str(self.root / "plugins"),
        )
        return env

    def _write_config(self) -> None:
        conf = self.root / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        for name in ("log4j.properties", "log4j-console.properties", "logback.xml"):
            src = pyflink_home() / "conf" / name
            if src.exists():
                shutil.copy(src, conf / name)
        # lib/: the wheel's jars plus opt/flink-python (Python jobs need it on the cluster's
        # classpath, as a PyFlink-ready distribution has it); links, the wheel stays untouched.
        lib = self.root / "lib"
        lib.mkdir(exist_ok=True)
        home = pyflink_home()
        for jar in [*(home / "lib").glob("*.jar"), *(home / "opt").glob("flink-python-*.jar")]:
            link = lib / jar.name
            if not link.exists():
                link.symlink_to(jar)
        # plugins/: the wheel's Prometheus reporter when asked for (links as for lib/).
        plugins = self.root / "plugins"
        plugins.mkdir(exist_ok=True)
        if self.prometheus_ports and not (plugins / "metrics-prometheus").exists():
            (plugins / "metrics-prometheus").symlink_to(home / "plugins" / "metrics-prometheus")
        (self.root / "log").mkdir(exist_ok=True)
        (self.root / "pid").mkdir(exist_ok=True)
        lines = {
            "jobmanager.rpc.address": "127.0.0.1",
            "jobmanager.rpc.port": free_port(),
            "jobmanager.bind-host": "127.0.0.1",
            "jobmanager.memory.process.size": "1000m",
            "taskmanager.bind-host": "127.0.0.1",
            "taskmanager.host": "127.0.0.1",
            # One task manager: fixed free ports; several: each picks its own (0).
            "taskmanager.rpc.port": free_port() if self.taskmanagers == 1 else 0,
            "taskmanager.data.port": free_port() if self.taskmanagers == 1 else 0,
            "taskmanager.numberOfTaskSlots": self.slots,
            "taskmanager.memory.process.size": "1600m",
            "blob.server.port": free_port(),
            "rest.address": "127.0.0.1",
            "rest.bind-address": "127.0.0.1",
            "rest.port": self.rest_port,
            "parallelism.default": 1,
        }
        if self.heartbeat_timeout_ms:
            lines["heartbeat.timeout"] = int(self.heartbeat_timeout_ms)
            lines["heartbeat.interval"] = max(100, int(self.heartbeat_timeout_ms) // 8)
        if self.prometheus_ports:
            lines["metrics.reporter.prom.factory.class"] = (
                "org.apache.flink.metrics.prometheus.PrometheusReporterFactory"
            )
            lines["metrics.reporter.prom.port"] = ",".join(map(str, self.prometheus_ports))
        # The JVM flags (--add-opens ...) Flink needs on Java 17, from the wheel's config.
        wheel = yaml.safe_load((pyflink_home() / "conf" / "config.yaml").read_text()) or {}
        java_opts = ((wheel.get("env") or {}).get("java") or {}).get("opts") or {}
        if java_opts.get("all"):
            lines["env.java.opts.all"] = json.dumps(java_opts["all"])
        text = "".join(f"{k}: {v}\n" for k, v in lines.items())
        (conf / "config.yaml").write_text(text)
        (conf / "masters").write_text(f"127.0.0.1:{self.rest_port}\n")
        (conf / "workers").write_text("127.0.0.1\n")

    def _script(self, name: str, *args: str) -> None:
        script = pyflink_home() / "bin" / name
        subprocess.run(
            ["bash", str(script), *args],
            env=self._env(),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self, timeout: float = 90.0) -> StandaloneCluster:
        """Start both daemons; wait until a task manager with free slots registered."""
        import httpx  # here, not at import: only cluster use pays for it

        t0 = time.perf_counter()
        self._write_config()
        self._started = True
        self._script("jobmanager.sh", "start")
        for _ in range(self.taskmanagers):
            self._script("taskmanager.sh", "start")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                overview = httpx.get(f"{self.rest_url}/overview", timeout=2).json()
                if overview.get("taskmanagers", 0) >= self.taskmanagers and overview.get(
                    "slots-available", 0
                ):
                    self.start_s = time.perf_counter() - t0
                    return self
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
        logs = "\n".join(p.read_text()[-2000:] for p in self.log_dir.glob("*.log"))
        self.stop()
        raise ClusterError(
            f"standalone Flink cluster did not come up in {timeout}s:\n{logs}", url=self.rest_url
        )

    def stop(self) -> None:
        """Stop the task manager and the job manager (idempotent)."""
        if not self._started:
            return
        self._started = False
        for name in ("taskmanager.sh", "jobmanager.sh"):
            with contextlib.suppress(subprocess.SubprocessError):
                self._script(name, "stop-all")

    def prometheus_targets(self, timeout: float = 2.0) -> list[str]:
        """``127.0.0.1:<port>`` of each Prometheus reporter answering now, for a scrape
        configuration (empty without ``prometheus=True``)."""
        import httpx

        targets = []
        for port in self.prometheus_ports:
            try:
                httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=timeout)
            except httpx.HTTPError:
                continue
            targets.append(f"127.0.0.1:{port}")
        return targets

    def taskmanager_pids(self) -> list[int]:
        """Process ids of the running task managers (from the scripts' pid files)."""
        pids: list[int] = []
        for pid_file in (self.root / "pid").glob("*taskexecutor*.pid"):
            pids += [int(p) for p in pid_file.read_text().split() if p.strip()]
        return pids

    def add_taskmanager(self) -> None:
        """Start one more task manager (after a kill, or to add slots)."""
        self._script("taskmanager.sh", "start")

    def kill_taskmanager(self) -> int:
        """SIGKILL the most recently started task manager, as a machine failure would;
        returns its pid (rehearse recovery with :meth:`add_taskmanager`)."""
        import signal

        pids = self.taskmanager_pids()
        if not pids:
            raise ClusterError("no running task manager to kill", url=self.rest_url)
        os.kill(pids[-1], signal.SIGKILL)
        return pids[-1]

    def __repr__(self) -> str:
        state = "running" if self._started else "stopped"
        return (
            f"<StandaloneCluster {self.rest_url} {state}: {self.taskmanagers} task managers "
            f"x {self.slots} slots>"
        )

    def __enter__(self) -> StandaloneCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
