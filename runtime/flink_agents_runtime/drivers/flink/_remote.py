"""``RemoteExecutionEnvironment``: agents over PyFlink DataStreams and Tables.

The shape of Apache Flink Agents' remote environment::

    env = StreamExecutionEnvironment.get_execution_environment()
    agents_env = AgentsExecutionEnvironment.get_execution_environment(env)
    out = agents_env.from_datastream(ds, key_selector=lambda r: r["id"]).apply(agent)
    out.to_datastream().print()
    agents_env.execute("my-agent-job")

Configuring the PyFlink environment (once, when this environment is created): the Python
worker is the running interpreter unless ``flink.python-executable`` says otherwise;
``python.execution-mode`` is ``flink.execution-mode`` (thread by default; in thread mode the
interpreter's site-packages go on ``python.pythonpath``, as PyFlink's embedded interpreter
does not see a virtualenv); the runtime package ships with the job (``flink.ship-runtime``).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import shutil
import site
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyflink.common import Configuration, Types
from pyflink.datastream import DataStream, KeyedStream, KeySelector, StreamExecutionEnvironment

from flink_agents_runtime._errors import FlinkAgentsError, JobFailedError, UsageError
from flink_agents_runtime.api._agent import Agent
from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.drivers._environment import AgentsExecutionEnvironment
from flink_agents_runtime.drivers.flink._function import AgentProcessFunction
from flink_agents_runtime.drivers.flink._payload import dump_plan
from flink_agents_runtime.engine.plan._plan import AgentPlan

logger = logging.getLogger(__name__)

#: Flink's (internal, stable since 1.11) option fixing the id of the next submitted job.
FIXED_JOB_ID = "$internal.pipeline.job-id"


def pair_key(pair: Any) -> Any:
    """Key selector of ``(key, value)`` elements."""
    return pair[0]


def pair_value(pair: Any) -> Any:
    """Value selector of ``(key, value)`` elements."""
    return pair[1]


def job_failure(exc: BaseException, job_name: str) -> FlinkAgentsError:
    """A :class:`JobFailedError` from a py4j error of a failed job: the innermost cause
    (the Python exception raised in the worker, e.g. an action's error) first."""
    text = str(exc)
    causes = [
        line.split("Caused by: ", 1)[1] for line in text.splitlines() if "Caused by: " in line
    ]
    root = causes[-1] if causes else text.strip().splitlines()[0] if text.strip() else repr(exc)
    python = [c for c in causes if "PythonException" in c]
    if python:
        root = python[-1].split("PythonException: ", 1)[-1]
    missing = re.search(r"No module named '([^']+)'", root)
    if missing:
        root += (
            f" (the Flink workers cannot import {missing.group(1)!r}: install it where they"
            " run or put its directory on PYTHONPATH; modules under the working directory"
            " travel with the job)"
        )
    return JobFailedError(f"Flink job {job_name!r} failed: {root}")


def new_job_id() -> str:
    """A Flink job id: 32 lowercase hex digits."""
    return uuid.uuid4().hex


def runtime_dir() -> Path:
    """The directory of the ``flink_agents_runtime`` package (what ships with jobs)."""
    return Path(__file__).resolve().parents[2]


_SHIP_DIR: Path | None = None


def shipped_runtime_dir() -> Path:
    """A temp directory holding a copy of the runtime package (and of ``flink_agents_nb``
    when installed; no ``__pycache__``), made
    once per process: what ``add_python_file`` ships (PyFlink puts a shipped directory
    itself on the workers' ``PYTHONPATH``, so the package must sit inside it)."""
    global _SHIP_DIR
    if _SHIP_DIR is None or not (_SHIP_DIR / "flink_agents_runtime").is_dir():
        target = Path(tempfile.mkdtemp(prefix="flink-agents-nb-ship-"))
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(runtime_dir(), target / "flink_agents_runtime", ignore=ignore)
        # Notebook code refers to `fa.Event` etc.: cloudpickle pickles the module `fa` by
        # reference, so the notebook layer ships too (located, not imported).
        spec = importlib.util.find_spec("flink_agents_nb")
        if spec is not None and spec.origin:
            shutil.copytree(Path(spec.origin).parent, target / "flink_agents_nb", ignore=ignore)
        _SHIP_DIR = target
    return _SHIP_DIR


def _site_packages(executable: str) -> list[str]:
    if Path(executable).resolve() == Path(sys.executable).resolve():
        return [p for p in site.getsitepackages() if os.path.isdir(p)]
    try:
        out = subprocess.run(
            [executable, "-c", "import json, site; print(json.dumps(site.getsitepackages()))"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        return [p for p in json.loads(out) if os.path.isdir(p)]
    except (OSError, subprocess.SubprocessError, ValueError):
        return []


def python_settings(config: AgentConfiguration) -> dict[str, str]:
    """The PyFlink ``python.*`` options an agent job runs with (see the module docstring)."""
    executable = str(config.get("flink.python-executable") or sys.executable)
    mode = str(config.get("flink.execution-mode"))
    settings = {"python.executable": executable, "python.execution-mode": mode}
    if mode == "thread":
        paths = _site_packages(executable)
        if paths:
            settings["python.pythonpath"] = os.pathsep.join(paths)
    return settings


def _opt(config: AgentConfiguration, key: str) -> Any:
    from flink_agents_runtime.config._options import find_option

    return config.get(key) if find_option(key) is not None else None


def job_settings(config: AgentConfiguration) -> dict[str, str]:
    """Flink options from the agent options ``checkpoint.*``, ``state.backend`` and
    ``restart.*`` (only those set; the cluster's own config rules otherwise)."""
    out: dict[str, str] = {}
    interval = _opt(config, "checkpoint.interval-ms")
    if interval:
        out["execution.checkpointing.interval"] = f"{int(interval)} ms"
        mode = _opt(config, "checkpoint.mode")
        if mode:
            out["execution.checkpointing.mode"] = str(mode).upper().replace("-", "_")
    directory = _opt(config, "checkpoint.dir")
    if directory:
        out["execution.checkpointing.dir"] = str(directory)
    backend = _opt(config, "state.backend")
    if backend:
        out["state.backend.type"] = str(backend)
    attempts = _opt(config, "restart.attempts")
    if attempts is not None:
        out["restart-strategy.type"] = "fixed-delay"
        out["restart-strategy.fixed-delay.attempts"] = str(int(attempts))
        delay = _opt(config, "restart.delay-ms") or 1000
        out["restart-strategy.fixed-delay.delay"] = f"{int(delay)} ms"
    return out


def configure_environment(env: StreamExecutionEnvironment, config: AgentConfiguration) -> None:
    """Apply :func:`python_settings` and :func:`job_settings`, ship the runtime."""
    conf = Configuration()
    for key, value in {**python_settings(config), **job_settings(config)}.items():
        conf.set_string(key, value)
    env.configure(conf)
    if config.get("flink.ship-runtime"):
        env.add_python_file(str(shipped_runtime_dir()))


def cluster_environment(
    host: str, port: int, settings: dict[str, str] | None = None
) -> StreamExecutionEnvironment:
    """A PyFlink environment whose jobs go to the session cluster at ``host:port`` (REST).

    PyFlink's ``get_execution_environment`` always builds a local (MiniCluster) environment
    outside ``flink run``; this builds Java's environment with ``execution.target: remote``.
    ``settings`` are further Flink options read at submission (e.g.
    ``execution.savepoint.path`` to start from a savepoint).
    """
    from pyflink.java_gateway import get_gateway

    conf = Configuration()
    conf.set_string("execution.target", "remote")
    conf.set_string("rest.address", host)
    conf.set_string("rest.port", str(port))
    for key, value in (settings or {}).items():
        conf.set_string(key, value)
    jvm = get_gateway().jvm
    j_env = jvm.org.apache.flink.streaming.api.environment.StreamExecutionEnvironment(
        conf._j_configuration
    )
    return StreamExecutionEnvironment(j_env)


class RemoteAgentBuilder:
    """An input stream bound to an agent (Flink Agents' ``RemoteAgentBuilder``)."""

    def __init__(
        self,
        env: RemoteExecutionEnvironment,
        keyed: KeyedStream,
        value_selector: Callable[[Any], Any] | None = None,
        key_selector: Callable[[Any], Any] | None = None,
    ) -> None:
        self._env = env
        self._input = keyed
        self._value_selector = value_selector
        self._key_selector = key_selector  # what ``keyed`` was keyed with, when known
        self._agent: Agent | None = None
        self._plan: AgentPlan | None = None
        self._outputs: dict[tuple[bool, bool], DataStream] = {}
        self.job_id: str | None = None

    def apply(self, agent: Agent | str) -> RemoteAgentBuilder:
        """Bind ``agent``, or the agent of that name loaded with ``env.load_yaml``; compiled
        now, with the environment's resources."""
        if self._plan is not None:
            raise UsageError("this builder already has an agent; call from_datastream again")
        resolved: Agent = self._env._agent_to_apply(agent)
        self._plan = AgentPlan.from_agent(resolved, self._env.resources)
        self._agent = resolved
        return self

    def _stream(self, *, with_meta: bool = False, emit: bool = True) -> DataStream:
        """The agent operator's output (pickled records), built once per variant."""
        if self._plan is None:
            raise UsageError("call apply(agent) before to_datastream()/to_table()")
        variant = (with_meta, emit)
        stream = self._outputs.get(variant)
        if stream is None:
            env = self._env
            if self.job_id is None:
                self.job_id = env._fix_job_id()
            # Issue 7: checkpointing/restarts from the config; an unusable action state
            # store fails here, before the job is submitted.
            from flink_agents_runtime.durable._recovery import (
                check_action_state_store,
                configure_checkpointing,
                store_namespace,
            )

            configure_checkpointing(env.env, env.config)
            check_action_state_store(env.config, store_namespace(env.config, self.job_id))
            payload = dump_plan(self._plan, env.config)
            function = AgentProcessFunction(
                payload,
                self.job_id,
                self._value_selector,
                with_meta=with_meta,
                emit=emit,
                key_selector=self._key_selector,
            )
            # A stable uid: savepoints map the agent's keyed state to it across upgrades (a
            # second variant in the same job, rare, needs a uid of its own).
            uid = f"agent-{self._plan.name}"
            if self._outputs:
                uid += f"-{len(self._outputs)}"
            stream = (
                self._input.process(function, output_type=Types.PICKLED_BYTE_ARRAY())
                .name(f"agent-{self._plan.name}")
                .uid(uid)
            )
            parallelism = env.config.get("flink.parallelism")
            if parallelism:
                stream = stream.set_parallelism(int(parallelism))
            self._outputs[variant] = stream
        return stream

    def to_datastream(self, output_type: Any = None) -> DataStream:
        """The agent's outputs (the ``output`` of each ``OutputEvent``), as pickled objects,
        or mapped to ``output_type`` (costs a Python map and typed serialisation)."""
        stream = self._stream()
        if output_type is not None:
            stream = stream.map(lambda x: x, output_type=output_type)
        return stream

    def to_table(self, schema: Any, output_type: Any = None) -> Any:
        """The outputs as a Table with ``schema`` (outputs mapped to ``output_type``, a
        ``Types.ROW_NAMED`` matching the schema, from ``Row``s, dicts or tuples)."""
        if output_type is None:
            raise UsageError("to_table needs output_type (e.g. Types.ROW_NAMED([...]))")
        from pyflink.common import Row

        names = list(output_type.get_field_names())

        def to_row(value: Any) -> Any:
            if isinstance(value, Row):
                return value
            if isinstance(value, dict):
                return Row(**{n: value.get(n) for n in names})
            return Row(*value) if isinstance(value, (tuple, list)) else Row(value)

        stream = self._stream().map(to_row, output_type=output_type)
        return self._env.t_env.from_data_stream(stream, schema)


class RemoteExecutionEnvironment(AgentsExecutionEnvironment):
    """Agents on Flink: build with ``from_datastream``/``from_table``, run with ``execute``.

    Args:
        env: PyFlink's ``StreamExecutionEnvironment`` (configured here, see module doc).
        config: resolved agent configuration.
        t_env: a ``StreamTableEnvironment`` over ``env`` (created when first needed).
    """

    def __init__(
        self,
        env: StreamExecutionEnvironment,
        config: AgentConfiguration | None = None,
        t_env: Any = None,
    ) -> None:
        self.env = env
        self.config = config if config is not None else AgentConfiguration.resolve()
        self.resources: dict[Any, dict[str, Any]] = {}
        self._t_env = t_env
        self.job_id: str | None = None
        configure_environment(env, self.config)

    @property
    def t_env(self) -> Any:
        """The table environment over :attr:`env`."""
        if self._t_env is None:
            from pyflink.table import StreamTableEnvironment

            self._t_env = StreamTableEnvironment.create(stream_execution_environment=self.env)
        return self._t_env

    def get_config(self) -> AgentConfiguration:
        """The agent configuration jobs are built with (set options before ``apply``)."""
        return self.config

    def add_resource(
        self, name: str, resource_type: Any, instance: Any
    ) -> RemoteExecutionEnvironment:
        """A resource every applied agent can use (the agent's own win on a clash)."""
        self.resources.setdefault(resource_type, {})[name] = instance
        return self

    def _fix_job_id(self) -> str:
        """Fix the id of the next job this environment submits (the event log names it)."""
        if self.job_id is None:
            self.job_id = new_job_id()
            conf = Configuration()
            conf.set_string(FIXED_JOB_ID, self.job_id)
            self.env.configure(conf)
        return self.job_id

    def from_datastream(
        self,
        input: DataStream,
        key_selector: Callable[[Any], Any] | None = None,
        *,
        value_selector: Callable[[Any], Any] | None = None,
    ) -> RemoteAgentBuilder:
        """Agent input from ``input``, keyed by ``key_selector`` (unless already keyed).

        ``value_selector`` picks the input value from an element (default: the element).
        ``key_selector`` also runs in the agent's operator, which computes each element's
        key with it rather than asking Flink (it must be deterministic, as Flink requires;
        if the first element's keys differ, the operator asks Flink from then on).
        """
        own_key = None  # the selector the agent's function may compute keys with
        if not isinstance(input, KeyedStream):
            if key_selector is None:
                raise UsageError("from_datastream needs a key_selector for an unkeyed stream")
            input = input.key_by(key_selector, key_type=Types.PICKLED_BYTE_ARRAY())
            if not isinstance(key_selector, KeySelector):  # a KeySelector has open/close
                own_key = key_selector
        return RemoteAgentBuilder(self, input, value_selector, own_key)

    def from_table(
        self, input: Any, key_selector: Callable[[Any], Any] | None = None
    ) -> RemoteAgentBuilder:
        """Agent input from a Table: each input is the table's row itself, a PyFlink ``Row``
        with the column names (``row["id"]`` or ``row.id``), keyed by ``key_selector(row)``,
        as in Flink Agents."""
        if key_selector is None:
            raise UsageError("from_table needs a key_selector, e.g. lambda row: row['id']")
        stream = self.t_env.to_data_stream(input).map(
            lambda row: row, output_type=Types.PICKLED_BYTE_ARRAY()
        )
        return self.from_datastream(stream, key_selector)

    def execute(self, job_name: str | None = None) -> Any:
        """Run the job and wait for it (PyFlink's ``JobExecutionResult``)."""
        result = self.env.execute(job_name or self.config.get("job-identifier") or "flink-agents")
        from flink_agents_runtime.durable._recovery import prune_finished_job

        prune_finished_job(self.config, self.job_id)  # issue 7: finished: no replay needed
        self.job_id = None
        return result

    def execute_async(self, job_name: str | None = None) -> Any:
        """Submit the job without waiting (PyFlink's ``JobClient``)."""
        client = self.env.execute_async(
            job_name or self.config.get("job-identifier") or "flink-agents"
        )
        self.job_id = None
        return client
