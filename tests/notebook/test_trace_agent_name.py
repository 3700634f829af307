"""A 0.4 Trace Log's ``agentName`` in the frame (``agent_name``) and in OpenTelemetry.

The log is the kit's own Trace Log of an agent that calls a sub-agent (``helper``) as a
tool: the sub-agent's records name it, the caller's records the caller. Read on the
general and the typed path, in one process and in two: the same frame, the agent per row.
Exported: each run's ``invoke_agent`` span and ``gen_ai.agent.name`` name the caller (an
explicit ``agent_name=`` wins), the sub-agent's spans name it; read back, every row gets its
agent again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import flink_agents_nb as fa
from flink_agents_nb.eventlog._load import LoadedLog, load_log
from flink_agents_nb.eventlog.files import _parallel
from flink_agents_nb.eventlog.typed import _typed, _typed_columns
from flink_agents_runtime import ResourceType, SubagentSetup
from tests.helpers.reading import small_chunks as small_chunks
from tests.helpers.triage_agent import Triage, delegating_triage
from tests.notebook.test_otel import attrs, spans_in

Delegating = delegating_triage("helper", model="outer-v1")
#: The calls the sub-agent made, (entity type, model or name): its model's and its tool's
#: (the caller's: model outer-v1 of the same resource, and the sub-agent tool itself).
_HELPER_CALLS = {("llm", "triage-v1"), ("tool", "lookup_order")}


@pytest.fixture(scope="module")
def trace_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A Trace Log directory of 12 inputs of the delegating agent, and its agent's name."""
    directory = tmp_path_factory.mktemp("agents")
    agent = Delegating()
    agent.add_resource("helper", ResourceType.AGENT, SubagentSetup(Triage(), "Looks orders up."))
    inputs = [{"key": f"k{i % 3}", "value": f"where is order {i}?"} for i in range(12)]
    fa.local(
        config={
            "trace-log.base-dir": str(directory),
            "trace-log.targets": [{"scope": "ALL", "detail": "STANDARD"}],
        }
    ).from_list(inputs).apply(agent).execute()
    return directory, type(agent).__name__


def _expected(frame: pd.DataFrame, main: str) -> list[str]:
    """The agent of each row: the sub-agent's events, actions and calls are ``helper``'s."""
    out = []
    for kind, name, model in zip(
        frame["entity_type"], frame["entity_name"], frame["model"], strict=True
    ):
        call = (kind, model if kind == "llm" else name)
        helper = str(name).startswith("helper/") or call in _HELPER_CALLS
        out.append("helper" if helper else main)
    return out


def _read(path: Path, monkeypatch: pytest.MonkeyPatch, typed: bool, workers: int) -> LoadedLog:
    monkeypatch.setattr(_typed, "ENABLED", typed)
    loaded = load_log(path, workers=workers, min_parallel_bytes=0)
    assert _parallel.last_read.how == ("worker" if workers == 2 else "one process")
    return loaded


