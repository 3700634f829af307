"""``promote``: run the same agent on Flink's MiniCluster and compare it with a local run.

``fa.promote(agent, df_or_list, key=...)`` runs the agent locally (recording every event) and
as a PyFlink job on the embedded MiniCluster over the same input, reads the job back (its
outputs, the event log its subtasks wrote, their metric totals) into the same :class:`Run`
shape as a local run, and checks parity (:mod:`flink_agents_nb.flink._parity`): outputs equal
per key, event types and counts, action runs and metric totals.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Mapping
from typing import Any

from flink_agents_nb.flink._parity import (
    PARITY_IGNORED_PREFIXES,
    KeyParity,
    ParityCheck,
    ParityReport,
    compare,
)
from flink_agents_nb.run._environment import NotebookEnvironment
from flink_agents_nb.run._inputs import agent_to_run, input_pairs
from flink_agents_nb.run._run import Run
from flink_agents_runtime import Agent, AgentConfiguration, RunResult
from flink_agents_runtime.engine.reporting._run import Output

__all__ = [
    "PARITY_IGNORED_PREFIXES",
    "KeyParity",
    "ParityCheck",
    "ParityReport",
    "PromotedRun",
    "compare",
    "input_pairs",
    "promote",
    "run_on_minicluster",
]


class PromotedRun(Run):
    """A MiniCluster job of the agent, as a :class:`Run`, with its parity report.

    Attributes:
        parity: the :class:`ParityReport` against :attr:`local` (``None`` without one).
        local: the local run it was compared with.
        job_id: the Flink job id (names the event-log files).
        log_dir: where the job's subtasks wrote their event logs and metric totals.
    """

    def __init__(
        self,
        result: RunResult,
        *,
        local: Run | None,
        parity: ParityReport | None,
        log_dir: str,
        source: tuple[Agent, list[tuple[Any, Any]], AgentConfiguration],
    ) -> None:
        super().__init__(result)
        self.local = local
        self.parity = parity
        self.job_id = result.run_id
        self.log_dir = log_dir
        self._source = source

    def submit(self, rest_url: str | None = None, **kwargs: Any) -> Any:
        """Submit the same agent and input to a running cluster; see :func:`submit`."""
        from flink_agents_nb.flink._cluster import submit

        agent, pairs, config = self._source
        return submit(agent, pairs, rest_url=rest_url, config=config, **kwargs)

    def summary(self) -> str:
        """As :meth:`Run.summary`, naming the Flink job; its time includes starting the
        job (and, for the first job of a process, the JVM and the MiniCluster)."""
        lines = super().summary().splitlines()
        lines[0] = lines[0].replace(f"run {self.job_id} ", f"Flink job {self.job_id} ", 1)
        lines[1] = re.sub(r" \([\d,.]+ events/s\)$", " (job start included)", lines[1])
        return "\n".join(lines)

    def _mimebundle(self) -> dict[str, Any]:
        bundle = dict(super()._mimebundle())
        if self.parity is not None:
            extra = self.parity._mimebundle()
            bundle["text/plain"] = bundle.get("text/plain", "") + "\n" + extra["text/plain"]
            bundle["text/html"] = bundle.get("text/html", "") + extra["text/html"]
        return bundle


def _config(config_file: Any, options: Mapping[str, Any] | None) -> AgentConfiguration:
    return AgentConfiguration.resolve(config_file, overrides=dict(options or {}))


def run_on_minicluster(
    agent: Agent, pairs: list[tuple[Any, Any]], config: AgentConfiguration, log_dir: str
) -> RunResult:
    """Run ``agent`` over ``pairs`` as a MiniCluster job; the job read back as a RunResult."""
    from pyflink.datastream import StreamExecutionEnvironment

    from flink_agents_runtime.drivers.flink import RemoteExecutionEnvironment
    from flink_agents_runtime.drivers.flink._inputs import input_pairs
    from flink_agents_runtime.drivers.flink._readback import read_job
    from flink_agents_runtime.drivers.flink._remote import job_failure, pair_key, pair_value

    conf = config.copy()
    conf.set("baseLogDir", log_dir)
    start = time.perf_counter()
    env = StreamExecutionEnvironment.get_execution_environment()
    agents_env = RemoteExecutionEnvironment(env, conf)
    stream = env.from_collection(input_pairs(pairs))  # numbered as the local run numbers them
    builder = agents_env.from_datastream(
        stream, key_selector=pair_key, value_selector=pair_value
    ).apply(agent)
    job_name = f"promote-{agent.plan_name()}"
    try:
        outputs = [
            Output(k, seq, v)
            for k, seq, v in builder._stream(with_meta=True).execute_and_collect(job_name)
        ]
    except Exception as exc:
        if type(exc).__name__ != "Py4JJavaError":
            raise
        raise job_failure(exc, job_name) from None
    wall = time.perf_counter() - start
    job_id = builder.job_id or ""
    back = read_job(log_dir, job_id)
    return back.run_result(job_id, agent.plan_name(), wall, conf, outputs)


def promote(
    agent: Agent | str,
    data: Any,
    key: str | None = None,
    value: str | None = None,
    *,
    columns: Any = None,
    compare_local: bool = True,
    log_dir: str | None = None,
    config_file: Any = None,
    config: Mapping[str, Any] | None = None,
    env: Any = None,
) -> PromotedRun:
    """Run ``agent`` on the MiniCluster over ``data`` and compare with a local run.

    Args:
        agent: the agent (defined anywhere, a notebook cell included), or the name of a
            YAML-declared agent loaded into ``env`` (``env.load_yaml``): it runs with
            ``env``'s resources, as ``env....apply(name)`` runs it.
        data: a DataFrame (``key``/``value``/``columns`` as in ``from_pandas``) or a list of
            ``{"key": ..., "value": ...}`` dicts.
        compare_local: also run locally and attach a :class:`ParityReport`.
        log_dir: where the job writes its event logs (``baseLogDir``, else a temp dir).
        config_file, config: agent configuration (as ``fa.local``), for both runs.
        env: the environment a YAML agent named by ``agent`` was loaded into.

    Raises :class:`~flink_agents_runtime.FlinkUnavailableError` without Java or PyFlink, and
    :class:`~flink_agents_runtime.AgentDefinitionError` for a name ``env`` has no agent under.
    """
    agent = agent_to_run(agent, env, "promote")
    pairs = input_pairs(data, key, value, columns)
    conf = _config(config_file, config)
    directory = log_dir or conf.get("baseLogDir") or tempfile.mkdtemp(prefix="flink-agents-job-")
    local_run: Run | None = None
    if compare_local:
        local_env = NotebookEnvironment(conf.copy())
        local_run = local_env.from_pairs(pairs).apply(agent).execute(record=True, progress=False)
    result = run_on_minicluster(agent, pairs, conf, str(directory))
    parity = compare(local_run.result, result) if local_run is not None else None
    return PromotedRun(
        result, local=local_run, parity=parity, log_dir=str(directory), source=(agent, pairs, conf)
    )
