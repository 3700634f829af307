"""Writing Flink Agents 0.4 Trace Log records: targets, details, entities, upstream's shape."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

import flink_agents_runtime as rt
from flink_agents_runtime.eventlog._targets import (
    TargetResolver,
    TraceTargetError,
    parse_targets,
)
from tests.helpers.triage_agent import Triage

ALL = [{"scope": "ALL", "detail": "VERBOSE"}]


def resolve(targets: Any, entity_type: str, name: str) -> str:
    return TargetResolver(parse_targets(targets)).detail(entity_type, name)


def test_default_records_events_only() -> None:
    assert resolve(None, "event", "_input_event") == "STANDARD"
    assert resolve(None, "action", "ask") == "OFF"
    assert resolve(None, "llm", "triage_model") == "OFF"


def test_most_specific_scope_wins_whatever_the_order() -> None:
    targets = [
        {"scope": {"action": "chat.*"}, "detail": "STANDARD"},
        {"scope": {"action": "chat.model.call"}, "detail": "VERBOSE"},
        {"scope": "ALL", "detail": "OFF"},
        {"scope": {"action": "*"}, "detail": "STANDARD"},
        {"scope": {"action": "chat.model.*"}, "detail": "OFF"},
        {"scope": "EVENT_ONLY", "detail": "VERBOSE"},
        {"scope": {"type": "tool", "name": "lookup*"}, "detail": "VERBOSE"},
    ]
    assert resolve(targets, "action", "chat.model.call") == "VERBOSE"  # exact name
    assert resolve(targets, "action", "chat.model.other") == "OFF"  # longer prefix
    assert resolve(targets, "action", "chat.other") == "STANDARD"  # shorter prefix
    assert resolve(targets, "action", "chatter") == "STANDARD"  # "chat." is no prefix of it
    assert resolve(targets, "action", "ask") == "STANDARD"  # the type's "*"
    assert resolve(targets, "event", "_input_event") == "VERBOSE"  # EVENT_ONLY over ALL
    assert resolve(targets, "tool", "lookup_order") == "VERBOSE"
    assert resolve(targets, "llm", "m") == "OFF"  # only ALL matches
    assert resolve([{"scope": "action:ask", "detail": "verbose"}], "action", "ask") == "VERBOSE"


@pytest.mark.parametrize(
    ("targets", "words"),
    [
        ([{"scope": {"a": "x", "b": "y"}}], "trace-log.targets[0]: scope"),
        ([{"scope": "ALL", "detail": "LOUD"}], "trace-log.targets[0]: detail 'LOUD'"),
        (["ALL"], "trace-log.targets[0]: 'ALL' is not a {scope, detail}"),
        ("ALL", "must be a list"),
    ],
)
def test_bad_targets_name_the_entry(targets: Any, words: str) -> None:
    with pytest.raises(TraceTargetError) as err:
        parse_targets(targets)
    assert words in str(err.value)


def test_upstream_entity_scope_form_whole_type_and_namespaces() -> None:
    # Flink Agents 0.4's documented form: {entityType, entityName}; no entityName: the type
    targets = [
        {"scope": "ALL", "detail": "OFF"},
        {"scope": {"entityType": "tool", "entityName": "search"}, "detail": "VERBOSE"},
        {"scope": {"entityType": "llm"}, "detail": "STANDARD"},
        {"scope": {"entityType": "event", "entityName": "com.foo.*"}, "detail": "VERBOSE"},
    ]
    assert resolve(targets, "tool", "search") == "VERBOSE"
    assert resolve(targets, "tool", "search_web") == "OFF"
    assert resolve(targets, "llm", "any_model") == "STANDARD"
    assert resolve(targets, "event", "com.foo") == "VERBOSE"  # the namespace itself
    assert resolve(targets, "event", "com.foo.Special") == "VERBOSE"
    assert resolve(targets, "event", "com.foobar") == "OFF"
    # the kit's string form of a whole type
    assert resolve([{"scope": "tool", "detail": "VERBOSE"}], "tool", "lookup") == "VERBOSE"


def test_omitted_detail_inherits_a_preset_as_upstream() -> None:
    entity = {"scope": {"entityType": "tool", "entityName": "t"}}
    event = {"scope": {"entityType": "event", "entityName": "e"}}
    assert resolve([entity], "tool", "t") == "STANDARD"  # no preset
    assert resolve([{"scope": "ALL", "detail": "VERBOSE"}, entity], "tool", "t") == "VERBOSE"
    assert resolve([{"scope": "ALL", "detail": "OFF"}, entity], "tool", "t") == "OFF"
    only_events = {"scope": "EVENT_ONLY", "detail": "VERBOSE"}
    assert resolve([only_events, entity], "tool", "t") == "VERBOSE"  # the only preset
    both = [{"scope": "ALL", "detail": "STANDARD"}, only_events]
    assert resolve([*both, event], "event", "e") == "VERBOSE"  # events prefer EVENT_ONLY
    assert resolve([*both, entity], "tool", "t") == "STANDARD"
    assert resolve(
        [{"scope": "ALL", "detail": "VERBOSE"}, {"scope": "EVENT_ONLY"}], "event", "x"
    ) == ("VERBOSE")


@pytest.mark.parametrize(
    ("targets", "words"),
    [
        (
            [{"scope": "ALL", "details": "VERBOSE"}],
            "trace-log.targets[0]: unknown field 'details' (a target has scope and detail)",
        ),
        (
            [{"scope": {"entityType": "tool", "name": "x"}}],
            "trace-log.targets[0]: scope has unknown field 'name'",
        ),
        (
            [{"scope": {"entityType": "tool", "entityName": ".*"}}],
            "trace-log.targets[0]: scope {'entityType': 'tool', 'entityName': '.*'}: '.*' needs",
        ),
        (
            [
                {"scope": {"entityType": "tool", "entityName": "a"}, "detail": "OFF"},
                {"scope": {"tool": "a"}, "detail": "VERBOSE"},
            ],
            "trace-log.targets[1]: detail VERBOSE conflicts with trace-log.targets[0]'s OFF",
        ),
    ],
)
def test_upstream_rules_refuse_what_would_be_silently_ignored(targets: Any, words: str) -> None:
    with pytest.raises(TraceTargetError) as err:
        parse_targets(targets)
    assert words in str(err.value)


def run_triage(tmp_path: Path, **options: Any) -> list[dict[str, Any]]:
    env = rt.LocalExecutionEnvironment()
    for name, value in {"trace-log.base-dir": str(tmp_path), **options}.items():
        env.get_config().set(name, value)
    inputs = [{"key": "k1", "value": "where is order 42?"}, {"key": "k2", "value": "hello"}]
    env.from_list(inputs).apply(Triage()).execute()
    (path,) = tmp_path.glob("traces-*-local-0.log")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_all_scope_writes_actions_llm_and_tool_calls_as_upstream_links_them(
    tmp_path: Path,
) -> None:
    records = run_triage(tmp_path, **{"trace-log.targets": ALL})
    fields = {
        "timestamp", "detail", "inputRunId", "businessKey", "agentName", "entityType",
        "entityName", "executionId", "parentExecutionId", "entityMetadata", "status",
        "problemCategory", "attributes",
    }  # fmt: skip
    assert all(set(r) == fields for r in records)
    kinds = {(r["entityType"], r["status"]) for r in records}
    assert kinds == {
        ("event", "created"),
        ("action", "started"),
        ("action", "success"),
        ("llm", "started"),
        ("llm", "success"),
        ("tool", "started"),
        ("tool", "success"),
    }
    actions = {r["executionId"]: r for r in records if r["entityType"] == "action"}
    events = {r["entityMetadata"]["eventId"]: r for r in records if r["entityType"] == "event"}
    for event in events.values():
        meta = event["entityMetadata"]
        if event["entityName"] == "_input_event":
            assert meta["producerExecutionId"] is None and meta["upstreamEventId"] is None
            continue
        producer = actions[meta["producerExecutionId"]]  # the execution that sent it
        assert producer["entityName"] == meta["upstreamActionName"]
        assert producer["entityMetadata"]["triggerEventId"] == meta["upstreamEventId"]
    for call in (r for r in records if r["entityType"] in ("llm", "tool")):
        parent = actions[call["parentExecutionId"]]
        assert parent["inputRunId"] == call["inputRunId"]
    llm = [r for r in records if r["entityType"] == "llm"]
    assert {r["entityName"] for r in llm} == {"triage_model"}
    assert {r["entityMetadata"]["model"] for r in llm} == {"triage-v1"}
    (tool,) = [r for r in records if r["entityType"] == "tool" and r["status"] == "success"]
    assert tool["entityName"] == "lookup_order"
    assert tool["attributes"] == {}  # as upstream's: the answer is in the tool response event
    (response,) = [r for r in records if r["entityName"] == "_tool_response_event"]
    assert "shipped" in json.dumps(response["attributes"]["responses"])
    runs = {r["businessKey"]: r["inputRunId"] for r in records}  # one input run per key
    assert {r["inputRunId"] for r in records} == set(runs.values()) and len(runs) == 2
    assert all((r["businessKey"], r["inputRunId"]) in runs.items() for r in records)
    assert {r["businessKey"] for r in records} == {"k1", "k2"}


def test_written_log_reads_back_with_tree_tokens_and_latencies(tmp_path: Path) -> None:
    import flink_agents_nb as fa

    run_triage(tmp_path, **{"trace-log.targets": ALL})
    log = fa.read_event_log(tmp_path)
    assert log.problems == []
    text = log.tree_text("k1")
    assert "llm triage_model [ok]" in text and "tool lookup_order [ok]" in text
    assert "(triage-v1)" in text
    f = log.frame
    calls = f[f["record_type"] == "call"]
    assert calls["duration_ms"].notna().all()
    resp = f[(f["event_type"] == "_chat_response_event") & (f["record_type"] == "event")]
    assert resp["prompt_tokens"].notna().all()


def test_event_only_default_and_standard_truncation_counted(tmp_path: Path) -> None:
    records = run_triage(tmp_path, **{"trace-log.standard.max-string-length": 5})
    assert {r["entityType"] for r in records} == {"event"}
    assert {r["detail"] for r in records} == {"STANDARD"}
    first = records[0]["attributes"]["input"]
    assert first["truncatedString"] == "where..." and first["omittedChars"] > 0


def test_pretty_print_and_off_detail(tmp_path: Path) -> None:
    env = rt.LocalExecutionEnvironment()
    env.get_config().set("trace-log.base-dir", str(tmp_path))
    env.get_config().set("trace-log.pretty-print", True)
    env.get_config().set(
        "trace-log.targets",
        [
            {"scope": "ALL", "detail": "STANDARD"},
            {"scope": {"event": "_input_event"}, "detail": "OFF"},
        ],
    )
    env.from_list([{"key": "k", "value": "hello"}]).apply(Triage()).execute()
    (path,) = tmp_path.glob("traces-*.log")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("{\n  ")
    import flink_agents_nb as fa

    log = fa.read_event_log(path)
    events = log.frame[log.frame["record_type"] == "event"]
    assert "_input_event" not in set(events["event_type"]) and len(events) == 3
    assert set(log.frame["entity_type"]) == {"event", "action", "llm"}
    # the input event was not recorded: what pointed at it is a broken link, not an error
    input_id = events["upstream_event_id"].iloc[0]
    assert log.problems and all(input_id in p.reason for p in log.problems)


def test_slf4j_output_goes_to_the_trace_logger(caplog: pytest.LogCaptureFixture) -> None:
    env = rt.LocalExecutionEnvironment()
    env.get_config().set("trace-log.output-type", "SLF4J")
    with caplog.at_level(logging.INFO, logger="org.apache.flink.agents.TraceLog"):
        env.from_list([{"key": "k", "value": "hello"}]).apply(Triage()).execute()
    lines = [r.getMessage() for r in caplog.records if r.name == "org.apache.flink.agents.TraceLog"]
    assert lines and all(json.loads(line)["entityType"] == "event" for line in lines)


def test_both_logs_when_both_keys_are_set(tmp_path: Path) -> None:
    env = rt.LocalExecutionEnvironment()
    env.get_config().set("baseLogDir", str(tmp_path / "ours"))
    env.get_config().set("trace-log.base-dir", str(tmp_path / "trace"))
    env.from_list([{"key": "k", "value": "hello"}]).apply(Triage()).execute()
    assert len(list((tmp_path / "ours").glob("events-*.log"))) == 1
    assert len(list((tmp_path / "trace").glob("traces-*.log"))) == 1


def test_truncations_and_write_failures_are_counted(tmp_path: Path) -> None:
    env = rt.LocalExecutionEnvironment()
    env.get_config().set("trace-log.base-dir", str(tmp_path))
    env.get_config().set("trace-log.standard.max-string-length", 5)
    inputs = [{"key": "k", "value": "a long question"}, {"key": "k", "value": "hi"}]
    metrics = env.from_list(inputs).apply(Triage()).execute().metrics
    assert metrics["traceLogTruncatedRecords"] >= 2  # the long input, the long answers
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the directory should be")
    env = rt.LocalExecutionEnvironment()
    env.get_config().set("trace-log.base-dir", str(blocked))
    result = env.from_list(inputs).apply(Triage()).execute()  # never fatal
    assert len(result.outputs) == 2
    assert result.metrics["traceLogWriteFailures"] == 8  # every event record of both runs


class _Picky(rt.Agent):
    """Fails on the input ``bad`` (a ValueError), echoes anything else."""

    @rt.action(rt.InputEvent)
    @staticmethod
    def check(event: rt.InputEvent, ctx: Any) -> None:
        if event.input == "bad":
            raise ValueError('bad input: "x" ü')
        ctx.send_event(rt.OutputEvent(output=event.input))


def test_failures_agent_name_as_flink_agents_writes_them(tmp_path: Path) -> None:
    """Real 0.4 (ExecutionLifecycleEvents, ExecutionReporter.ProblemCategories): a failed
    execution says ``problemCategory`` ``action_execution_failed`` (lower snake case) and
    ``errorType``/``errorMessage`` attributes; ``agentName`` is the agent's class name."""
    env = rt.LocalExecutionEnvironment()
    env.get_config().set("trace-log.base-dir", str(tmp_path))
    env.get_config().set("trace-log.targets", ALL)
    inputs = [{"key": "k1", "value": "fine"}, {"key": "k2", "value": "bad"}]
    with pytest.raises(rt.ActionFailedError):
        env.from_list(inputs).apply(_Picky()).execute()
    (path,) = tmp_path.glob("traces-*.log")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert {r["agentName"] for r in records} == {"_Picky"}
    (failed,) = [r for r in records if r["status"] == "failed"]
    assert failed["problemCategory"] == "action_execution_failed"
    assert failed["attributes"] == {"errorType": "ValueError", "errorMessage": 'bad input: "x" ü'}
    assert all(r["problemCategory"] is None for r in records if r["status"] != "failed")
    import flink_agents_nb as fa

    frame = fa.read_event_log(path).frame
    (row,) = frame[frame["status"] == "failed"].itertuples()
    assert row.error == 'ValueError: bad input: "x" ü'
    assert row.problem_category == "action_execution_failed"


