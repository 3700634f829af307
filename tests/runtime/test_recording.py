"""Recording a run: every record kept, the garbage collector spared, nothing left frozen
(also for an unrecorded run, whose older heap is frozen while it goes on)."""

from __future__ import annotations

import gc

import pytest

import flink_agents_runtime as fr
from flink_agents_runtime.engine.reporting import _records


def _echo_run(n: int) -> fr.RunResult:
    agent = fr.Agent()
    agent.add_action(
        "echo", [fr.InputEvent], lambda e, ctx: ctx.send_event(fr.OutputEvent(output=e.input))
    )
    env = fr.AgentsExecutionEnvironment.get_execution_environment()
    return (
        env.from_list([{"key": i % 7, "value": i} for i in range(n)])
        .apply(agent)
        .execute(record=True)
    )


def test_a_long_recorded_run_keeps_every_record_and_leaves_nothing_frozen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_records, "FREEZE_EVERY", 300)
    frozen: list[int] = []
    real_freeze = gc.freeze

    def counting_freeze() -> None:
        frozen.append(gc.get_freeze_count())
        real_freeze()

    monkeypatch.setattr(gc, "freeze", counting_freeze)
    assert gc.get_freeze_count() == 0
    result = _echo_run(1000)
    assert len(frozen) >= 5  # froze along the way
    assert gc.get_freeze_count() == 0  # and gave everything back at the end
    assert len(result.events or []) == 2000 and len(result.actions or []) == 1000
    action = (result.actions or [])[0]
    event_ids = {r.event.id for r in result.events or []}
    assert isinstance(action.sent_event_ids, tuple) and set(action.sent_event_ids) <= event_ids
    assert action.memory_writes == ()


def test_a_process_that_froze_objects_itself_is_left_alone() -> None:
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        _echo_run(200)
        after = gc.get_freeze_count()
        # Not unfrozen behind the user's back (that empties the permanent generation) and
        # nothing frozen on top; frozen objects may still die by reference counting.
        assert before * 0.99 <= after <= before
    finally:
        gc.unfreeze()


def test_an_unrecorded_run_freezes_what_was_alive_before_it_and_gives_it_back() -> None:
    seen: list[int] = []
    agent = fr.Agent().add_action(
        "look", [fr.InputEvent], lambda e, ctx: seen.append(gc.get_freeze_count())
    )
    assert gc.get_freeze_count() == 0
    env = fr.AgentsExecutionEnvironment.get_execution_environment()
    env.from_list([{"key": i, "value": i} for i in range(3)]).apply(agent).execute(record=False)
    assert len(seen) == 3 and min(seen) > 0  # full collections skip the older heap
    assert gc.get_freeze_count() == 0
