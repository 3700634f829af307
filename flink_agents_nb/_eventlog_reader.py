"""``read_event_log``: any Flink Agents event log as one pandas DataFrame, never failing on junk.

Reads our files (flat records, see ``flink_agents_runtime._eventlog_sink``), Apache Flink
Agents 0.3.1 nested records (``{"timestamp", "event": {"eventType", "id", "attributes"}}``,
optionally with ``jobId``/``taskName``/``subtaskId``), its newer flat records (``eventId``,
``eventAttributes``, ``upstreamEventId``, ...), pretty-printed multi-line JSON, gzip files,
and directories of many subtask files (merged in time order). What cannot be read becomes a
:class:`LogProblem` in :attr:`EventLog.problems`; broken causal links too.

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
attributes         object (dict)        events: the attributes; actions: ``attempt``,
                                        ``error``, ``sentEventIds``, ``memoryWrites``
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
"""

from __future__ import annotations

import gc
import html
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb._eventlog_files import FileRecords, LogProblem, list_log_files, read_records
from flink_agents_nb._lineage import CausalNode, causal_trees, check_links, render_trees

COLUMNS = (
    "timestamp",
    "record_type",
    "job",
    "task",
    "subtask",
    "key",
    "event_id",
    "event_type",
    "upstream_event_id",
    "upstream_action",
    "action",
    "duration_ms",
    "status",
    "prompt_tokens",
    "completion_tokens",
    "model",
    "attributes",
    "seq",
    "input_seq",
    "file",
    "line",
)

_PROMPT = ("promptTokens", "prompt_tokens", "gen_ai.usage.input_tokens", "input_tokens")
_COMPLETION = (
    "completionTokens",
    "completion_tokens",
    "gen_ai.usage.output_tokens",
    "output_tokens",
)
_MODEL = ("model", "model_name", "modelName", "gen_ai.response.model", "gen_ai.request.model")
_NESTED_SKIP = {"eventType", "eventClass", "id", "attributes", "type", "sourceTimestamp"}
_ACTION_FIELDS = ("attempt", "error", "sentEventIds", "memoryWrites")


def _find_usage(node: Any, model: Any, depth: int) -> tuple[Any, Any, Any] | None:
    if not isinstance(node, dict):
        return None
    for name in _MODEL:
        value = node.get(name)
        if isinstance(value, str):
            model = value
            break
    prompt = next((node[n] for n in _PROMPT if n in node), None)
    completion = next((node[n] for n in _COMPLETION if n in node), None)
    if prompt is not None or completion is not None:
        return prompt, completion, model
    if depth <= 0:
        return None
    for value in node.values():
        found = _find_usage(value, model, depth - 1)
        if found is not None:
            return found
        if isinstance(value, list):
            for item in value[:20]:
                found = _find_usage(item, model, depth - 1)
                if found is not None:
                    return found
    return None


def token_usage(attributes: Any) -> tuple[Any, Any, Any] | None:
    """``(prompt, completion, model)`` found in ``attributes``, or ``None``."""
    return _find_usage(attributes, None, 4)


def _from_nested(rec: dict[str, Any]) -> dict[str, Any]:
    """A Flink Agents 0.3.1 nested record as a flat one."""
    event = rec["event"]
    attrs = event.get("attributes")
    attrs = dict(attrs) if isinstance(attrs, dict) else {}
    for name, value in event.items():  # old Python events keep fields beside attributes
        if name not in _NESTED_SKIP and name not in attrs:
            attrs[name] = value
    return {
        "timestamp": rec.get("timestamp"),
        "recordType": "event",
        "eventId": event.get("id"),
        "eventType": event.get("eventType") or event.get("type") or rec.get("eventType"),
        "upstreamEventId": event.get("upstreamEventId", rec.get("upstreamEventId")),
        "upstreamActionName": event.get("upstreamActionName", rec.get("upstreamActionName")),
        "eventAttributes": attrs,
        "key": rec.get("key"),
        "jobId": rec.get("jobId"),
        "taskName": rec.get("taskName"),
        "subtaskIndex": rec.get("subtaskIndex", rec.get("subtaskId")),
    }


#: Columns whose values repeat a lot: their equal strings are made one object (memory).
_SHARED = (
    "record_type",
    "job",
    "task",
    "key",
    "event_type",
    "upstream_action",
    "action",
    "status",
    "model",
)


