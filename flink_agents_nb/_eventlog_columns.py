"""Turning parsed event-log records into the columns of ``EventLog.frame``.

See :mod:`flink_agents_nb._eventlog_reader` for the columns and their meaning. Records are
processed chunk by chunk: our own records (every field present) through a C-speed path
(``operator.itemgetter``), any other accepted shape (Flink Agents' flat or nested records,
fields missing) through a generic one. Repeated strings are shared to keep memory down.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb._eventlog_files import FileRecords, LogProblem

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
        raw = _fast_columns(recs)
        if raw is None:
            raw = _generic_columns(recs)
        rtypes = raw["record_type"]
        attrs = raw.pop("attributes")
        prompt: list[Any] = [None] * n
        completion: list[Any] = [None] * n
        model: list[Any] = [None] * n
        for i in hints if hints is not None else range(n):
            if rtypes[i] != "event":
                continue
            found = token_usage(attrs[i])
            if found is not None:
                prompt[i], completion[i], model[i] = found
        p["timestamp"].append(_timestamps(raw.pop("timestamp")))
        p["attributes"].append(_objects(attrs))
        p["prompt_tokens"].append(_floats(prompt))
        p["completion_tokens"].append(_floats(completion))
        p["subtask"].append(_floats(raw.pop("subtask")))
        p["duration_ms"].append(_floats(raw.pop("duration")) / 1e6)
        p["seq"].append(_floats(raw.pop("seq")))
        p["input_seq"].append(_floats(raw.pop("input_seq")))
        raw["model"] = model
        for name, values in raw.items():
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


_COMMON = ("timestamp", "recordType", "eventId", "eventType", "key", "seq", "inputSeq",
           "jobId", "taskName", "subtaskIndex")  # fmt: skip
_EVENT_ONLY = ("upstreamEventId", "upstreamActionName", "eventAttributes")
_ACTION_ONLY = ("actionName", "durationNs", "status", *_ACTION_FIELDS)
_COMMON_NAMES = ("timestamp", "record_type", "event_id", "event_type", "key", "seq",
                 "input_seq", "job", "task", "subtask")  # fmt: skip
_GET_EVENT = operator.itemgetter(*_COMMON, *_EVENT_ONLY)
_GET_ACTION = operator.itemgetter(*_COMMON, *_ACTION_ONLY)


def _fast_columns(recs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Columns of a chunk of our own records (every field present), at C speed; ``None``
    when some record has another shape."""
    n = len(recs)
    kinds = [r.get("recordType") for r in recs]
    ev = [i for i, k in enumerate(kinds) if k == "event"]
    act = [i for i, k in enumerate(kinds) if k == "action"]
    if len(ev) + len(act) != n:
        return None
    try:
        ev_cols = list(zip(*map(_GET_EVENT, [recs[i] for i in ev]), strict=True))
        act_cols = list(zip(*map(_GET_ACTION, [recs[i] for i in act]), strict=True))
    except KeyError:
        return None

    def column(ev_values: Any, act_values: Any) -> np.ndarray:
        out = np.empty(n, dtype=object)
        if ev:
            out[ev] = _objects(list(ev_values))
        if act:
            out[act] = _objects(list(act_values))
        return out

    none = None
    nc = len(_COMMON)
    cols: dict[str, Any] = {}
    for k, name in enumerate(_COMMON_NAMES):
        cols[name] = column(ev_cols[k] if ev else none, act_cols[k] if act else none)
    cols["record_type"] = kinds
    cols["upstream_event_id"] = column(ev_cols[nc] if ev else none, [None] * len(act))
    cols["upstream_action"] = column(ev_cols[nc + 1] if ev else none, [None] * len(act))
    cols["action"] = column([None] * len(ev), act_cols[nc] if act else none)
    cols["duration"] = column([None] * len(ev), act_cols[nc + 1] if act else none)
    cols["status"] = column([None] * len(ev), act_cols[nc + 2] if act else none)
    action_attrs = (
        [
            {"attempt": a, "error": e, "sentEventIds": s, "memoryWrites": m}
            for a, e, s, m in zip(*act_cols[nc + 3 :], strict=True)
        ]
        if act
        else []
    )
    cols["attributes"] = column(ev_cols[nc + 2] if ev else none, action_attrs)
    return cols


def _generic_columns(recs: list[dict[str, Any]]) -> dict[str, Any]:
    """Columns of records of any accepted shape (flat, with fields possibly missing)."""
    rtypes = [r.get("recordType") or "event" for r in recs]
    attrs = [r.get("eventAttributes", r.get("attributes")) for r in recs]
    for i in [i for i, t in enumerate(rtypes) if t == "action"]:
        r = recs[i]
        attrs[i] = {f: r.get(f) for f in _ACTION_FIELDS}
    return {
        "timestamp": [r.get("timestamp") for r in recs],
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
        "subtask": [r.get("subtaskIndex", r.get("subtaskId")) for r in recs],
        "duration": [r.get("durationNs") for r in recs],
        "seq": [r.get("seq") for r in recs],
        "input_seq": [r.get("inputSeq") for r in recs],
        "attributes": attrs,
    }


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
