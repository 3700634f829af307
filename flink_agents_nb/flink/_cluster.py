"""Submit an agent to a running Flink cluster and follow it over Flink's REST API.

``fa.submit(agent, data, rest_url="http://host:8081")`` (or ``promoted.submit(...)``) builds
the same job as ``promote`` and submits it through PyFlink's remote executor (REST). The job
reports outputs through its event log (the output event type is logged at VERBOSE), so the
cluster's task managers must be able to write ``baseLogDir`` and this process to read it (a
shared or local path). :class:`FlinkJob` shows the id and state, cancels, reads live metrics
(the agent operator's, summed over subtasks) and, once finished, reads the job back as a
:class:`Run`.
"""

from __future__ import annotations

import html
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from flink_agents_nb.flink._health import JobHealth, collect_health
from flink_agents_nb.flink._rest import FlinkRest, probe
from flink_agents_nb.flink._savepoints import (
    JobManifest,
    carry_store_namespace,
    ensure_compatible,
    manifest_for,
    read_manifest,
    write_manifest,
)
from flink_agents_nb.run._run import Run
from flink_agents_runtime import Agent, AgentConfiguration, AgentPlan
from flink_agents_runtime._display import DisplayMixin
from flink_agents_runtime._errors import (
    ConfigError,
    FlinkAgentsError,
    JobFailedError,
    JobTimeoutError,
)
from flink_agents_runtime.api._events import OutputEvent

TERMINAL_STATES = frozenset({"FINISHED", "FAILED", "CANCELED", "SUSPENDED"})


def rest_url_from_config(config_file: str | os.PathLike[str] | None = None) -> str:
    """``http://<rest.address>:<rest.port>`` from a Flink ``config.yaml`` (``config_file``,
    else ``$FLINK_CONF_DIR/config.yaml``, else ``./conf/config.yaml``); keys flat or nested.
    Raises :class:`FlinkAgentsError` when no file or no ``rest.address`` is found."""
    candidates = [Path(config_file)] if config_file else []
    if os.environ.get("FLINK_CONF_DIR"):
        candidates.append(Path(os.environ["FLINK_CONF_DIR"]) / "config.yaml")
    candidates.append(Path("conf") / "config.yaml")
    for path in candidates:
        if not path.is_file():
            continue
        data = yaml.safe_load(path.read_text()) or {}
        rest = data.get("rest")
        if not isinstance(rest, dict):
            rest = {}
        address = data.get("rest.address") or rest.get("address")
        port = data.get("rest.port") or rest.get("port") or 8081
        if address:
            return f"http://{address}:{port}"
    raise ConfigError(
        "no cluster to submit to: pass rest_url='http://host:8081' or set rest.address and "
        f"rest.port in a Flink config.yaml (looked in {[str(p) for p in candidates]})"
    )


