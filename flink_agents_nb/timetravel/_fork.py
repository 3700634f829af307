"""``run.fork(at=event, ...)``: re-run one input from one of its events, with edits.

See ``flink_agents_runtime.timetravel._fork`` for what is kept and what re-runs. The fork is
a :class:`~flink_agents_nb.Run` of its own (untouched inputs copied from the record), so
``fa.diff(run, fork)`` shows exactly what the edit changed. This module returns the
runtime's result; ``Run.fork`` wraps it (so this layer never imports ``Run``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from flink_agents_nb.timetravel._records import config_of, recording_of
from flink_agents_runtime import Event, FlinkAgentsError, RunResult
from flink_agents_runtime.timetravel import fork_record


def event_id_of(at: Any) -> str:
    """The event id that ``at`` names: an id, an :class:`Event`, a record row (Series or
    dict with ``event_id``), or a stepper (its current event)."""
    if isinstance(at, str):
        return at
    if isinstance(at, Event) and at.id:
        return at.id
    current = getattr(at, "current", None)
    if isinstance(current, dict):  # a Stepper: its current step
        at = current
    if isinstance(at, (dict, pd.Series)) and at.get("event_id"):
        return str(at.get("event_id"))
    raise FlinkAgentsError(
        f"fork(at=...) takes an event id, an Event, a record row or a stepper; got "
        f"{type(at).__name__}"
    )


def fork(
    source: Any,
    at: Any,
    *,
    agent: Any = None,
    memory: Mapping[str, Any] | None = None,
    sensory: Mapping[str, Any] | None = None,
    model: Any = None,
    config: Any = None,
) -> tuple[RunResult, Any, dict[str, Any]]:
    """Fork ``source`` (a Run or any record) at event ``at``: the fork's run, the agent
    that ran it and where it forked (``Run.fork`` wraps these in a Run).

    Args:
        agent: the agent to run from the fork point (an edited copy: code, prompt, model);
            default: the run's own agent.
        memory / sensory: ``{dotted path: value}`` set before the fork event is handled.
        model: a chat model connection answering every model call after the fork point
            (e.g. ``fa.ScriptedChatModelConnection(...)``); default: the agent's models.
        config: a configuration or overrides on the source's.

    Raises :class:`FlinkAgentsError` when no agent is known (a log needs ``agent=``) and
    :class:`~flink_agents_runtime.timetravel.RecordError` for an unknown event.
    """
    agent = agent if agent is not None else getattr(source, "agent", None)
    if agent is None:
        raise FlinkAgentsError("fork(...) needs agent=... (this record does not hold its agent)")
    event_id = event_id_of(at)
    recording = recording_of(source)
    raw = fork_record(
        recording,
        agent,
        event_id,
        config_of(source, config),
        memory=memory,
        sensory=sensory,
        model=model,
        run_id=f"fork-of-{recording.name}",
    )
    info = {
        "source": recording.name,
        "at": event_id,
        "key": raw.input.key,
        "input": raw.input.ordinal,
        "rerun_inputs": len(raw.rerun),
        "failed_inputs": len(raw.errors),
    }
    return raw.result, agent, info
