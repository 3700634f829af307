"""Time travel: replay a recorded run without calling models, fork it from any event.

Plain Python (no pandas); the notebook layer's ``fa.replay`` and ``Run.fork`` wrap these.
"""

from __future__ import annotations

from flink_agents_runtime.timetravel._compare import (
    CALL_MISSING,
    CODE_CHANGED,
    MEMORY_DIFFERED,
    Divergence,
)
from flink_agents_runtime.timetravel._difference import first_difference
from flink_agents_runtime.timetravel._driver import DriveResult, Item, Resume, run_inputs
from flink_agents_runtime.timetravel._fork import ForkResult, fork_record
from flink_agents_runtime.timetravel._recording import (
    RecordedInput,
    RecordError,
    Recording,
    rows_of_result,
)
from flink_agents_runtime.timetravel._replay import ReplayResult, replay_record
from flink_agents_runtime.timetravel._sources import (
    CallNotRecordedError,
    LiveCalls,
    Miss,
    RecordedCalls,
)

__all__ = [
    "CALL_MISSING",
    "CODE_CHANGED",
    "MEMORY_DIFFERED",
    "CallNotRecordedError",
    "Divergence",
    "DriveResult",
    "ForkResult",
    "Item",
    "LiveCalls",
    "Miss",
    "RecordError",
    "RecordedCalls",
    "RecordedInput",
    "Recording",
    "ReplayResult",
    "Resume",
    "first_difference",
    "fork_record",
    "replay_record",
    "rows_of_result",
    "run_inputs",
]