class FlinkJob(DisplayMixin):
    """A job submitted to a cluster.

    Attributes:
        job_id: Flink's job id.
        name: the job name.
        rest_url: the cluster's REST endpoint.
        log_dir: where the job's subtasks write event logs and metric totals.
    """

    def __init__(
        self, job_id: str, name: str, rest_url: str, log_dir: str, agent: str, config: Any
    ) -> None:
        self.job_id = job_id
        self.name = name
        self.rest_url = rest_url.rstrip("/")
        self.log_dir = log_dir
        self.agent = agent
        self.config = config
        self.samples: list[tuple[float, str, float]] = []
        self.manifest: JobManifest | None = None
        self.notes: list[str] = []
        self.savepoints: list[str] = []
        self._t0 = time.monotonic()

    @classmethod
    def attach(cls, rest_url: str, job_id: str, log_dir: str = "") -> FlinkJob:
        """A handle on a job already running on the cluster at ``rest_url`` (submitted from
        elsewhere): state, health, savepoints and stop work; read-back needs ``log_dir``."""
        return cls(job_id, job_id, rest_url, log_dir, "", None)

    def _get(self, path: str) -> Any:
        return self.rest.get(path)

    @property
    def rest(self) -> FlinkRest:
        """The cluster's REST API."""
        return FlinkRest(self.rest_url)

    def state(self) -> str:
        """The job's state (``RUNNING``, ``FINISHED``, ``FAILED``, ``CANCELED``, ...)."""
        return str(self._get(f"/jobs/{self.job_id}")["state"])

    def cancel(self) -> None:
        """Ask the cluster to cancel the job (returns at once; see :meth:`wait`)."""
        self.rest.patch(f"/jobs/{self.job_id}?mode=cancel")

    def savepoint(
        self, target_dir: str | os.PathLike[str] | None = None, timeout: float = 120.0
    ) -> str:
        """Take a savepoint of the running job into ``target_dir`` (default: a directory
        beside the job's event logs); returns its location once complete. The kit's manifest
        (agent, operator uid, key type) is written into it, so that :func:`submit` can check
        a changed agent before resuming from it."""
        target = self._target(target_dir)
        trigger = self.rest.post(
            f"/jobs/{self.job_id}/savepoints",
            {"target-directory": target, "cancel-job": False, "formatType": "CANONICAL"},
        )["request-id"]
        done = self.rest.wait_operation(f"/jobs/{self.job_id}/savepoints/{trigger}", timeout)
        return self._saved(str(done["location"]))

    def stop(
        self,
        savepoint: bool = True,
        target_dir: str | os.PathLike[str] | None = None,
        timeout: float = 120.0,
    ) -> str | None:
        """Stop the job gracefully: with ``savepoint`` (default) Flink takes a final
        savepoint and the job ends ``FINISHED``; returns the savepoint's location once the
        job has ended. Without, the job is cancelled and ``None`` returned at once."""
        if not savepoint:
            self.cancel()
            return None
        target = self._target(target_dir)
        trigger = self.rest.post(
            f"/jobs/{self.job_id}/stop", {"targetDirectory": target, "drain": False}
        )["request-id"]
        done = self.rest.wait_operation(f"/jobs/{self.job_id}/savepoints/{trigger}", timeout)
        location = self._saved(str(done["location"]))
        self.wait(timeout)  # the savepoint is complete before the job has ended
        return location

    def _target(self, target_dir: str | os.PathLike[str] | None) -> str | None:
        if target_dir is not None:
            return str(target_dir)
        return str(Path(self.log_dir) / "savepoints") if self.log_dir else None

    def _saved(self, location: str) -> str:
        if self.manifest is not None:
            write_manifest(location, self.manifest)
        self.savepoints.append(location)
        return location

    def health(self, log_lines: int = 5, prometheus_url: str | None = None) -> JobHealth:
        """The job's health now: state, uptime, restarts, checkpoints, backpressure and
        busy time per subtask, records in/out, the agent's metrics (from REST, or from the
        Prometheus at ``prometheus_url`` scraping Flink's reporter) and the tail of its
        event log, with a verdict (``healthy``/``degraded``/``failing``) and its reasons."""
        return collect_health(self, log_lines=log_lines, prometheus_url=prometheus_url)

    def wait(self, timeout: float = 300.0, poll: float = 0.5) -> str:
        """Wait until the job reaches a terminal state; returns it. Raises
        :class:`JobFailedError` (with the job's root exception) when it failed, and
        :class:`JobTimeoutError` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            if state in TERMINAL_STATES:
                if state == "FAILED":
                    root = self._get(f"/jobs/{self.job_id}/exceptions").get("root-exception", "")
                    raise JobFailedError(f"Flink job {self.job_id} failed: {root[:2000]}")
                return state
            if time.monotonic() > deadline:
                raise JobTimeoutError(f"job {self.job_id} still {state} after {timeout}s")
            time.sleep(poll)

    def _agent_vertex(self) -> str | None:
        for vertex in self._get(f"/jobs/{self.job_id}").get("vertices", []):
            if "agent-" in vertex.get("name", ""):
                return str(vertex["id"])
        return None

    def metrics(self) -> dict[str, float]:
        """The agent's metrics now, summed over subtasks, by the names a local run uses
        (empty when the job no longer runs: Flink serves metrics of running tasks only)."""
        vertex = self._agent_vertex()
        if vertex is None:
            return {}
        base = f"/jobs/{self.job_id}/vertices/{vertex}/subtasks/metrics"
        ids = [m["id"] for m in self._get(base) if "agent-" in m["id"]]
        if not ids:
            return {}
        values = self._get(f"{base}?get={','.join(ids)}&agg=sum")
        out: dict[str, float] = {}
        for item in values:
            name = item["id"].split("agent-", 1)[1].split(".", 1)[-1]
            out[name] = float(item.get("sum", 0))
        now = time.monotonic() - self._t0
        self.samples.extend((now, n, v) for n, v in out.items())
        return dict(sorted(out.items()))

    def watch(self, seconds: float = 10.0, interval: float = 1.0) -> pd.DataFrame:
        """Sample :meth:`metrics` every ``interval`` s for ``seconds`` s (or until the job
        ends); returns every sample so far as a frame ``t, metric, value``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.state() not in TERMINAL_STATES:
            self.metrics()
            time.sleep(interval)
        return pd.DataFrame(self.samples, columns=["t", "metric", "value"])

    def chart(self, metric: str = "numOfEventProcessed") -> Any:
        """A plotly line chart of the sampled ``metric`` (see :meth:`watch`)."""
        import plotly.express as px

        frame = pd.DataFrame(self.samples, columns=["t", "metric", "value"])
        frame = frame[frame["metric"] == metric]
        return px.line(frame, x="t", y="value", title=f"{metric} of job {self.job_id}")

    def outputs(self) -> list[tuple[Any, Any]]:
        """``(key, output)`` of every output the job has written to its event log so far
        (a running job too: subtasks write each record as it happens). After a restart,
        inputs since the last checkpoint run again and log their outputs again: each input
        (key and per-key input number, restored with the checkpoint) counts once here, with
        the outputs of its latest run."""
        from flink_agents_runtime.api._events import InputEvent, OutputEvent
        from flink_agents_runtime.drivers.flink._readback import read_job

        events = sorted(read_job(self.log_dir, self.job_id).events, key=lambda r: r.timestamp_ns)
        latest: dict[tuple[str, int], list[tuple[Any, Any]]] = {}
        for record in events:
            ident = (repr(record.key), record.input_seq)
            if record.event.type == InputEvent.EVENT_TYPE:
                latest[ident] = []  # a (re)run of this input starts
            elif record.event.type == OutputEvent.EVENT_TYPE:
                output = record.event.attributes.get("output")
                latest.setdefault(ident, []).append((record.key, output))
        return [pair for pairs in latest.values() for pair in pairs]

    def result(self, timeout: float = 300.0) -> Run:
        """Wait for the job, then read it back (event log, metric totals) as a :class:`Run`."""
        from flink_agents_runtime.drivers.flink._readback import read_job

        self.wait(timeout)
        back = read_job(self.log_dir, self.job_id)
        wall = time.monotonic() - self._t0
        return Run(back.run_result(self.job_id, self.agent, wall, self.config))

    def __repr__(self) -> str:
        return f"<FlinkJob {self.name} {self.job_id} on {self.rest_url}>"

    def _mimebundle(self) -> dict[str, Any]:
        try:
            state = self.state()
        except FlinkAgentsError as exc:
            state = f"unknown ({type(exc).__name__})"
        text = f"{self!r}: {state}"
        link = f"{self.rest_url}/#/job/running/{self.job_id}/overview"
        body = (
            f"<b>Flink job {html.escape(self.name)}</b> <code>{self.job_id}</code>: "
            f"{html.escape(state)} on "
            f"<a href='{html.escape(link)}'>{html.escape(self.rest_url)}</a>"
        )
        return {"text/plain": text, "text/html": body}


