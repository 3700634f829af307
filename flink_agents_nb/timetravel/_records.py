"""Any record the kit reads, as a runtime :class:`Recording` (replay and fork input).

A :class:`~flink_agents_nb.Run` gives its in-memory records (exact, memory writes
included); an :class:`~flink_agents_nb.EventLog`, a record DataFrame or a log path (ours,
a Flink job's, Apache Flink Agents') gives the rows of its record frame.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from flink_agents_nb.run._source import record_frame_of, source_name
from flink_agents_runtime import AgentConfiguration, RunResult
from flink_agents_runtime.timetravel import Recording, rows_of_result

_INTS = ("seq", "input_seq", "subtask", "attempt")


def _clean(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, Mapping) and not isinstance(value, dict):
        return dict(value)  # a log's lazily decoded attributes: the runtime takes dicts
    return value


def frame_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Record-frame rows as plain dicts (NA as ``None``, ints as ``int``, times in ns)."""
    frame = frame.copy()
    ts = frame["timestamp"]
    if pd.api.types.is_datetime64_any_dtype(ts):
        frame["timestamp"] = [None if pd.isna(t) else int(t.value) for t in ts]
    rows = []
    for row in frame.to_dict("records"):
        clean = {k: _clean(v) for k, v in row.items()}
        for name in _INTS:
            if clean.get(name) is not None:
                clean[name] = int(clean[name])
        if clean.get("timestamp") is not None:
            clean["timestamp"] = int(clean["timestamp"])
        rows.append(clean)
    return rows


def recording_of(source: Any) -> Recording:
    """The :class:`Recording` of a Run, RunResult, EventLog, record frame or log path."""
    result = getattr(source, "result", source)
    if isinstance(result, RunResult):
        return Recording(rows_of_result(result), result.run_id, result.memory_recorded)
    return Recording(frame_rows(record_frame_of(source)), source_name(source))


def config_of(source: Any, config: Any = None) -> AgentConfiguration:
    """The configuration to re-run ``source`` with: ``config`` (a configuration or a dict
    of overrides on the source's), else the source's own, else the resolved defaults."""
    result = getattr(source, "result", source)
    base = getattr(result, "config", None)
    if isinstance(config, AgentConfiguration):
        return config
    resolved = base.copy() if isinstance(base, AgentConfiguration) else AgentConfiguration.resolve()
    for key, value in (config or {}).items():
        resolved.set(key, value)
    return resolved
