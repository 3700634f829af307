"""The pre-deployment checklist as code: ``fa.preflight()`` and ``flink-agents-nb doctor``.

Each check returns a :class:`Finding` (``ok``, ``warn`` or ``fail``) with what it saw and,
when not ok, what to do. Checks never raise: a check that cannot run is itself a finding.
They cover the agent configuration (YAML, environment overrides), the event-log directory
and its permissions, Java and PyFlink, the cluster's readiness over REST (task managers,
free slots, the Python jar on the classpath, a metric reporter) and the action state store.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flink_agents_nb._html import STYLE, mimebundle, table
from flink_agents_runtime import AgentConfiguration, FlinkAgentsError
from flink_agents_runtime._display import DisplayMixin

ENV_PREFIX = "FLINK_AGENTS_NB_"


@dataclass
class Finding:
    """One check's outcome.

    Attributes:
        check: what was checked.
        status: ``ok``, ``warn`` or ``fail``.
        detail: what the check saw.
        todo: what to do about it (empty when ok).
    """

    check: str
    status: str
    detail: str
    todo: str = ""


@dataclass
class PreflightReport(DisplayMixin):
    """Every finding, in check order; ``ok`` when none failed."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.status != "fail" for f in self.findings)

    def __str__(self) -> str:
        marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
        lines = []
        for f in self.findings:
            lines.append(f"[{marks.get(f.status, f.status)}] {f.check}: {f.detail}")
            if f.todo:
                lines.append(f"       -> {f.todo}")
        verdict = "ready" if self.ok else "NOT ready"
        return "\n".join([*lines, f"preflight: {verdict}"])

    def to_dicts(self) -> list[dict[str, str]]:
        return [vars(f).copy() for f in self.findings]

    def _mimebundle(self) -> dict[str, Any]:
        rows = [
            {"status": f.status, "check": f.check, "detail": f.detail, "todo": f.todo}
            for f in self.findings
        ]
        fails = [i for i, f in enumerate(self.findings) if f.status != "ok"]
        head = "<b>preflight: ready</b>" if self.ok else "<b>preflight: NOT ready</b>"
        return mimebundle(
            str(self),
            STYLE + head + table(rows, ["status", "check", "detail", "todo"], highlight=fails),
        )


def _config(config_file: Any) -> tuple[Finding, AgentConfiguration | None]:
    overrides = sorted(k for k in os.environ if k.startswith(ENV_PREFIX))
    try:
        conf = AgentConfiguration.resolve(config_file)
    except FlinkAgentsError as exc:
        return Finding("configuration", "fail", str(exc)[:600], "fix the key named above"), None
    where = f"file {config_file}" if config_file else "defaults, conf files and environment"
    extra = f"; environment overrides: {', '.join(overrides)}" if overrides else ""
    return Finding("configuration", "ok", f"parsed ({where}){extra}"), conf


def _log_dir(conf: AgentConfiguration) -> Finding:
    directory = conf.get("baseLogDir")
    if not directory:
        return Finding(
            "event-log directory",
            "warn",
            "baseLogDir is not set: jobs write no event log, so nothing can be read back",
            "set baseLogDir to a directory every TaskManager and this machine can reach",
        )
    path = Path(str(directory))
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".preflight-"):
            pass
    except OSError as exc:
        return Finding(
            "event-log directory",
            "fail",
            f"{path} is not writable ({exc.strerror or exc})",
            f"create {path} with write access for the user running the TaskManagers",
        )
    return Finding("event-log directory", "ok", f"{path} is writable")


def _java() -> Finding:
    java = shutil.which("java")
    if java is None:
        return Finding(
            "java", "fail", "no java on PATH", "install Java 11 or 17 (openjdk-17-jre-headless)"
        )
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return Finding("java", "fail", f"{java} -version failed: {exc}", "reinstall Java")
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return Finding("java", "warn", f"could not read the version of {java}", "")
    major = int(match.group(1))
    if major == 1 and match.group(2):
        major = int(match.group(2))
    if major < 11:
        return Finding("java", "fail", f"Java {major} at {java}", "Flink 2 needs Java 11 or 17")
    return Finding("java", "ok", f"Java {major} at {java}")