class _Columns:
    """Column arrays accumulated chunk by chunk (each chunk's records are freed after it)."""

    def __init__(self) -> None:
        self.parts: dict[str, list[Any]] = {c: [] for c in COLUMNS}
        self.files: list[str] = []

    def add(self, chunk: FileRecords, problems: list[LogProblem]) -> None:
        recs, lines = chunk.records, chunk.lines
        odd = [
            i
            for i, r in enumerate(recs)
            if type(r) is not dict or "event" in r or not ("recordType" in r or "eventType" in r)
        ]
        dropped: list[int] = []
        for i in odd:
            rec = recs[i]
            if type(rec) is dict:
                if type(rec.get("event")) is dict:
                    recs[i] = _from_nested(rec)
                    continue
                if "eventType" in rec or "recordType" in rec:
                    continue
                reason = "not an event-log record (no eventType, recordType or event)"
            else:
                reason = f"not an event-log record (a JSON {type(rec).__name__}, not an object)"
            problems.append(LogProblem(chunk.file, lines[i], reason))
            dropped.append(i)
        hints = chunk.hints
        if dropped:
            drop = set(dropped)
            idx = [i for i in range(len(recs)) if i not in drop]
            recs = [recs[i] for i in idx]
            lines = [lines[i] for i in idx]
            hints = None
        if chunk.file not in self.files:
            self.files.append(chunk.file)
        code = self.files.index(chunk.file)
        self.parts["file"].append(np.full(len(recs), code, dtype=np.int32))
        self.parts["line"].append(np.asarray(lines, dtype=np.int64))
        self._extract(recs, hints)

    def _extract(self, recs: list[dict[str, Any]], hints: Any) -> None:
        p = self.parts
        n = len(recs)
        p["timestamp"].append(_timestamps([r.get("timestamp") for r in recs]))
        rtypes = [r.get("recordType") or "event" for r in recs]
        cols: dict[str, list[Any]] = {
            "record_type": rtypes,
            "job": [r.get("jobId") for r in recs],
            "task": [r.get("taskName") for r in recs],
            "key": [r.get("key") for r in recs],
            "event_id": [r.get("eventId") for r in recs],
            "event_type": [r.get("eventType") for r in recs],
            "upstream_event_id": [r.get("upstreamEventId") for r in recs],
            "upstream_action": [r.get("upstreamActionName") for r in recs],
            "action": [r.get("actionName") for r in recs],
            "status": [r.get("status") for r in recs],
        }
        p["subtask"].append(_floats([r.get("subtaskIndex", r.get("subtaskId")) for r in recs]))
        p["duration_ms"].append(_floats([r.get("durationNs") for r in recs]) / 1e6)
        p["seq"].append(_floats([r.get("seq") for r in recs]))
        p["input_seq"].append(_floats([r.get("inputSeq") for r in recs]))
        attrs = [r.get("eventAttributes", r.get("attributes")) for r in recs]
        for i in [i for i, t in enumerate(rtypes) if t == "action"]:
            r = recs[i]
            attrs[i] = {f: r.get(f) for f in _ACTION_FIELDS}
        prompt: list[Any] = [None] * n
        completion: list[Any] = [None] * n
        model: list[Any] = [None] * n
        for i in hints if hints is not None else range(n):
            if rtypes[i] != "event":
                continue
            found = token_usage(attrs[i])
            if found is not None:
                prompt[i], completion[i], model[i] = found
        p["attributes"].append(_objects(attrs))
        p["prompt_tokens"].append(_floats(prompt))
        p["completion_tokens"].append(_floats(completion))
        cols["model"] = model
        for name, values in cols.items():
            p[name].append(_shared(values) if name in _SHARED else _objects(values))

    def frame(self) -> pd.DataFrame:
        p = self.parts
        data: dict[str, Any] = {}
        for name, parts in p.items():
            if name == "timestamp":
                stamps = np.concatenate(parts) if parts else np.zeros(0, "datetime64[ns]")
                data[name] = pd.Series(stamps).dt.tz_localize("UTC")
            elif name == "file":
                codes = np.concatenate(parts) if parts else np.zeros(0, np.int32)
                data[name] = pd.Categorical.from_codes(codes, categories=self.files)
            elif name == "line":
                data[name] = np.concatenate(parts) if parts else np.zeros(0, np.int64)
            elif name in ("subtask", "seq", "input_seq", "prompt_tokens", "completion_tokens"):
                data[name] = _ints(np.concatenate(parts) if parts else np.zeros(0))
            elif name == "duration_ms":
                data[name] = np.concatenate(parts) if parts else np.zeros(0)
            else:
                data[name] = np.concatenate(parts) if parts else np.zeros(0, dtype=object)
        self.parts = {}
        frame = pd.DataFrame({name: data[name] for name in COLUMNS})
        return _time_order(frame, frame["file"].cat.codes.to_numpy())


