"""Replay: re-run a record's inputs with every model and tool answer taken from the record.

Inputs run in the record's order, one at a time, through the one execution core with a
:class:`RecordedCalls` call source; nothing is called unless a ``fallback`` is given. The
replay is then compared with the record input by input (see ``_compare``): the same inputs
and code give the same events, outputs and memory writes (ids and times aside), and a
changed agent shows its first divergence per input, with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flink_agents_runtime.api._agent import Agent
from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.engine.reporting._run import RunResult
from flink_agents_runtime.timetravel._compare import Divergence, divergences
from flink_agents_runtime.timetravel._driver import Item, run_inputs
from flink_agents_runtime.timetravel._recording import RecordedInput, Recording, rows_of_result
from flink_agents_runtime.timetravel._sources import Miss, RecordedCalls, RecordedPrompts


@dataclass
class ReplayResult:
    """A replay and how it compares with its record.

    Attributes:
        result: the replay's own run (records, outputs, metrics).
        divergences: the first divergence of each input that diverged, in input order.
        misses: calls the record could not answer.
        errors: the error of each replayed input that failed, by its ``input_seq``.
        inputs: the recorded input each replay ``input_seq`` replayed.
        answered: how many calls the record answered.
    """

    result: RunResult
    divergences: list[Divergence]
    misses: list[Miss]
    errors: dict[int, BaseException]
    inputs: dict[int, RecordedInput]
    answered: int

    @property
    def identical(self) -> bool:
        """Whether no input diverged."""
        return not self.divergences


def replay_record(
    recording: Recording,
    agent: Agent,
    config: AgentConfiguration | None = None,
    *,
    fallback: Any = None,
    recorded_agent: Agent | None = None,
    run_id: str = "replay",
) -> ReplayResult:
    """Replay ``recording`` with ``agent``; see the module docstring.

    ``fallback`` answers calls the record lacks: ``None`` (they fail, and the input's
    divergence says so), ``"live"``, or a chat model connection. ``recorded_agent`` (the
    agent that made the record, when known) lets a changed setup prompt count as a call the
    record lacks (the record holds conversations, not the prompts setups add).
    """
    config = config if config is not None else AgentConfiguration.resolve()
    # The replay numbers its inputs as the record did (when those numbers are unique).
    seqs = [rec.input_seq for rec in recording.inputs]
    if len(set(seqs)) != len(seqs):
        seqs = list(range(len(seqs)))
    inputs = dict(zip(seqs, recording.inputs, strict=True))
    reference = RecordedPrompts(recorded_agent, config) if recorded_agent is not None else None
    source = RecordedCalls(inputs, fallback, reference, config)
    items = [Item(rec.key, rec.value, seq) for seq, rec in inputs.items()]
    try:
        drive = run_inputs(agent, items, config, call_source=source, run_id=run_id)
    finally:
        if reference is not None:
            reference.close()
    found = divergences(
        recording, rows_of_result(drive.result), inputs, source.misses, drive.errors
    )
    return ReplayResult(drive.result, found, source.misses, drive.errors, inputs, source.answered)
