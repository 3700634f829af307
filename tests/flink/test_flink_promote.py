"""The Flink driver on PyFlink's MiniCluster: parity with the local driver (one job, shared)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import flink_agents_nb as fa
from flink_agents_runtime import Agent, Event, InputEvent, OutputEvent, action

pytestmark = [pytest.mark.flink, pytest.mark.usefixtures("clean_env")]


class Tally(Agent):
    """Memory across inputs (short-term), per input (sensory), two actions, a custom metric."""

    @action(InputEvent)
    @staticmethod
    def count(event: Event, ctx: fa.RunnerContext) -> None:
        seen = (ctx.short_term_memory.get("seen") or 0) + 1
        ctx.short_term_memory.set("seen", seen)
        ctx.sensory_memory.set("last", event.input)
        ctx.agent_metric_group.get_counter("tallied").inc()
        ctx.send_event(Event(type="tallied", seen=seen))

    @action("tallied")
    @staticmethod
    def emit(event: Event, ctx: fa.RunnerContext) -> None:
        ctx.action_metric_group.get_counter("emitted").inc()
        ctx.send_event(OutputEvent({"seen": event.seen, "last": ctx.sensory_memory.get("last")}))


INPUTS = [{"key": f"user-{i % 3}", "value": i} for i in range(9)]


@pytest.fixture(scope="module")
def promoted(tmp_path_factory: pytest.TempPathFactory) -> fa.PromotedRun:
    log_dir = tmp_path_factory.mktemp("flink-logs")
    return fa.promote(Tally(), INPUTS, log_dir=str(log_dir))


def test_parity_with_the_local_run(promoted: fa.PromotedRun) -> None:
    assert promoted.parity is not None
    assert promoted.parity.ok, repr(promoted.parity)
    names = [c.name for c in promoted.parity.checks]
    assert names == ["outputs per key", "event types and counts", "action runs", "metric totals"]
    # input_seq is the input's position, on both drivers (issue 13), whatever the subtask.
    seqs: dict[str, list[int]] = {}
    for out in promoted.result.outputs:
        seqs.setdefault(out.key, []).append(out.input_seq)
    assert seqs == {f"user-{k}": [k, k + 3, k + 6] for k in range(3)}
    assert promoted.local is not None
    assert sorted(map(str, promoted.to_list())) == sorted(map(str, promoted.local.to_list()))


def test_keyed_memory_survives_inputs_and_sensory_memory_does_not(
    promoted: fa.PromotedRun,
) -> None:
    per_key: dict[str, list[dict[str, int]]] = {}
    for out in promoted.result.outputs:
        per_key.setdefault(out.key, []).append(out.value)
    assert per_key["user-0"] == [
        {"seen": 1, "last": 0},
        {"seen": 2, "last": 3},
        {"seen": 3, "last": 6},
    ]
    assert {k: [o["seen"] for o in v] for k, v in per_key.items()} == {
        k: [1, 2, 3] for k in ("user-0", "user-1", "user-2")
    }


def test_metrics_have_the_local_names_and_totals(promoted: fa.PromotedRun) -> None:
    counts = promoted.metric_counts
    assert counts["numOfEventProcessed"] == 27
    assert counts["numOfActionsExecuted"] == 18
    assert counts["action.count.numOfActionsExecuted"] == 9
    assert counts["tallied"] == 9
    assert counts["action.emit.emitted"] == 9
    assert promoted.result.num_inputs == 9


def test_events_read_back_from_the_jobs_event_log(promoted: fa.PromotedRun) -> None:
    files = [Path(f) for f in promoted.result.log_files]
    assert files and all(promoted.job_id in f.name for f in files)
    records = [json.loads(line) for f in files for line in f.read_text().splitlines()]
    assert {r["jobId"] for r in records} == {promoted.job_id}
    assert {r["taskName"] for r in records} == {"agent-Tally"}
    assert len([r for r in records if r["recordType"] == "event"]) == 27
    frame = promoted.events
    assert set(promoted.records["task"]) == {"agent-Tally"}
    assert set(promoted.records["job"]) == {promoted.job_id}
    assert frame["event_type"].value_counts().to_dict() == {
        "_input_event": 9,
        "tallied": 9,
        "_output_event": 9,
    }
    bundle = promoted._repr_mimebundle_()
    assert "Parity local vs Flink: OK" in bundle["text/html"]


def test_parity_report_names_a_difference(promoted: fa.PromotedRun) -> None:
    from flink_agents_nb.flink._promote import compare

    local = promoted.local
    assert local is not None
    changed = local.result.metric_counts | {"tallied": 8}
    other = type(local.result)(**{**local.result.__dict__, "metric_counts": changed})
    report = compare(other, promoted.result)
    assert not report.ok
    assert "tallied: local 8 vs flink 9" in repr(report)
    shifted = [type(o)(o.key, o.input_seq + 1, o.value) for o in local.result.outputs]
    other = type(local.result)(**{**local.result.__dict__, "outputs": shifted})
    report = compare(other, promoted.result)
    assert not report.ok and "outputs per key" in repr(report)
    first = min((o for o in shifted), key=lambda o: (repr(o.key), o.input_seq))
    # the input numbers are compared too
    assert f"first: key {first.key}, output 1: local #{first.input_seq} " in repr(report)


def test_missing_java_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from flink_agents_runtime.drivers.flink._availability import ensure_flink

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(fa.FlinkUnavailableError, match="needs Java"):
        ensure_flink()


class Describe(fa.Agent):
    """Uses `fa.` names inside an action and a runtime module imported lazily (_display)."""

    @fa.action(fa.InputEvent)
    @staticmethod
    def describe(event: fa.Event, ctx: fa.RunnerContext) -> None:
        shown = fa.Event(type="seen", value=event.input)._repr_mimebundle_()["text/plain"]
        ctx.send_event(fa.OutputEvent(output=shown.splitlines()[0]))


def test_a_later_job_in_the_same_worker_imports_what_it_needs(
    promoted: fa.PromotedRun, tmp_path: Path
) -> None:
    # `promoted` ran a first job in this process's MiniCluster; this one runs after it.
    second = fa.promote(Describe(), [{"key": "k", "value": 1}], log_dir=str(tmp_path))
    assert second.to_list() == [{"k": "Event seen"}]
    assert second.parity is not None and second.parity.ok