def _timestamps(values: list[Any]) -> np.ndarray:
    """Timestamps as naive UTC ``datetime64[ns]`` (NaT where missing or unparseable)."""
    try:  # fast path: all ``...Z`` strings (ours, Flink Agents')
        bare = [v[:-1] for v in values if v[-1] == "Z"]
        if len(bare) == len(values):
            return np.array(bare, dtype="datetime64[ns]")
    except (TypeError, ValueError, IndexError):
        pass
    parsed = pd.to_datetime(
        pd.Series(values, dtype=object), utc=True, format="ISO8601", errors="coerce"
    )
    return parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


def _shared(values: list[Any]) -> np.ndarray:
    """``values`` as an object array whose equal values are one object."""
    arr = _objects(values)
    try:
        codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    except TypeError:  # unhashable values (lists as keys): keep as they are
        return arr
    table = np.empty(len(uniques) + 1, dtype=object)
    table[: len(uniques)] = uniques
    table[-1] = None
    return table[codes]


def _objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _floats(values: list[Any]) -> np.ndarray:
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        return np.array([_to_float(v) for v in values], dtype=np.float64)


def _to_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _ints(floats: np.ndarray) -> Any:
    floats = floats.copy()
    floats[~np.isfinite(floats)] = np.nan
    return pd.array(floats, dtype="Int64")


def _time_order(frame: pd.DataFrame, codes: np.ndarray) -> pd.DataFrame:
    stamps = frame["timestamp"].to_numpy(dtype="datetime64[ns]").view(np.int64).copy()
    stamps[frame["timestamp"].isna().to_numpy()] = np.iinfo(np.int64).max
    if len(stamps) < 2 or (np.all(stamps[1:] >= stamps[:-1]) and np.all(codes[1:] >= codes[:-1])):
        return frame
    order = np.lexsort((frame["line"].to_numpy(), codes, stamps))
    return frame.take(order).reset_index(drop=True)


class EventLog:
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
        """Counts per record type, event type and key; time span; tokens; problems."""
        f = self.frame
        events = f[f["record_type"] == "event"]
        start, end = f["timestamp"].min(), f["timestamp"].max()
        return {
            "files": len(self.files),
            "records": len(f),
            "events": len(events),
            "actions": int((f["record_type"] == "action").sum()),
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

    def summary_text(self, max_rows: int = 10) -> str:
        """:meth:`summary` as a few lines of text."""
        s = self.summary()
        lines = [
            f"event log: {s['records']} records ({s['events']} events, {s['actions']} actions)"
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
        for problem in self.problems[:max_rows]:
            lines.append(f"problem: {problem}")
        if len(self.problems) > max_rows:
            lines.append(f"... {len(self.problems) - max_rows} more problems")
        return "\n".join(lines)

    def step(self) -> Any:
        """The stepper over this log's events (the same one each call); see
        :class:`flink_agents_nb.Stepper`."""
        if "_stepper" not in self.__dict__:
            from flink_agents_nb._stepper import Stepper

            self.__dict__["_stepper"] = Stepper(self)
        return self.__dict__["_stepper"]

    @property
    def plot(self) -> Any:
        """Charts, as on a ``Run``: ``log.plot.throughput()``, ``.latency()``, ``.tokens()``,
        ``.waterfall(...)``, ``.dashboard()``."""
        from flink_agents_nb._charts import PlotAccessor

        return PlotAccessor(self)

    def report(self, path: Any) -> Any:
        """Write one self-contained HTML report of this log to ``path``; returns the path."""
        from flink_agents_nb._report import write_report

        return write_report(self, path)

    def __repr__(self) -> str:
        return self.summary_text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        text = self.summary_text()
        rows = "".join(f"<li>{html.escape(line)}</li>" for line in text.splitlines()[1:])
        head = html.escape(text.splitlines()[0])
        return {
            "text/plain": text,
            "text/html": f"<div class='fa-event-log'><b>{head}</b><ul>{rows}</ul></div>",
        }


def read_event_log(path: str | os.PathLike[str]) -> EventLog:
    """Read an event-log file or a directory of them (see the module docstring).

    Raises :class:`FileNotFoundError` only when ``path`` does not exist; bad content is
    reported in :attr:`EventLog.problems`.
    """
    files = list_log_files(Path(path))
    problems: list[LogProblem] = []
    columns = _Columns()
    gc_was_on = gc.isenabled()
    gc.disable()  # millions of new dicts, no cycles: collections would only cost time
    try:
        for file in files:
            for chunk in read_records(file, problems):
                columns.add(chunk, problems)
        frame = columns.frame()
        problems.extend(check_links(frame))
    finally:
        if gc_was_on:
            gc.enable()
    return EventLog(frame, problems, [str(f) for f in files])