def test_failed_model_and_tool_calls_use_flink_agents_categories() -> None:
    from flink_agents_runtime.eventlog._trace_sink import failure_attributes

    assert failure_attributes("TimeoutError: read timed out") == {
        "errorType": "TimeoutError",
        "errorMessage": "read timed out",
    }
    assert failure_attributes("Error: no such tool") == {
        "errorType": "Error",
        "errorMessage": "no such tool",
    }
    assert failure_attributes("tool crashed: see log") == {"errorMessage": "tool crashed: see log"}
    assert failure_attributes(None) == {} and failure_attributes("") == {}


def test_slf4j_records_say_job_task_and_subtask(caplog: pytest.LogCaptureFixture) -> None:
    """All subtasks of a TaskManager share its SLF4J file: Flink Agents' SLF4J records add
    ``jobId``, ``taskName`` and ``subtaskId`` (after the level); the file form does not."""
    env = rt.LocalExecutionEnvironment()
    env.get_config().set("trace-log.output-type", "SLF4J")
    env.get_config().set("job-identifier", "job-7")
    with caplog.at_level(logging.INFO, logger="org.apache.flink.agents.TraceLog"):
        env.from_list([{"key": "k", "value": "hello"}]).apply(Triage()).execute()
    lines = [r.getMessage() for r in caplog.records if r.name == "org.apache.flink.agents.TraceLog"]
    first = json.loads(lines[0])
    assert list(first)[:5] == ["timestamp", "detail", "jobId", "taskName", "subtaskId"]
    assert (first["jobId"], first["taskName"], first["subtaskId"]) == ("job-7", "local", 0)