def _pyflink() -> Finding:
    if importlib.util.find_spec("pyflink") is None:
        return Finding(
            "pyflink", "fail", "PyFlink is not installed", "pip install 'apache-flink>=2.3,<2.4'"
        )
    try:
        version = importlib.metadata.version("apache-flink")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return Finding("pyflink", "ok", f"apache-flink {version}")


def _cluster(rest_url: str) -> list[Finding]:
    from flink_agents_nb.flink._rest import ClusterError, FlinkRest

    rest = FlinkRest(rest_url, timeout=5)
    try:
        overview = rest.get("/overview")
    except ClusterError as exc:
        return [
            Finding("cluster", "fail", str(exc), "start the cluster or fix rest.address/rest.port")
        ]
    tms, free = int(overview.get("taskmanagers", 0)), int(overview.get("slots-available", 0))
    found = [
        Finding(
            "cluster",
            "ok" if tms and free else "warn" if tms else "fail",
            f"{rest_url}: Flink {overview.get('flink-version', '?')}, {tms} task managers, "
            f"{free} of {overview.get('slots-total', 0)} slots free",
            "" if tms and free else "start task managers or free slots before submitting",
        )
    ]
    try:
        classpath = rest.get("/jobmanager/environment").get("classpath", [])
        has_python = any("flink-python" in str(entry) for entry in classpath)
        found.append(
            Finding("python jar", "ok", "flink-python is on the cluster's classpath")
            if has_python
            else Finding(
                "python jar",
                "fail",
                "no flink-python jar on the cluster's classpath: Python jobs cannot run",
                "copy opt/flink-python-*.jar into the cluster's lib/ and restart it",
            )
        )
    except ClusterError as exc:
        found.append(Finding("python jar", "warn", f"could not read the classpath: {exc}", ""))
    try:
        entries = rest.get("/jobmanager/config")
        reporters = sorted(
            str(e.get("value"))
            for e in entries
            if re.fullmatch(r"metrics\.reporter\.[^.]+\.factory\.class", str(e.get("key")))
        )
        found.append(
            Finding("metric reporter", "ok", ", ".join(reporters))
            if reporters
            else Finding(
                "metric reporter",
                "warn",
                "no metric reporter configured: agent metrics are visible over REST only",
                "set metrics.reporter.prom.factory.class: "
                "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
            )
        )
    except ClusterError as exc:
        found.append(Finding("metric reporter", "warn", f"could not read the config: {exc}", ""))
    return found


def _state_store(conf: AgentConfiguration) -> Finding:
    backend = conf.get("actionStateStoreBackend")
    if backend is None:
        return Finding(
            "action state store",
            "warn",
            "none configured: after a failure, completed actions run again",
            "set actionStateStoreBackend (sqlite on one host, redis for a cluster)",
        )
    from flink_agents_runtime.durable._recovery import check_action_state_store

    try:
        check_action_state_store(conf, "preflight")
    except FlinkAgentsError as exc:
        return Finding("action state store", "fail", str(exc)[:600], "fix the store's address")
    return Finding("action state store", "ok", f"{backend} reachable")


def preflight(
    config_file: str | os.PathLike[str] | None = None, rest_url: str | None = None
) -> PreflightReport:
    """Run every check (the cluster's only with ``rest_url`` or a ``rest.address`` in the
    Flink config); see the module docstring. Never raises for what it finds."""
    report = PreflightReport()
    found, conf = _config(config_file)
    report.findings.append(found)
    if conf is not None:
        report.findings.append(_log_dir(conf))
    report.findings += [_java(), _pyflink()]
    if rest_url is None:
        from flink_agents_nb.flink._cluster import rest_url_from_config

        try:
            rest_url = rest_url_from_config()
        except FlinkAgentsError:
            report.findings.append(
                Finding("cluster", "warn", "no cluster named (rest_url or rest.address)", "")
            )
    if rest_url is not None:
        report.findings += _cluster(rest_url)
    if conf is not None:
        report.findings.append(_state_store(conf))
    return report
