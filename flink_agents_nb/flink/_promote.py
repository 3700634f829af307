"""``promote``: run the same agent on Flink's MiniCluster and compare it with a local run.

``fa.promote(agent, df_or_list, key=...)`` runs the agent locally (recording every event) and
as a PyFlink job on the embedded MiniCluster over the same input, reads the job back (its
outputs, the event log its subtasks wrote, their metric totals) into the same :class:`Run`
shape as a local run, and checks parity: outputs equal per key (in input order, each with the
same input_seq), event types and counts equal, action runs equal, metric totals equal
(``eventLog*`` metrics, which only the job's event-log sink counts, are left out).
"""

from __future__ import annotations

import html
import tempfile
import time
from collections import Counter as Tally
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from flink_agents_nb.run._environment import NotebookEnvironment
from flink_agents_nb.run._inputs import input_pairs
from flink_agents_nb.run._run import Run
from flink_agents_runtime import Agent, AgentConfiguration, AgentPlan, RunResult
from flink_agents_runtime._display import DisplayMixin
from flink_agents_runtime.engine._run import Output

#: Metrics only the Flink job's event-log sink counts; left out of parity.
PARITY_IGNORED_PREFIXES = ("eventLog",)


@dataclass
class ParityCheck:
    """One comparison of the local run with the Flink job."""

    name: str
    ok: bool
    detail: str


@dataclass
class ParityReport(DisplayMixin):
    """Local run vs Flink job: outputs per key, event types, action runs, metric totals."""

    checks: list[ParityCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(c.ok for c in self.checks)

    def __bool__(self) -> bool:
        return self.ok

    def to_frame(self) -> pd.DataFrame:
        """One row per check: ``check``, ``ok``, ``detail``."""
        return pd.DataFrame(
            [{"check": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
            columns=["check", "ok", "detail"],
        )

    def __repr__(self) -> str:
        head = "parity: OK" if self.ok else "parity: DIFFERENT"
        return "\n".join(
            [head, *(f"  [{'ok' if c.ok else 'XX'}] {c.name}: {c.detail}" for c in self.checks)]
        )

    def _mimebundle(self) -> dict[str, Any]:
        rows = "".join(
            f"<tr><td>{'&#10003;' if c.ok else '&#10007;'}</td><td>{html.escape(c.name)}</td>"
            f"<td>{html.escape(c.detail)}</td></tr>"
            for c in self.checks
        )
        head = "Parity local vs Flink: " + ("OK" if self.ok else "DIFFERENT")
        body = f"<b>{head}</b><table><tr><th></th><th>check</th><th>detail</th></tr>{rows}</table>"
        return {"text/plain": repr(self), "text/html": body}


def _per_key(outputs: list[Output]) -> dict[Any, list[Any]]:
    """Each key's ``(input_seq, output)`` pairs in order: parity covers the outputs and
    which of the key's inputs produced each (``input_seq`` has one meaning on both
    drivers)."""
    grouped: dict[Any, list[Any]] = {}
    for out in outputs:
        grouped.setdefault(out.key, []).append((int(out.input_seq), out.value))
    return grouped


def _diff_counts(a: Mapping[Any, int], b: Mapping[Any, int]) -> str:
    names = sorted(set(a) | set(b), key=str)
    diffs = [
        f"{n}: local {a.get(n, 0)} vs flink {b.get(n, 0)}"
        for n in names
        if a.get(n, 0) != b.get(n, 0)
    ]
    return "; ".join(diffs[:5]) + (f" (+{len(diffs) - 5} more)" if len(diffs) > 5 else "")


def compare(local: RunResult, flink: RunResult) -> ParityReport:
    """The parity report of two runs of the same agent over the same input."""
    report = ParityReport()
    lo, fo = _per_key(local.outputs), _per_key(flink.outputs)
    bad = sorted((k for k in set(lo) | set(fo) if lo.get(k) != fo.get(k)), key=repr)
    if bad:
        first = bad[0]
        detail = (
            f"{len(bad)} keys differ, e.g. {first!r}: local {lo.get(first)!r} "
            f"vs flink {fo.get(first)!r}"
        )
    else:
        detail = f"{len(local.outputs)} outputs over {len(lo)} keys"
    report.checks.append(ParityCheck("outputs per key", not bad, detail))
    if local.events is not None and flink.events is not None:
        le = Tally(r.event.type for r in local.events)
        fe = Tally(r.event.type for r in flink.events)
        report.checks.append(
            ParityCheck(
                "event types and counts",
                le == fe,
                f"{sum(le.values())} events of {len(le)} types"
                if le == fe
                else _diff_counts(le, fe),
            )
        )
    if local.actions is not None and flink.actions is not None:
        la = Tally(f"{r.action}:{r.status}" for r in local.actions)
        fa_ = Tally(f"{r.action}:{r.status}" for r in flink.actions)
        report.checks.append(
            ParityCheck(
                "action runs",
                la == fa_,
                f"{sum(la.values())} action runs" if la == fa_ else _diff_counts(la, fa_),
            )
        )

    def kept(counts: Mapping[str, int]) -> dict[str, int]:
        return {n: v for n, v in counts.items() if not n.startswith(PARITY_IGNORED_PREFIXES)}

    lm, fm = kept(local.metric_counts), kept(flink.metric_counts)
    report.checks.append(
        ParityCheck(
            "metric totals",
            lm == fm,
            f"{len(lm)} counters and meters equal" if lm == fm else _diff_counts(lm, fm),
        )
    )
    return report


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
    job_name = f"promote-{type(agent).__name__}"
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
    return back.run_result(job_id, AgentPlan.from_agent(agent).name, wall, conf, outputs)


def promote(
    agent: Agent,
    data: Any,
    key: str | None = None,
    value: str | None = None,
    *,
    columns: Any = None,
    compare_local: bool = True,
    log_dir: str | None = None,
    config_file: Any = None,
    config: Mapping[str, Any] | None = None,
) -> PromotedRun:
    """Run ``agent`` on the MiniCluster over ``data`` and compare with a local run.

    Args:
        agent: the agent (defined anywhere, a notebook cell included).
        data: a DataFrame (``key``/``value``/``columns`` as in ``from_pandas``) or a list of
            ``{"key": ..., "value": ...}`` dicts.
        compare_local: also run locally and attach a :class:`ParityReport`.
        log_dir: where the job writes its event logs (``baseLogDir``, else a temp dir).
        config_file, config: agent configuration (as ``fa.local``), for both runs.

    Raises :class:`~flink_agents_runtime.FlinkUnavailableError` without Java or PyFlink.
    """
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