def test_standard_truncation_counts_utf16_units_as_java() -> None:
    """Java's JsonTruncator measures and cuts strings in UTF-16 code units: an emoji counts
    2, and a pair cut in half leaves a lone surrogate that Java's UTF-8 writer writes ``?``."""
    from flink_agents_runtime.eventlog._truncate import Truncator

    cut = Truncator(5, 0, 0)
    assert cut.value("ab🚀cd") == {"truncatedString": "ab🚀c...", "omittedChars": 1}
    assert cut.value("abcd🚀x") == {"truncatedString": "abcd?...", "omittedChars": 2}
    assert cut.value("ab🚀") == "ab🚀"  # 4 units: kept
    assert cut.value("äöüäöüx") == {"truncatedString": "äöüäö...", "omittedChars": 2}
    assert cut.value("abcdef") == {"truncatedString": "abcde...", "omittedChars": 1}


def test_pretty_print_in_jacksons_layout() -> None:
    """``prettyPrint``/``trace-log.pretty-print`` as Flink Agents' loggers write them
    (Jackson's default pretty printer): ``"name" : value``, arrays on one line, objects
    in arrays opened on the array's line, ``{ }`` and ``[ ]``; values byte for byte."""
    from flink_agents_runtime.eventlog._lines import encode_record

    record = {
        "timestamp": "t",
        "a": [{"b": 1, "s": 'x\\"},{ '}, 2.5],
        "c": {},
        "d": [],
        "e": [[1, []], {"f": None}],
        "g": float("nan"),
    }
    assert encode_record(record, pretty=True).decode("utf-8") == (
        "{\n"
        '  "timestamp" : "t",\n'
        '  "a" : [ {\n'
        '    "b" : 1,\n'
        '    "s" : "x\\\\\\"},{ "\n'
        "  }, 2.5 ],\n"
        '  "c" : { },\n'
        '  "d" : [ ],\n'
        '  "e" : [ [ 1, [ ] ], {\n'
        '    "f" : null\n'
        "  } ],\n"
        '  "g" : NaN\n'
        "}\n"
    )


