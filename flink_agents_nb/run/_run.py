"""``Run``: a local (or promoted) execution's result, as DataFrames.

Wraps the runtime's plain :class:`~flink_agents_runtime.RunResult`; everything pandas lives
here so the runtime stays lean.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import pandas as pd
from pydantic import BaseModel

from flink_agents_nb._html import STYLE, table
from flink_agents_nb.run._frames import record_frame, result_rows
from flink_agents_runtime import MetricSnapshot, RunResult
from flink_agents_runtime._display import DisplayMixin
from flink_agents_runtime._errors import NotRecordedError

#: Outputs shown in a run's display (``run.outputs`` has them all).
PREVIEW_OUTPUTS = 5


def _output_fields(value: Any) -> dict[str, Any] | None:
    """The fields of an output as a dict (``None`` for an output without named fields).

    Flink Agents' examples emit pydantic models and PyFlink ``Row``s as often as dicts.
    """
    if isinstance(value, dict):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump()
    as_dict = getattr(value, "as_dict", None)
    if type(value).__name__ == "Row" and callable(as_dict):
        try:
            fields = as_dict()
        except Exception:  # a Row without field names
            return None
        return fields if isinstance(fields, dict) else None
    return None


#: Columns of :attr:`Run.actions` (the record columns that apply to actions).
ACTION_COLUMNS = (
    "timestamp",
    "key",
    "seq",
    "input_seq",
    "action",
    "event_id",
    "event_type",
    "duration_ms",
    "status",
    "attempt",
    "error",
    "sent_event_ids",
    "memory_writes",
    "job",
    "task",
    "subtask",
)


class Run(DisplayMixin):
    """The result of one execution, for the notebook.

    Attributes:
        result: the runtime's :class:`RunResult` (plain Python).
        agent: the agent that ran (set by the environment; what :meth:`fork` re-runs).
        fork_info: for a fork: where it forked (source, event, key, input), else ``None``.
    """

    def __init__(self, result: RunResult, agent: Any = None) -> None:
        self.result = result
        self.agent = agent
        self.fork_info: dict[str, Any] | None = None

    # -- plain facts -------------------------------------------------------------------
    @property
    def run_id(self) -> str:
        """Unique id of this execution."""
        return self.result.run_id

    @property
    def error(self) -> BaseException | None:
        """The error that stopped the run (it is then partial), else ``None``."""
        return self.result.error

    @property
    def metrics(self) -> MetricSnapshot:
        """Final metric values by name (counters: totals; meters: rate per second)."""
        return MetricSnapshot(self.result.metrics)

    @property
    def metric_counts(self) -> MetricSnapshot:
        """Totals of every counter and meter."""
        return MetricSnapshot(self.result.metric_counts)

    def to_list(self) -> list[dict[Any, Any]]:
        """Outputs as ``[{key: output}, ...]`` (Flink Agents' local runner shape)."""
        return self.result.to_list()

    def summary(self) -> str:
        """A few lines: inputs, outputs, events, actions, time, throughput."""
        return self.result.summary()

    # -- frames ------------------------------------------------------------------------
    @cached_property
    def outputs(self) -> pd.DataFrame:
        """One row per output, in input order (``input_seq``; an input's outputs in the order
        they were sent). Outputs with fields (dicts, pydantic models, PyFlink ``Row``s
        with names) get one column per field first (``output.<field>``), then
        ``key``, ``input_seq`` and the whole ``output`` (the object as the agent sent it)."""
        outs = sorted(self.result.outputs, key=lambda o: -1 if o.input_seq is None else o.input_seq)
        frame = pd.DataFrame(
            {
                "key": [o.key for o in outs],
                "input_seq": pd.array([o.input_seq for o in outs], dtype="Int64"),
                "output": [o.value for o in outs],
            }
        )
        rows = [_output_fields(o.value) for o in outs]
        if outs and all(row is not None for row in rows):
            fields = pd.json_normalize(rows, max_level=0)
            fields.columns = [f"output.{c}" for c in fields.columns]
            frame = pd.concat([fields, frame], axis=1)
        return frame

    @cached_property
    def records(self) -> pd.DataFrame:
        """Every event and action record, in order (see ``flink_agents_nb.run._frames``)."""
        self._require_recorded()
        return record_frame(result_rows(self.result))

    @property
    def events(self) -> pd.DataFrame:
        """Event records only: one row per event, with lineage."""
        frame = self.records
        return frame[frame["record_type"] == "event"].reset_index(drop=True)

    @property
    def actions(self) -> pd.DataFrame:
        """Action records only: one row per action attempt (:data:`ACTION_COLUMNS`): the
        event it handled, ``duration_ms``, ``status``, ``attempt``, ``error``, and what it
        did: ``sent_event_ids`` and ``memory_writes`` (``{memory, path, value}`` dicts)."""
        frame = self.records
        acts = frame[frame["record_type"] == "action"].reset_index(drop=True)
        attrs = acts["attributes"]
        acts = acts.assign(
            sent_event_ids=[
                a.get("sentEventIds", []) if isinstance(a, Mapping) else [] for a in attrs
            ],
            memory_writes=[
                a.get("memoryWrites", []) if isinstance(a, Mapping) else [] for a in attrs
            ],
        )
        return acts[list(ACTION_COLUMNS)]

    @cached_property
    def metric_series(self) -> pd.DataFrame:
        """Sampled metrics: ``t_s`` (seconds since start), ``name``, ``value``."""
        return pd.DataFrame(self.result.metric_series, columns=["t_s", "name", "value"])

    def _require_recorded(self) -> None:
        if not self.result.recorded:
            raise NotRecordedError(
                f"run {self.run_id} did not record events (it had "
                f"{self.result.num_inputs} inputs); execute with record=True to keep them"
            )

    def token_usage(self, prices: Any = None) -> pd.DataFrame:
        """Tokens and cost per model and action; see :func:`flink_agents_nb.token_usage`."""
        from flink_agents_nb.run._costs import token_usage

        return token_usage(self.result, prices)

    # -- time travel (imported lazily) ----------------------------------------------------
    def fork(self, at: Any, **edits: Any) -> Run:
        """Re-run the input of event ``at`` from that event with edits (``agent=``,
        ``memory=``, ``sensory=``, ``model=``, ``config=``), then the key's later inputs;
        returns the fork as a Run. See :func:`flink_agents_nb.timetravel.fork`."""
        from flink_agents_nb.timetravel._fork import fork

        result, agent, info = fork(self, at, **edits)
        run = Run(result, agent)
        run.fork_info = info
        return run

    # -- views (stepper, charts, report; imported lazily) --------------------------------
    def step(self) -> Any:
        """The stepper over this run's events (the same one each call: position and filters
        survive re-rendering); see :class:`flink_agents_nb.Stepper`."""
        if "_stepper" not in self.__dict__:
            from flink_agents_nb.stepper._stepper import Stepper

            self.__dict__["_stepper"] = Stepper(self)
        return self.__dict__["_stepper"]

    @property
    def plot(self) -> Any:
        """Charts: ``run.plot.throughput()``, ``.latency()``, ``.tokens()``,
        ``.waterfall(key=..., input_seq=...)``, ``.dashboard()`` (plotly figures)."""
        from flink_agents_nb.charts._dashboard import PlotAccessor

        return PlotAccessor(self)

    def report(self, path: Any) -> Any:
        """Write one self-contained HTML report (summary, charts, event table) to ``path``;
        returns the path."""
        from flink_agents_nb.charts._report import write_report

        return write_report(self, path)

    # -- display -----------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"<Run {self.summary().splitlines()[0]}>"

    def _mimebundle(self) -> dict[str, Any]:
        lines = self.summary().splitlines()
        head = html.escape(lines[0])
        rest = "".join(f"<li>{html.escape(line)}</li>" for line in lines[1:])
        preview = ""
        n = len(self.result.outputs)
        if n:
            shown = self.outputs.head(PREVIEW_OUTPUTS)
            caption = f"first {len(shown)} of {n:,} outputs" if n > len(shown) else "outputs"
            seqs = [None if pd.isna(s) else int(s) for s in shown["input_seq"]]
            rows = zip(shown["key"], seqs, shown["output"], strict=True)
            preview = (
                f"{STYLE}<div class='fanb-muted'>{html.escape(caption)}</div>"
                f"{table(rows, ['key', 'input #', 'output'])}"
            )
        body = f"<div class='fanb-run'><b>{head}</b><ul>{rest}</ul>{preview}</div>"
        return {"text/plain": "\n".join(lines), "text/html": body}
