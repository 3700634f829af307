"""Big local runs: progress reporting, the recording switch and bounded memory."""

from __future__ import annotations

import tracemalloc

import pytest

import flink_agents_nb as fa
from flink_agents_runtime.drivers._local import AUTO_RECORD_LIMIT

pytestmark = pytest.mark.usefixtures("clean_env")


def echo() -> fa.Agent:
    return fa.Agent().add_action(
        "echo", [fa.InputEvent], lambda e, ctx: ctx.send_event(fa.OutputEvent(output=e.input))
    )


def test_progress_is_reported_up_to_the_total() -> None:
    seen: list[tuple[int, int | None]] = []
    inputs = [{"key": i % 7, "value": i} for i in range(1000)]
    fa.local().from_list(inputs).apply(echo()).execute(
        progress=lambda done, total: seen.append((done, total))
    )
    assert seen[-1] == (1000, 1000)
    assert len(seen) >= 10
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_no_progress_bar_outside_a_notebook(capsys: pytest.CaptureFixture[str]) -> None:
    fa.local().from_list([{"key": 1, "value": i} for i in range(60_000)]).apply(echo()).execute(
        record=False
    )
    captured = capsys.readouterr()
    assert "local run" not in captured.err and "local run" not in captured.out


def test_runs_above_the_auto_limit_do_not_record_unless_asked() -> None:
    inputs = [{"key": i % 100, "value": i} for i in range(AUTO_RECORD_LIMIT + 1)]
    run = fa.local().from_list(inputs).apply(echo()).execute()
    assert run.result.events is None and run.result.actions is None
    assert len(run.result.outputs) == AUTO_RECORD_LIMIT + 1
    small = fa.local().from_list(inputs[:10]).apply(echo()).execute()
    assert small.result.events is not None and len(small.result.events) == 20


def peak_bytes_per_input(n: int, record: bool) -> float:
    inputs = ({"key": i % 100, "value": i} for i in range(n))  # streamed, not held
    builder = fa.local().from_list(inputs).apply(echo())
    tracemalloc.start()
    try:
        run = builder.execute(record=record)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(run.result.outputs) == n
    return peak / n


def test_memory_holds_outputs_only_without_recording() -> None:
    lean = peak_bytes_per_input(20_000, record=False)
    full = peak_bytes_per_input(20_000, record=True)
    # Outputs cost ~100 bytes each; recording keeps two events and an action per input.
    assert lean < 250, f"{lean:.0f} bytes per input without recording"
    assert full > 3 * lean