def test_business_key_is_the_keys_text(tmp_path: Path) -> None:
    """Flink Agents writes ``businessKey`` as text (``String.valueOf`` / Python ``str``):
    an int key is ``"42"``, a tuple key its ``str`` (was a JSON array, which the reader
    reports as a bad key)."""
    env = rt.LocalExecutionEnvironment()
    env.get_config().set("trace-log.base-dir", str(tmp_path))
    inputs = [{"key": 42, "value": "hello"}, {"key": ("eu", 7), "value": "hi"}]
    env.from_list(inputs).apply(Triage()).execute()
    (path,) = tmp_path.glob("traces-*.log")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert {r["businessKey"] for r in records} == {"42", "('eu', 7)"}
    import flink_agents_nb as fa

    log = fa.read_event_log(path)
    assert log.problems == [] and set(log.frame["key"]) == {"42", "('eu', 7)"}


def test_file_output_without_a_base_dir_goes_to_the_temp_dir_as_upstream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    env = rt.LocalExecutionEnvironment()
    env.get_config().set("trace-log.output-type", "FILE")
    env.from_list([{"key": "k", "value": "hello"}]).apply(Triage()).execute()
    (path,) = (tmp_path / "flink-agents").glob("traces-*-local-0.log")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert records and {r["entityType"] for r in records} == {"event"}
    assert {r["agentName"] for r in records} == {"Triage"}


def test_negative_truncation_limits_are_refused_naming_the_key() -> None:
    env = rt.LocalExecutionEnvironment()
    with pytest.raises(rt.ConfigError) as err:
        env.get_config().set("trace-log.standard.max-depth", -1)
    assert "trace-log.standard.max-depth" in str(err.value) and ">= 0" in str(err.value)