def test_each_row_names_its_agent_on_both_paths_and_in_two_processes(
    trace_dir: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    directory, main = trace_dir
    general = _read(directory, monkeypatch, typed=False, workers=1)
    frame = general.frame
    assert list(frame.columns)[-1] == "agent_name"
    assert frame["agent_name"].tolist() == _expected(frame, main)
    assert frame["agent_name"].value_counts()["helper"] > 100
    for typed, workers in ((True, 1), (False, 2), (True, 2)):
        other = _read(directory, monkeypatch, typed, workers)
        pd.testing.assert_frame_equal(other.frame, frame, check_exact=True)
        assert other.problems == general.problems
    typed_frame = _read(directory, monkeypatch, typed=True, workers=2).frame
    objects = {c: len(set(map(id, typed_frame[f"{c}_{n}"].tolist())))
               for c, n in (("agent", "name"), ("entity", "type"))}  # fmt: skip
    # few objects (shared per chunk, as the entity types), not a string per row
    assert objects["agent"] <= objects["entity"] < len(typed_frame) // 10


def test_records_without_an_agent_name_read_none_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records without ``agentName`` (upstream's ``forExecution``), with ``null`` or a
    number there (read as missing), and our own records beside a trace log: ``None``."""
    base = {"inputRunId": "r1", "businessKey": "k", "entityType": "action",
            "entityName": "reply", "executionId": "x1", "status": "started",
            "attributes": {}}  # fmt: skip
    lines: list[dict[str, Any]] = []
    for i in range(40):
        rec = base | {"timestamp": f"2026-01-01T00:00:{i:02d}Z", "agentName": "main"}
        if i % 4 == 1:
            del rec["agentName"]
        elif i % 4 == 2:
            rec["agentName"] = None
        lines.append(rec)
    log = tmp_path / "log"
    log.mkdir()
    (log / "traces-j-t-0.log").write_text("".join(json.dumps(r) + "\n" for r in lines))
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "traces-j-t-0.log").write_text(json.dumps(lines[0] | {"agentName": 7}) + "\n")
    ours = {"timestamp": "2025-12-31T00:00:00Z", "recordType": "event", "eventId": "e",
            "eventType": "_input_event", "key": "k"}  # fmt: skip
    (log / "events-ours.log").write_text(json.dumps(ours) + "\n")
    frames = [_read(log, monkeypatch, typed, 1).frame for typed in (False, True)]
    pd.testing.assert_frame_equal(frames[0], frames[1], check_exact=True)
    got = frames[0]
    assert got["agent_name"].iloc[0] is None  # our own record (first: earliest)
    expected = ["main" if i % 4 in (0, 3) else None for i in range(40)]
    assert got["agent_name"].iloc[1:].tolist() == expected
    for typed in (False, True):
        assert _read(odd, monkeypatch, typed, 1).frame["agent_name"].tolist() == [None]


def test_chunks_of_one_agent_read_the_same_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks whose records all name one agent (learned: one object) are filled with it on
    the typed path, without codes: the same frame as the general path's."""
    filled: list[bool] = []
    plain = _typed_columns._one_or_few

    def spy(table: Any, name: str) -> Any:
        at = table.at(name)
        filled.append(bool((at == at[0]).all()))
        return plain(table, name)

    monkeypatch.setattr(_typed_columns, "_one_or_few", spy)
    lines: list[dict[str, Any]] = [
        {"timestamp": f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z", "inputRunId": f"r{i // 5}",
         "businessKey": "k", "agentName": "main" if i < 300 else "sub",
         "entityType": "action", "entityName": "reply", "executionId": f"x{i}",
         "status": "started", "attributes": {}}
        for i in range(400)
    ]  # fmt: skip
    (tmp_path / "traces-j-t-0.log").write_text("".join(json.dumps(r) + "\n" for r in lines))
    general, typed = (_read(tmp_path, monkeypatch, t, 1).frame for t in (False, True))
    pd.testing.assert_frame_equal(general, typed, check_exact=True)
    assert typed["agent_name"].tolist() == ["main"] * 300 + ["sub"] * 100
    assert sum(filled) >= 5 and not all(filled)  # (the first chunk: strings, coded)


def _roots_and_agents(path: Path) -> tuple[list[str], dict[str, set[Any]]]:
    """The root spans' names, and per span name the ``gen_ai.agent.name`` values it has."""
    spans = spans_in(path)
    roots = sorted(s["name"] for s in spans if "parentSpanId" not in s)
    named: dict[str, set[Any]] = {}
    for span in spans:
        if "parentSpanId" in span:
            named.setdefault(span["name"], set()).add(attrs(span).get("gen_ai.agent.name"))
    return roots, named


def test_export_names_the_agent_and_the_sub_agent_and_a_round_trip_keeps_them(
    trace_dir: tuple[Path, str], tmp_path: Path
) -> None:
    directory, main = trace_dir
    log = fa.read_event_log(directory)
    # (job and task from the file name: a local run's task is 'local', so its job, the run
    # id, named the agent before the agent_name column)
    (task,), (job,) = set(log.frame["task"]), set(log.frame["job"])
    assert task == "local" and job.startswith("run-") and job != main
    spans = tmp_path / "spans.jsonl"
    fa.export_otlp(log, path=spans)
    roots, named = _roots_and_agents(spans)
    assert roots == [f"invoke_agent {main}"] * 12
    root_attrs = [attrs(s) for s in spans_in(spans) if "parentSpanId" not in s]
    assert {a["gen_ai.agent.name"] for a in root_attrs} == {main}
    # the sub-agent's actions and calls say whose they are; the caller's spans do not
    assert named["helper/chat_model_action"] == {"helper"}
    assert named["chat triage-v1"] == named["execute_tool lookup_order"] == {"helper"}
    assert named["chat outer-v1"] == named["execute_tool _subagent_helper"] == {None}
    assert named["chat_model_action"] == {None}

    fa.export_otlp(log, path=tmp_path / "named.jsonl", agent_name="triage-bot")  # wins
    roots_named, named_again = _roots_and_agents(tmp_path / "named.jsonl")
    assert roots_named == ["invoke_agent triage-bot"] * 12
    assert named_again == named

    before = log.frame.drop(columns="agent_name")  # a frame without agents: as before
    fa.export_otlp(before, path=tmp_path / "before.jsonl")
    assert _roots_and_agents(tmp_path / "before.jsonl")[0][0] == f"invoke_agent {job}"

    back = fa.read_otlp(spans)  # every row gets its agent back, and exports the same
    frame = back.frame
    agent_of = {  # by the trace log's execution id the span carries, else the span id
        attrs(s).get("flink_agents.execution.id", s["spanId"]): attrs(s).get(
            "gen_ai.agent.name", main
        )
        for s in spans_in(spans)
    }
    assert frame["agent_name"].tolist() == [  # its span's (a chat response: its action's)
        agent_of.get(e if e is not None else p, main)  # (the root's events: none)
        for e, p in zip(frame["execution_id"], frame["parent_execution_id"], strict=True)
    ]

    def helpers(f: pd.DataFrame) -> int:
        ended = f["record_type"].isin(["action", "call"])
        return int((f["agent_name"][ended] == "helper").sum())

    assert helpers(frame) == helpers(log.frame) > 0
    again = tmp_path / "again.jsonl"
    fa.export_otlp(back, path=again)
    assert _roots_and_agents(again) == (roots, named)


def test_an_import_takes_the_agent_of_the_nearest_span_that_names_one(tmp_path: Path) -> None:
    """Another tool's trace: an ``invoke_agent`` root, a sub-agent's ``invoke_agent`` under
    a tool span, its chat under it; a span whose parent is missing, and a parent cycle."""

    def span(sid: str, parent: str | None, name: str, agent: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"traceId": "t" * 32, "spanId": sid, "name": name,
                               "startTimeUnixNano": "1", "endTimeUnixNano": "2",
                               "attributes": []}  # fmt: skip
        if parent:
            out["parentSpanId"] = parent
        if agent is not None:
            out["attributes"].append({"key": "gen_ai.agent.name", "value": {"stringValue": agent}})
        return out

    spans = [
        span("a" * 16, None, "invoke_agent planner", "planner"),
        span("c" * 16, "b" * 16, "invoke_agent searcher", "searcher"),  # before its parent
        span("d" * 16, "c" * 16, "chat m"),
        span("b" * 16, "a" * 16, "execute_tool search"),
        span("e" * 16, "f" * 16, "orphan"),
        span("g" * 16, "h" * 16, "loop one"),
        span("h" * 16, "g" * 16, "loop two", ""),  # empty: no name
    ]
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}
    (tmp_path / "other.jsonl").write_text(json.dumps(doc) + "\n")
    frame = fa.read_otlp(tmp_path / "other.jsonl").frame
    got = dict(zip(frame["execution_id"], frame["agent_name"], strict=True))
    assert got == {"a" * 16: "planner", "b" * 16: "planner", "c" * 16: "searcher",
                   "d" * 16: "searcher", "e" * 16: None, "g" * 16: None,
                   "h" * 16: None}  # fmt: skip
