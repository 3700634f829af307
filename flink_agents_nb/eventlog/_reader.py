"""``read_event_log``: any Flink Agents event log as one pandas DataFrame, never failing on junk.

Reads our files (flat records, see ``flink_agents_runtime.eventlog._lines``), Apache Flink
Agents 0.4 Trace Log records (``traces-*.log``, ``*.trace-log.log``; ``_trace.py`` says how
each lands in the columns below, and the seven columns a trace log adds), 0.3.1 nested
records (``{"timestamp", "event": {"eventType", "id", "attributes"}}``, optionally with
``jobId``/``taskName``/``subtaskId``), its newer flat records (``eventId``,
``eventAttributes``, ``upstreamEventId``, ...), pretty-printed multi-line JSON, gzip files,
and directories of many subtask files (merged in time order; in a directory such as Flink's
``log/``, other programs' logs are skipped with one problem each, see ``files/_foreign``).
What cannot be read becomes a :class:`LogProblem` in :attr:`EventLog.problems`; broken
causal links too.

``EventLog.frame`` columns (one row per record, rows in time order, RangeIndex):

================== ==================== ==================================================
column             dtype                meaning
================== ==================== ==================================================
timestamp          datetime64[ns, UTC]  when the event was sent / the action started (NaT
                                        if missing or unparseable)
record_type        object (str)         ``"event"`` or ``"action"``
job                object (str/None)    job id (``jobId``)
task               object (str/None)    task name (``taskName``)
subtask            Int64                subtask index (``subtaskIndex`` / ``subtaskId``)
key                object               the input's key (None in Flink Agents' own logs)
event_id           object (str/None)    the event's id; for an action: the handled event
event_type         object (str/None)    the event's type; for an action: the handled type
upstream_event_id  object (str/None)    id of the event whose action sent this event
upstream_action    object (str/None)    name of the action that sent this event
action             object (str/None)    action records: the action's name
duration_ms        float64              action records: run time in milliseconds (NaN else)
status             object (str/None)    action records: ``ok``, ``failed`` or ``ignored``
prompt_tokens      Int64                token usage found in the attributes (see below)
completion_tokens  Int64                idem
model              object (str/None)    model named beside the token usage
attributes         object (Mapping)     events: the attributes; actions: ``attempt``,
                                        ``error``, ``sentEventIds``, ``memoryWrites``
                                        (a JSON object: a read-only ``Mapping``, decoded
                                        on first use, see below; other JSON values as
                                        they are, ``None`` for null or missing)
seq                Int64                record position within its core (our logs)
input_seq          Int64                which input of its core caused it (our logs)
file               category             the file the record came from
line               int64                1-based line where the record starts
================== ==================== ==================================================

Token usage is taken from ``promptTokens``/``completionTokens`` (Flink Agents'
``extra_args``), ``prompt_tokens``/``completion_tokens``, and the OpenTelemetry GenAI names
``gen_ai.usage.input_tokens``/``gen_ai.usage.output_tokens`` (or ``input_tokens``/
``output_tokens``), anywhere in the attributes up to 4 levels deep; ``model`` from ``model``,
``model_name``, ``gen_ai.response.model`` or ``gen_ai.request.model`` nearest to it.

The ``attributes`` cells are :class:`collections.abc.Mapping` objects, not necessarily
``dict``: records read on the fast path keep their attributes as JSON bytes
(:class:`~flink_agents_nb.eventlog._attributes.Attributes`, decoded the first time a cell is
looked into; building a million dicts cost more than the rest of the read). They compare
equal to the dict they hold, print as it, pickle, and ``dict(cell)`` or ``cell.to_dict()``
gives a plain dict (for ``isinstance(x, dict)`` checks and JSON encoders:
``json.dumps(..., default=dict)``; pyarrow and Parquet take dicts only:
``frame.assign(attributes=frame["attributes"].map(dict)).to_parquet(...)``). Only the records
whose text mentions tokens are decoded during the read (for the token columns).
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.eventlog._lineage import CausalNode, causal_trees, render_trees
from flink_agents_nb.eventlog._load import load_log
from flink_agents_nb.eventlog.columns._columns import (
    COLUMNS as COLUMNS,  # the column names, in order
)
from flink_agents_nb.eventlog.files._files import LogProblem
from flink_agents_runtime._display import DisplayMixin


class EventLog(DisplayMixin):
    """An event log read back: :attr:`frame` (see the module docstring for its columns),
    :attr:`problems` (every part that could not be read, and broken causal links) and
    :attr:`files` (the files read)."""

    def __init__(self, frame: pd.DataFrame, problems: list[LogProblem], files: list[str]):
        self.frame = frame
        self.problems = problems
        self.files = files

    def __len__(self) -> int:
        return len(self.frame)

    def filter(
        self,
        key: Any = None,
        event_type: str | Iterable[str] | None = None,
        record_type: str | None = None,
    ) -> EventLog:
        """The records of ``key`` and/or of ``event_type`` (one or several) and/or of
        ``record_type``; problems are kept as they are."""
        f = self.frame
        mask = np.ones(len(f), dtype=bool)
        if key is not None:
            mask &= (f["key"] == key).to_numpy()
        if event_type is not None:
            types = [event_type] if isinstance(event_type, str) else list(event_type)
            mask &= f["event_type"].isin(types).to_numpy()
        if record_type is not None:
            mask &= (f["record_type"] == record_type).to_numpy()
        return EventLog(f[mask].reset_index(drop=True), self.problems, self.files)

    def trees(self, key: Any = None, input_seq: int | None = None) -> list[CausalNode]:
        """Causal trees (one per input event) of ``key`` (all keys when ``None``)."""
        return causal_trees(self.frame, key=key, input_seq=input_seq)

    def tree_text(self, key: Any = None, input_seq: int | None = None) -> str:
        """The causal trees of :meth:`trees` drawn as text."""
        return render_trees(self.frame, self.trees(key, input_seq))

    def summary(self) -> dict[str, Any]:
        """Counts per record type (``starts``, ``calls``: a trace log's started actions and
        calls, and its ended calls), event type and key; time span; tokens; problems."""
        f = self.frame
        kinds = f["record_type"].value_counts()  # (one pass: four comparisons of 1M strings)
        events = f[f["record_type"] == "event"]
        start, end = f["timestamp"].min(), f["timestamp"].max()
        return {
            "files": len(self.files),
            "records": len(f),
            "events": len(events),
            "actions": int(kinds.get("action", 0)),
            # a trace log's other records: started actions and calls, ended calls
            "starts": int(kinds.get("start", 0)),
            "calls": int(kinds.get("call", 0)),
            "events_per_type": {
                str(k): int(v) for k, v in events["event_type"].value_counts().items()
            },
            "events_per_key": {
                str(k): int(v) for k, v in events["key"].dropna().value_counts().items()
            },
            "start": None if pd.isna(start) else start.isoformat(),
            "end": None if pd.isna(end) else end.isoformat(),
            "span_s": None if pd.isna(start) else (end - start).total_seconds(),
            "prompt_tokens": int(f["prompt_tokens"].sum()),
            "completion_tokens": int(f["completion_tokens"].sum()),
            "problems": len(self.problems),
        }

    def problems_in_order(self) -> list[LogProblem]:
        """:attr:`problems` in file order (as :attr:`files`), then by line (a whole file's
        first): the order a person reads them in. ``problems`` keeps the reader's order."""
        rank = {f: i for i, f in enumerate(self.files)}
        return sorted(
            self.problems,
            key=lambda p: (rank.get(p.file, len(rank)), p.file, -1 if p.line is None else p.line),
        )

    def summary_text(self, max_rows: int = 10) -> str:
        """:meth:`summary` as a few lines of text."""
        s = self.summary()
        kinds = f"{s['events']} events, {s['actions']} actions"
        kinds += "".join(f", {s[k]} {k}" for k in ("starts", "calls") if s[k])
        lines = [
            f"event log: {s['records']} records ({kinds})"
            f" from {s['files']} file(s), {s['problems']} problem(s)"
        ]
        if s["start"] is not None:
            lines.append(f"time span: {s['start']} .. {s['end']} ({s['span_s']:.3f} s)")
        if s["prompt_tokens"] or s["completion_tokens"]:
            lines.append(
                f"tokens: {s['prompt_tokens']} prompt, {s['completion_tokens']} completion"
            )
        for title, counts in (("per type", s["events_per_type"]), ("per key", s["events_per_key"])):
            if counts:
                items = list(counts.items())
                shown = ", ".join(f"{k}: {v}" for k, v in items[:max_rows])
                more = f", ... ({len(items) - max_rows} more)" if len(items) > max_rows else ""
                lines.append(f"events {title}: {shown}{more}")
        for problem in self.problems_in_order()[:max_rows]:
            lines.append(f"problem: {problem}")
        if len(self.problems) > max_rows:
            lines.append(f"... {len(self.problems) - max_rows} more problems")
        return "\n".join(lines)

    def step(self) -> Any:
        """The stepper over this log's events (the same one each call); see
        :class:`flink_agents_nb.Stepper`."""
        if "_stepper" not in self.__dict__:
            from flink_agents_nb.stepper._stepper import Stepper

            self.__dict__["_stepper"] = Stepper(self)
        return self.__dict__["_stepper"]

    @property
    def metrics(self) -> dict[str, float]:
        """Flink Agents 0.4's built-in metrics as the records show them (a log has no metric
        registry): ``numOfInputRunsSucceeded|Failed``, ``inputRunLatencyMs``,
        ``action.<a>.actionExecutionLatencyMs`` and, from a trace log's calls,
        ``action.<a>.model_resource.<r>.*`` and ``action.<a>.tool.<t>.*`` (latencies are
        means in milliseconds); ``log.plot.metrics()`` charts them."""
        from flink_agents_nb.charts._metrics import builtin_metrics

        return builtin_metrics(self)

    @property
    def plot(self) -> Any:
        """Charts, as on a ``Run``: ``log.plot.throughput()``, ``.latency()``, ``.tokens()``,
        ``.waterfall(...)``, ``.dashboard()``."""
        from flink_agents_nb.charts._dashboard import PlotAccessor

        return PlotAccessor(self)

    def report(self, path: Any) -> Any:
        """Write one self-contained HTML report of this log to ``path``; returns the path."""
        from flink_agents_nb.charts._report import write_report

        return write_report(self, path)

    def __repr__(self) -> str:
        return self.summary_text()

    def _mimebundle(self) -> dict[str, Any]:
        text = self.summary_text()
        rows = "".join(f"<li>{html.escape(line)}</li>" for line in text.splitlines()[1:])
        head = html.escape(text.splitlines()[0])
        return {
            "text/plain": text,
            "text/html": f"<div class='fa-event-log'><b>{head}</b><ul>{rows}</ul></div>",
        }


def read_event_log(path: str | os.PathLike[str]) -> EventLog:
    """Read an event-log file or a directory of them (see the module docstring) into an
    :class:`EventLog` (its views: filter, trees, stepper, charts, report).

    Raises :class:`LogNotFoundError` (a ``FileNotFoundError``) only when ``path`` does not
    exist; bad content is reported in :attr:`EventLog.problems`.
    """
    loaded = load_log(path)
    return EventLog(loaded.frame, loaded.problems, loaded.files)
