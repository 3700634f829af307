"""Replay and fork of a local run whose agent writes no memory: the run records every write,
so "none" is a fact to compare and not a gap to warn about (a Flink job's log is the gap)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

import flink_agents_nb as fa
from flink_agents_runtime.timetravel import CODE_CHANGED, MEMORY_DIFFERED

INPUTS = [{"key": "a", "value": 1}, {"key": "a", "value": 2}]


def _plain(event: Any, ctx: Any) -> None:
    ctx.send_event(fa.OutputEvent({"v": event.input}))


def _remembers(event: Any, ctx: Any) -> None:
    ctx.short_term_memory.set("seen", event.input)
    ctx.send_event(fa.OutputEvent({"v": event.input}))


def _agent(action: Callable[[Any, Any], None]) -> fa.Agent:
    agent = fa.Agent()
    agent.add_action("act", [fa.InputEvent], action)
    return agent


def test_replay_finds_memory_writes_a_run_without_any_never_made(clean_env: None) -> None:
    run = fa.local().from_list(INPUTS).apply(_agent(_plain)).execute()
    assert run.result.memory_recorded
    replay = fa.replay(run, _agent(_remembers))
    assert not replay.identical  # same events and outputs; the new code writes memory
    div = replay.divergences
    assert div["reason"].tolist() == [CODE_CHANGED, MEMORY_DIFFERED]
    assert "memory_writes" in div["detail"].iloc[0]
    assert fa.replay(run, _agent(_plain)).identical


def test_fork_of_a_run_without_memory_writes_does_not_warn(
    clean_env: None, caplog: pytest.LogCaptureFixture
) -> None:
    run = fa.local().from_list(INPUTS).apply(_agent(_plain)).execute()
    with caplog.at_level(logging.WARNING):
        forked = run.fork(run.events.iloc[0], agent=_agent(_plain))
    assert "records no memory writes" not in caplog.text
    assert forked.result.memory_recorded
    assert fa.diff(run, forked).summary().startswith("diff ")


def test_a_run_recorded_without_memory_still_warns(
    clean_env: None, caplog: pytest.LogCaptureFixture
) -> None:
    env = fa.local()
    run = env.from_list(INPUTS).apply(_agent(_remembers)).execute(record_memory=False)
    assert not run.result.memory_recorded
    with caplog.at_level(logging.WARNING):
        run.fork(run.events.iloc[0], agent=_agent(_remembers))
    assert "records no memory writes" in caplog.text


def test_diff_names_an_action_of_one_run_only(clean_env: None) -> None:
    run = fa.local().from_list(INPUTS).apply(_agent(_plain)).execute()
    forked = run.fork(run.events.iloc[0], agent=_agent(_plain), memory={"tone": "formal"})
    lines = fa.diff(run, forked).summary().splitlines()
    edit = next(line for line in lines if line.startswith("latency _fork_edit"))
    assert edit.startswith("latency _fork_edit: only in b: p50 0.000 ms"), edit
    assert not any("nan" in line for line in lines), lines
    act = next(line for line in lines if line.startswith("latency act:"))
    assert " -> " in act and "only in" not in act