def submit(
    agent: Agent | str,
    data: Any,
    rest_url: str | None = None,
    *,
    key: str | None = None,
    value: str | None = None,
    config_file: Any = None,
    config: AgentConfiguration | Mapping[str, Any] | None = None,
    log_dir: str | None = None,
    job_name: str | None = None,
    parallelism: int | None = None,
    savepoint: str | os.PathLike[str] | None = None,
    allow_non_restored_state: bool = False,
    env: Any = None,
) -> FlinkJob:
    """Submit ``agent`` to the cluster at ``rest_url`` (else from a Flink ``config.yaml``,
    see :func:`rest_url_from_config`); returns at once with a :class:`FlinkJob`.

    ``agent`` and ``env``, ``data``: as ``promote`` takes them (or ``(key, value)`` pairs, or
    a :class:`~flink_agents_runtime.DirectorySource`: an unbounded job reading JSON Lines
    files as they arrive). ``parallelism`` sets the agent
    operator's parallelism (default: ``flink.parallelism``, else the cluster's).
    ``savepoint`` starts the job from a savepoint (see :meth:`FlinkJob.savepoint`): the
    agent is checked against the savepoint's manifest first, and a change that would drop
    state (renamed agent, changed key type) raises
    :class:`~flink_agents_nb.flink._savepoints.IncompatibleSavepointError` unless
    ``allow_non_restored_state``. An address where no cluster answers fails at once with
    :class:`~flink_agents_nb.flink._rest.ClusterUnreachableError` naming it.
    """
    from flink_agents_nb.run._inputs import agent_to_run, input_pairs
    from flink_agents_runtime.drivers._sources import DirectorySource

    agent = agent_to_run(agent, env, "submit")
    url = (rest_url or rest_url_from_config()).rstrip("/")
    probe(url)  # fail fast, naming the address, before PyFlink's minute of retries
    if isinstance(config, AgentConfiguration):
        conf = config.copy()
    else:
        conf = AgentConfiguration.resolve(config_file, overrides=dict(config or {}))
    if parallelism is not None:
        conf.set("flink.parallelism", int(parallelism))
    directory = log_dir or conf.get("baseLogDir") or tempfile.mkdtemp(prefix="flink-agents-job-")
    conf.set("baseLogDir", str(directory))
    level_key = f"event-log.type.{OutputEvent.EVENT_TYPE}.level"
    if level_key not in conf.explicit():
        conf.set(level_key, "VERBOSE")  # outputs are read back from the log
    plan = AgentPlan.from_agent(agent)
    actions = sorted(plan.actions)
    pairs: list[tuple[Any, Any]] = []
    if isinstance(data, DirectorySource):
        manifest = manifest_for(plan.name, actions, [], key_field=data.key)
    else:
        if isinstance(data, list) and data and isinstance(data[0], tuple):
            pairs = list(data)
        else:
            pairs = input_pairs(data, key, value)
        manifest = manifest_for(plan.name, actions, [k for k, _ in pairs])
    settings: dict[str, str] = {}
    notes: list[str] = []
    if savepoint is not None:
        location = str(savepoint)
        notes = ensure_compatible(
            location, manifest, allow_non_restored_state=allow_non_restored_state
        )
        notes += carry_store_namespace(conf, read_manifest(location))
        settings["execution.savepoint.path"] = location
        settings["execution.savepoint.ignore-unclaimed-state"] = str(
            bool(allow_non_restored_state)
        ).lower()
    name = job_name or f"agent-{plan.name}"
    job_id = _execute(agent, data, pairs, url, conf, settings, name)
    job = FlinkJob(job_id, name, url, str(directory), plan.name, conf)
    manifest.store_namespace = str(conf.get("job-identifier") or job_id)
    job.manifest = manifest
    job.notes = notes
    return job


