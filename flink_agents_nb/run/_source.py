"""Where the notebook views get their records: anything with a record frame.

The stepper, charts, inspector, diff and report all work on a frame with exactly
:data:`~flink_agents_nb.run._frames.RECORD_COLUMNS`. A :class:`~flink_agents_nb.Run` exposes it as
``.records``, an event log read from files as ``.frame``; a bare DataFrame is taken as is.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.run._frames import RECORD_COLUMNS
from flink_agents_runtime._errors import ArgumentTypeError, ArgumentValueError


def record_frame_of(source: Any) -> pd.DataFrame:
    """The record frame of ``source``: a ``Run`` (``.records``), an event log (``.frame``),
    a DataFrame with the record columns, or a path to an event-log file or directory.

    Raises :class:`ArgumentTypeError` naming what was passed when none of these fits, and
    :class:`ArgumentValueError` when a frame lacks record columns.
    """
    if isinstance(source, (str, os.PathLike)):
        from flink_agents_nb.eventlog._load import load_log

        source = load_log(source).frame
    if isinstance(source, pd.DataFrame):
        frame = source
    elif hasattr(source, "frame") and isinstance(source.frame, pd.DataFrame):
        frame = source.frame
    elif hasattr(source, "records") and isinstance(getattr(source, "records", None), pd.DataFrame):
        frame = source.records
    else:
        raise ArgumentTypeError(
            f"expected a Run, an EventLog, a record DataFrame or a log path, got "
            f"{type(source).__name__}"
        )
    missing = [c for c in RECORD_COLUMNS if c not in frame.columns]
    if "record_type" in missing or "event_type" in missing:
        raise ArgumentValueError(f"record frame lacks columns {missing}; expected RECORD_COLUMNS")
    if missing:  # an older or partial frame: the views treat absent fields as unknown
        frame = frame.assign(**{c: None for c in missing})
    return frame


def source_name(source: Any) -> str:
    """A short name for ``source`` (run id, log path, or ``"records"``)."""
    for attr in ("run_id", "path", "name"):
        value = getattr(source, attr, None)
        if isinstance(value, (str, os.PathLike)):
            return str(value)
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return "records"


def timestamps_ns(frame: pd.DataFrame) -> np.ndarray:
    """The ``timestamp`` column as int64 ns since the epoch (NaT as the smallest int64)."""
    ts = frame["timestamp"]
    if not pd.api.types.is_datetime64_any_dtype(ts):
        ts = pd.to_datetime(ts, utc=True)
    return np.asarray(ts.array.asi8 if hasattr(ts.array, "asi8") else ts.astype("int64"))


def elapsed_s(frame: pd.DataFrame) -> np.ndarray:
    """Seconds from the frame's first timestamp to each row's (NaN where it has none)."""
    ts = timestamps_ns(frame)
    valid = ts != np.iinfo(np.int64).min
    t0 = ts[valid].min() if valid.any() else 0
    return np.where(valid, (ts - t0) / 1e9, np.nan)
