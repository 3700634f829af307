"""``fa.replay(run_or_log, agent)``: re-run a record offline and show where it diverges.

Every model and tool answer comes from the record (nothing is called unless ``fallback``
says so); see ``flink_agents_runtime.timetravel`` for the rules. The result shows, per input
that diverged, the first differing event and the reason (``code changed``, ``memory
differed``, ``call not in the record``).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import pandas as pd

from flink_agents_nb._html import STYLE, esc, table
from flink_agents_nb.run._run import Run
from flink_agents_nb.timetravel._records import config_of, recording_of
from flink_agents_runtime._display import DisplayMixin
from flink_agents_runtime.timetravel import ReplayResult, replay_record

DIVERGENCE_COLUMNS = [
    "key",
    "input",
    "position",
    "event_type",
    "replay_event_type",
    "reason",
    "detail",
]


class Replay(DisplayMixin):
    """A replay of a record (see :func:`replay`).

    Attributes:
        source: what was replayed; raw: the runtime's :class:`ReplayResult`.
    """

    def __init__(self, source: Any, raw: ReplayResult, name: str, agent: Any = None) -> None:
        self.source = source
        self.raw = raw
        self.name = name
        self.agent = agent

    @cached_property
    def run(self) -> Run:
        """The replay as a :class:`Run` (its own records, memory writes included, outputs
        and metrics); ``replay.run.fork(...)`` forks it (e.g. a Flink job's log, which
        records no memory writes, replayed first)."""
        return Run(self.raw.result, self.agent)

    @property
    def identical(self) -> bool:
        """Whether every input gave the recorded events, memory writes and outputs."""
        return self.raw.identical

    @cached_property
    def divergences(self) -> pd.DataFrame:
        """One row per diverging input: ``key``, ``input`` (the key's n-th), ``position``
        (first differing event; -1: an action record), ``event_type`` (record),
        ``replay_event_type``, ``reason``, ``detail``."""
        rows = [
            {
                "key": d.key,
                "input": d.ordinal,
                "position": d.position,
                "event_type": d.event_type,
                "replay_event_type": d.replay_event_type,
                "reason": d.reason,
                "detail": d.detail,
            }
            for d in self.raw.divergences
        ]
        return pd.DataFrame(rows, columns=DIVERGENCE_COLUMNS)

    @cached_property
    def misses(self) -> pd.DataFrame:
        """Calls the record could not answer: ``key``, ``call``, ``reason``."""
        rows = [{"key": m.key, "call": m.site, "reason": m.reason} for m in self.raw.misses]
        return pd.DataFrame(rows, columns=["key", "call", "reason"])

    def diff(self) -> Any:
        """``fa.diff(record, replay)``: outputs, events, tokens and latency side by side."""
        from flink_agents_nb.run._diff import diff

        return diff(self.source, self.run)

    def summary(self) -> str:
        """A few lines: inputs, answers served, divergences with their reasons."""
        n = len(self.raw.inputs)
        lines = [
            f"replay of {self.name}: {n} inputs, {self.raw.answered} recorded answers served, "
            + ("identical" if self.identical else f"{len(self.raw.divergences)} inputs diverged")
        ]
        for d in self.raw.divergences:
            where = f"event {d.position}" if d.position >= 0 else "action records"
            lines.append(f"key {d.key!r} input {d.ordinal}, {where}: {d.reason}: {d.detail}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Replay {self.summary().splitlines()[0]}>"

    def _mimebundle(self) -> dict[str, Any]:
        lines = self.summary().splitlines()
        parts = [STYLE, f"<div class='fanb-replay'><b>{esc(lines[0])}</b>"]
        if len(self.divergences):
            parts.append(table(self.divergences.to_dict("records"), DIVERGENCE_COLUMNS))
        parts.append("</div>")
        return {"text/plain": "\n".join(lines), "text/html": "".join(parts)}


def replay(
    source: Any,
    agent: Any,
    *,
    fallback: Any = None,
    config: Any = None,
    recorded_agent: Any = None,
) -> Replay:
    """Replay ``source`` (a Run, an event log, a record frame or a log path) with ``agent``.

    Args:
        fallback: answers calls the record lacks: ``None`` (the call fails and the input's
            divergence names it), ``"live"`` (the agent's own model or tool), or a chat
            model connection (e.g. a scripted one).
        config: a configuration, or overrides on the source's (default: the source's).
        recorded_agent: the agent that made the record (default: a Run's own agent); with
            it, a model request whose setup prompt, model or tools changed is a call the
            record lacks. A log does not hold its agent: without one, prompts that chat model
            setups add are not compared (the conversations actions send always are).

    Raises :class:`~flink_agents_runtime.timetravel.RecordError` when the record holds no
    inputs or was not recorded.
    """
    recording = recording_of(source)
    raw = replay_record(
        recording,
        agent,
        config_of(source, config),
        fallback=fallback,
        recorded_agent=recorded_agent
        if recorded_agent is not None
        else getattr(source, "agent", None),
        run_id=f"replay-of-{recording.name}",
    )
    return Replay(source, raw, recording.name, agent)