def _execute(
    agent: Agent,
    data: Any,
    pairs: list[tuple[Any, Any]],
    url: str,
    conf: AgentConfiguration,
    settings: dict[str, str],
    name: str,
) -> str:
    """Build the job (a bounded collection or a monitored directory) and submit it."""
    import httpx

    from flink_agents_runtime.drivers._sources import DirectorySource
    from flink_agents_runtime.drivers.flink import RemoteExecutionEnvironment
    from flink_agents_runtime.drivers.flink._inputs import input_pairs
    from flink_agents_runtime.drivers.flink._remote import (
        cluster_environment,
        job_failure,
        pair_key,
        pair_value,
    )

    parsed = httpx.URL(url)
    env = cluster_environment(parsed.host, parsed.port or 8081, settings)
    agents_env = RemoteExecutionEnvironment(env, conf)
    if isinstance(data, DirectorySource):
        from flink_agents_runtime.drivers.flink._sources import directory_stream

        stream = directory_stream(env, data)
    else:
        stream = env.from_collection(input_pairs(pairs))  # input_seq as in a local run
    builder = agents_env.from_datastream(
        stream, key_selector=pair_key, value_selector=pair_value
    ).apply(agent)
    builder._stream(emit=False).print()
    try:
        client = agents_env.execute_async(name)
    except Exception as exc:
        if type(exc).__name__ != "Py4JJavaError":
            raise
        raise job_failure(exc, name) from None
    return str(client.get_job_id())
