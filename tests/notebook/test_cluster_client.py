"""The cluster client without a cluster: fail-fast submission, savepoint manifests and the
compatibility check, and the health verdict rules."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import flink_agents_nb as fa
from flink_agents_nb.flink._health import JobHealth, SubtaskHealth, verdict
from flink_agents_nb.flink._rest import ClusterUnreachableError
from flink_agents_nb.flink._savepoints import (
    IncompatibleSavepointError,
    ensure_compatible,
    manifest_for,
    read_manifest,
    write_manifest,
)
from flink_agents_runtime import Agent, InputEvent, OutputEvent, action
from flink_agents_runtime.drivers._sources import JsonLinePairs
from tests.helpers.ports import free_port


class Echo(Agent):
    @action(InputEvent)
    @staticmethod
    def echo(event: InputEvent, ctx: fa.RunnerContext) -> None:
        ctx.send_event(OutputEvent(event.input))


def test_submit_to_an_address_where_nothing_listens_fails_at_once_naming_it() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    start = time.monotonic()
    with pytest.raises(ClusterUnreachableError, match=f"no Flink cluster answers at {url}") as err:
        fa.submit(Echo(), [{"key": "a", "value": 1}], url)
    assert err.value.url == f"{url}/overview"
    assert isinstance(err.value, fa.FlinkAgentsError)
    assert time.monotonic() - start < 30  # not PyFlink's minute of retries


def _savepoint_dir(tmp_path: Path) -> Path:
    sp = tmp_path / "savepoint-1"
    sp.mkdir()
    (sp / "_metadata").write_bytes(b"\x00")
    return sp


def test_a_changed_agent_with_the_same_name_and_keys_resumes_with_notes(tmp_path: Path) -> None:
    sp = _savepoint_dir(tmp_path)
    write_manifest(f"file:{sp}", manifest_for("Counter", ["count"], ["a", "b"]))
    assert read_manifest(sp) == manifest_for("Counter", ["count"], ["a"])
    notes = ensure_compatible(str(sp), manifest_for("Counter", ["count", "flag"], ["c"]))
    assert notes == ["actions added: flag"]


def test_the_manifest_carries_the_action_state_namespace(tmp_path: Path) -> None:
    sp = _savepoint_dir(tmp_path)
    manifest = manifest_for("Counter", ["count"], ["a"])
    manifest.store_namespace = "3f2a-job"
    write_manifest(str(sp), manifest)
    saved = read_manifest(sp)
    assert saved is not None and saved.store_namespace == "3f2a-job"
    # A manifest written before the field existed reads as "no namespace to carry over".
    (sp / "flink-agents-nb.json").write_text('{"agent": "Counter", "operator_uid": "agent-C"}')
    older = read_manifest(sp)
    assert older is not None and older.store_namespace == ""


def test_a_resumed_job_keeps_the_savepoints_action_state_namespace() -> None:
    from flink_agents_nb.flink._savepoints import carry_store_namespace
    from flink_agents_runtime import AgentConfiguration

    saved = manifest_for("Counter", ["count"], ["a"])
    saved.store_namespace = "old-job"
    conf = AgentConfiguration.resolve(overrides={"actionStateStoreBackend": "sqlite"})
    assert carry_store_namespace(conf, saved) == []
    assert conf.get("job-identifier") == "old-job"
    mine = AgentConfiguration.resolve(overrides={"job-identifier": "mine"})
    assert carry_store_namespace(mine, saved) == [] and mine.get("job-identifier") == "mine"
    # A savepoint without a namespace: said so when a store is configured.
    bare = AgentConfiguration.resolve(overrides={"actionStateStoreBackend": "sqlite"})
    (note,) = carry_store_namespace(bare, None)
    assert "job-identifier" in note and bare.get("job-identifier") is None
    assert carry_store_namespace(AgentConfiguration.resolve(overrides={}), None) == []


def test_a_renamed_agent_or_changed_key_type_is_refused_naming_what_is_lost(tmp_path: Path) -> None:
    sp = _savepoint_dir(tmp_path)
    write_manifest(str(sp), manifest_for("Counter", ["count"], ["a", "b"]))
    with pytest.raises(IncompatibleSavepointError) as err:
        ensure_compatible(str(sp), manifest_for("Tally", ["count"], [1, 2]))
    message = str(err.value)
    assert "'agent-Counter'" in message and "'agent-Tally'" in message
    assert "keys were str and are now int" in message
    assert "allow_non_restored_state=True" in message
    assert len(err.value.findings) == 2
    notes = ensure_compatible(
        str(sp), manifest_for("Tally", ["count"], [1]), allow_non_restored_state=True
    )
    assert notes[0].startswith("dropped: the agent operator was 'agent-Counter'")


def test_resuming_from_a_directory_that_is_no_savepoint_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(fa.FlinkAgentsError, match="no _metadata file"):
        ensure_compatible(str(tmp_path), manifest_for("Counter", ["count"], ["a"]))


def test_json_lines_become_pairs_and_bad_lines_are_skipped() -> None:
    pairs = JsonLinePairs("user", "msg")
    assert pairs('{"user": "ada", "msg": "hi"}\n') == [("ada", "hi")]
    assert JsonLinePairs("user", None)('{"user": 1, "x": 2}') == [(1, {"user": 1, "x": 2})]
    assert pairs("not json") == []
    assert pairs('{"msg": "no key"}') == []
    assert pairs('{"user": [1], "msg": "list key"}') == []
    assert pairs("   ") == []


def _health(**facts: object) -> JobHealth:
    h = JobHealth("j1", "RUNNING")
    for name, value in facts.items():
        setattr(h, name, value)
    return h


def test_health_verdicts_name_their_reasons() -> None:
    assert verdict(_health()) == ("healthy", ["no problem found"])
    assert verdict(_health(state="FINISHED")) == ("healthy", ["no problem found (finished)"])
    assert verdict(_health(agent_metrics={"numOfActionsFailed": 5.0})) == (
        "degraded",
        ["5 actions failed (numOfActionsFailed)"],
    )
    busy = _health(subtasks=[SubtaskHealth(1, "high", 0.97, 0.6)])
    assert verdict(busy) == (
        "degraded",
        ["subtask 1 is back-pressured (60%)", "subtask 1 is busy 97% of the time"],
    )
    stale = _health(checkpoint_interval_ms=1000.0, last_checkpoint_age_s=10.0)
    assert verdict(stale)[0] == "degraded"
    assert "over 3x the 1 s interval" in verdict(stale)[1][0]
    assert verdict(_health(recent_checkpoints=["FAILED", "COMPLETED"])) == (
        "degraded",
        ["the latest checkpoint failed"],
    )
    state, reasons = verdict(_health(state="RESTARTING", restarts=3))
    assert state == "failing"
    assert reasons == ["the job is RESTARTING", "restarted 3 times"]
    assert verdict(_health(recent_checkpoints=["FAILED"] * 4))[0] == "failing"


def test_health_displays_escaped_with_its_verdict() -> None:
    h = _health(job_id="<j>", log_tail=["<script>x</script>"])
    h.verdict, h.reasons = "degraded", ["<b>busy</b>"]
    bundle = h._repr_mimebundle_()
    assert "&lt;script&gt;" in bundle["text/html"] and "<script>x" not in bundle["text/html"]
    assert "&lt;b&gt;busy" in bundle["text/html"]
    assert bundle["text/plain"].startswith("job <j>: DEGRADED\n  - <b>busy</b>")


def test_health_facts_read_with_units_and_separators() -> None:
    h = _health(
        uptime_s=4523.4,
        checkpoints_completed=1500,
        last_checkpoint_age_s=12.3,
        last_checkpoint_duration_ms=830.0,
        last_checkpoint_size_bytes=2_500_000.0,
        records_in=123456,
        records_out=120001,
        agent_metrics={"numOfEventProcessed": 617280.0},
    )
    facts = dict(h.facts())
    assert facts["uptime"] == "1 h 15 min 23 s (4,523 s)"
    assert facts["checkpoints"] == "1,500 completed, 0 failed"
    assert facts["last checkpoint"] == "12.3 s ago, took 830 ms, 2.4 MiB"
    assert facts["records in / out"] == "123,456 / 120,001"
    assert facts["numOfEventProcessed"] == "617,280"
    assert dict(_health(uptime_s=42.46).facts())["uptime"] == "42.5 s"
    html = h._repr_mimebundle_()["text/html"]
    assert "<td>123,456 / 120,001</td>" in html


def test_a_log_directory_with_totals_and_savepoints_reads_without_problems(
    tmp_path: Path,
) -> None:
    """A streaming job's subtasks write metric totals beside their event logs, and
    savepoints go under the log directory: neither is read as an event log."""
    agent = Agent()
    agent.add_action("echo", [InputEvent], lambda e, ctx: ctx.send_event(OutputEvent(e.input)))
    env = fa.AgentsExecutionEnvironment.get_execution_environment(
        config={"baseLogDir": str(tmp_path)}
    )
    env.from_list([{"key": "a", "value": 1}]).apply(agent).execute()
    job = "0123456789abcdef0123456789abcdef"
    (tmp_path / f"metrics-{job}-agent-Echo-0.json").write_text('{"jobId": "x", "counts": {}}')
    sp = tmp_path / "savepoints" / "savepoint-0123-abc"
    sp.mkdir(parents=True)
    write_manifest(str(sp), manifest_for("Echo", ["echo"], ["a"]))
    (tmp_path / "stray.json").write_text('{"not": "a record"}')
    log = fa.read_event_log(tmp_path)
    assert set(log.frame["event_type"]) >= {"_input_event", "_output_event"}
    assert [p.file for p in log.problems] == [str(tmp_path / "stray.json")]  # others: skipped
