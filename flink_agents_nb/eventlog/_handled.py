"""An action execution's handled event, deduced where the log does not name it.

Pre-0.4 flat logs (Flink Agents' main of 2026-08 with trace context: ``_execution_*_event``
records) carry no ``triggerEventId``. The reader takes an execution's handled event from
the events it sent (``trace._trace_link``); one that sent none, most often a failure, has
none in the frame. The causal trees (:mod:`._lineage`) place such an execution by
:func:`deduced_handled`; the frame keeps what the log says.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd


def deduced_handled(frame: pd.DataFrame, sub: pd.DataFrame, orphans: list[int]) -> dict[int, Any]:
    """The handled events of the action executions at ``orphans`` (positions in ``sub``, a
    part of ``frame``, that name none), where the log tells them: an execution handled an
    event of its input run (``run_id``) recorded no later than it started; of the types its
    action handled elsewhere in ``frame`` when known, else one no action handled; if several
    remain, one its action did not handle already. Returns position -> event id where
    exactly one remains (no guessing between several)."""
    if "run_id" not in sub.columns:
        return {}
    rtype, ids, runs = (sub[c].to_numpy() for c in ("record_type", "event_id", "run_id"))
    names, types = sub["action"].to_numpy(), sub["event_type"].to_numpy()
    times = _ns(sub["timestamp"])
    has_id, has_run = ~pd.isna(ids), ~pd.isna(runs)
    by_run: dict[Any, list[int]] = defaultdict(list)  # events of each run, in record order
    for i in np.flatnonzero((rtype == "event") & has_id & has_run).tolist():
        by_run[runs[i]].append(i)
    handled: dict[Any, set[Any]] = defaultdict(set)  # event ids each action name handled
    for i in np.flatnonzero((rtype == "action") & has_id).tolist():
        handled[names[i]].add(ids[i])
    handled_any = set().union(*handled.values())
    wanted = {names[i] for i in orphans}
    acts = frame[(frame["record_type"] == "action").to_numpy() & frame["action"].isin(wanted)]
    acts = acts[~pd.isna(acts["event_id"].to_numpy())]
    known: dict[Any, set[Any]] = defaultdict(set)  # event types each action name handled
    for name, kind in zip(acts["action"].tolist(), acts["event_type"].tolist(), strict=True):
        known[name].add(kind)
    out: dict[int, Any] = {}
    for i in orphans:
        name = names[i]
        found = [e for e in by_run.get(runs[i], ()) if times[e] <= times[i]]
        if known.get(name):
            found = [e for e in found if types[e] in known[name]]
        else:
            found = [e for e in found if ids[e] not in handled_any]
        if len(found) > 1:
            found = [e for e in found if ids[e] not in handled[name]]
        if len(found) == 1:
            out[i] = ids[found[0]]
    return out


def _ns(stamps: pd.Series) -> np.ndarray:
    """``stamps`` as int64 nanoseconds since the epoch; a missing time as the largest value
    (an execution without one may have started after any event; an event without one
    counts only for such an execution)."""
    values = pd.to_datetime(stamps, utc=True, errors="coerce")
    out = values.to_numpy(dtype="datetime64[ns]").view(np.int64).copy()
    out[values.isna().to_numpy()] = np.iinfo(np.int64).max
    return out
