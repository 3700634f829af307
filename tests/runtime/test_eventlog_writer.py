"""The event-log writer: loggers, records, levels, truncation, flush policy, failures."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import flink_agents_runtime as rt
from flink_agents_runtime import (
    AgentConfiguration,
    EventLoggerConfig,
    EventLogSink,
    EventLogWriteError,
    FileEventLogger,
    MemoryEventLogger,
)
from flink_agents_runtime.api._metrics import MetricRegistry
from flink_agents_runtime.eventlog._file_logger import log_file_name
from flink_agents_runtime.eventlog._levels import LevelResolver
from flink_agents_runtime.eventlog._logger_base import EventLoggerOpenParams
from flink_agents_runtime.eventlog._loggers import LOCAL_FLUSH_EVERY_N
from flink_agents_runtime.eventlog._sink import open_sinks
from flink_agents_runtime.eventlog._truncate import Truncator

EVENT_KEYS = [
    "timestamp",
    "logLevel",
    "recordType",
    "eventId",
    "eventType",
    "upstreamEventId",
    "upstreamActionName",
    "eventAttributes",
    "key",
    "seq",
    "inputSeq",
    "jobId",
    "taskName",
    "subtaskIndex",
]
ACTION_KEYS = [
    "timestamp",
    "logLevel",
    "recordType",
    "actionName",
    "eventId",
    "eventType",
    "key",
    "seq",
    "inputSeq",
    "durationNs",
    "status",
    "attempt",
    "error",
    "sentEventIds",
    "memoryWrites",
    "jobId",
    "taskName",
    "subtaskIndex",
]


class Talker(rt.Agent):
    @rt.action(rt.InputEvent)
    @staticmethod
    def talk(event: rt.Event, ctx: rt.RunnerContext) -> None:
        value = event.attributes["input"]
        ctx.short_term_memory.set("seen", value)
        ctx.send_event(rt.Event(type="said", attributes=dict(value)))

    @rt.action("said")
    @staticmethod
    def done(event: rt.Event, ctx: rt.RunnerContext) -> None:
        ctx.send_event(rt.OutputEvent(output="ok"))


def run(config: dict[str, Any], values: list[Any], **kwargs: Any) -> rt.RunResult:
    env = rt.AgentsExecutionEnvironment.get_execution_environment(config=config)
    inputs = [{"key": f"k{i}", "value": v} for i, v in enumerate(values)]
    return env.from_list(inputs).apply(Talker()).execute(**kwargs)


def lines(path: str | Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def test_local_run_writes_the_record_format(tmp_path: Path, clean_env: None) -> None:
    result = run({"baseLogDir": str(tmp_path), "job-identifier": "my job/1"}, [{"a": 1}])
    (path,) = result.log_files
    assert Path(path).name == "events-my_job_1-local-0.log"
    recs = lines(path)
    assert [r["recordType"] for r in recs] == ["event", "action", "event", "action", "event"]
    assert list(recs[0]) == EVENT_KEYS and list(recs[1]) == ACTION_KEYS
    first, act = recs[0], recs[1]
    assert first["eventType"] == "_input_event" and first["eventAttributes"] == {"input": {"a": 1}}
    assert (first["jobId"], first["taskName"], first["subtaskIndex"]) == ("my job/1", "local", 0)
    assert first["logLevel"] == "STANDARD" and first["upstreamEventId"] is None
    assert first["timestamp"].endswith("Z") and len(first["timestamp"]) == 27
    assert act["actionName"] == "talk" and act["eventId"] == first["eventId"]
    assert act["status"] == "ok" and act["attempt"] == 1 and act["durationNs"] > 0
    assert act["sentEventIds"] == [recs[2]["eventId"]]
    assert act["memoryWrites"] == [{"memory": "short_term", "path": "seen", "value": {"a": 1}}]
    assert recs[2]["upstreamEventId"] == first["eventId"]
    assert recs[2]["upstreamActionName"] == "talk"
    assert [r["seq"] for r in recs] == list(range(5))


def test_job_id_defaults_to_the_run_id_and_no_dir_means_no_log(
    tmp_path: Path, clean_env: None
) -> None:
    result = run({"baseLogDir": str(tmp_path)}, [{"v": 1}])
    assert [Path(p).name for p in result.log_files] == [f"events-{result.run_id}-local-0.log"]
    assert run({}, [{"v": 1}]).log_files == []
    assert (
        run({"baseLogDir": str(tmp_path / "off"), "event-log.level": "OFF"}, [{"v": 1}]).log_files
        == []
    )
    assert not (tmp_path / "off").exists()


def test_file_name_replaces_unsafe_characters() -> None:
    assert log_file_name('a/b\\c:d*e?f"g<h>i|j k', "Map -> agent", 3) == (
        "events-a_b_c_d_e_f_g_h_i_j_k-Map_-__agent-3.log"
    )


def test_standard_truncates_in_flink_agents_shapes(tmp_path: Path, clean_env: None) -> None:
    deep = {"l3": {"l4": {"l5": {"x": 1}, "s": "y", "n": 2}}}
    value = {"text": "x" * 30, "items": list(range(8)), "deep": deep, "short": "ok"}
    config = {
        "baseLogDir": str(tmp_path),
        "event-log.standard.max-string-length": 10,
        "event-log.standard.max-array-elements": 3,
        "event-log.standard.max-depth": 5,
    }
    result = run(config, [value])
    said = next(r for r in lines(result.log_files[0]) if r["eventType"] == "said")
    attrs = said["eventAttributes"]
    assert attrs["text"] == {"truncatedString": "x" * 10 + "...", "omittedChars": 20}
    assert attrs["items"] == {"truncatedList": [0, 1, 2], "omittedElements": 5}
    # attributes are depth 2, so "l4" sits at depth 5: only its scalars stay
    assert attrs["deep"]["l3"]["l4"] == {"truncatedObject": {"s": "y", "n": 2}, "omittedFields": 1}
    assert attrs["short"] == "ok"
    # the agent saw the whole value: truncation copies, never mutates
    assert result.events[1].event.attributes["text"] == "x" * 30
    verbose = run(config | {"event-log.level": "VERBOSE"}, [value])
    said = next(r for r in lines(verbose.log_files[0]) if r["eventType"] == "said")
    assert said["eventAttributes"] == value and said["logLevel"] == "VERBOSE"


def test_truncator_limits_of_zero_disable_and_unchanged_is_identical() -> None:
    attrs = {"a": "y" * 50, "b": [1] * 50}
    assert Truncator(0, 0, 0).attributes(attrs) is attrs
    small = {"a": "short", "b": [1, 2], "c": {"d": {"e": 1}}}
    assert Truncator(10, 5, 5).attributes(small) is small
    cut = Truncator(0, 2, 0).attributes({"m": [[1, 2, 3], "s"]})
    assert cut == {"m": [{"truncatedList": [1, 2], "omittedElements": 1}, "s"]}


def test_each_log_takes_its_own_standard_limits() -> None:
    """``event-log.standard.*`` limit the event log, ``trace-log.standard.*`` the Trace Log;
    unset, each takes its default (upstream's 2000 characters, 20 elements, depth 5)."""
    config = AgentConfiguration()
    assert (Truncator.from_config(config, "trace-log").max_string_length) == 2000
    for key, value in (("max-string-length", 7), ("max-array-elements", 3), ("max-depth", 4)):
        config.set(f"event-log.standard.{key}", value)
    config.set("trace-log.standard.max-array-elements", 9)
    event, trace = (
        Truncator.from_config(config, "event-log"),
        Truncator.from_config(config, "trace-log"),
    )
    limits = ("max_string_length", "max_array_elements", "max_depth")
    assert [getattr(event, name) for name in limits] == [7, 3, 4]
    assert [getattr(trace, name) for name in limits] == [2000, 9, 5]


def test_truncated_events_metric_counts_records(tmp_path: Path) -> None:
    registry = MetricRegistry()
    config = AgentConfiguration().set("baseLogDir", str(tmp_path))
    config.set("event-log.standard.max-string-length", 5)
    sink = EventLogSink.for_task(config, "j", "t", 0, registry.group())
    ev = rt.Event(type="x", attributes={"s": "long string"})
    ev.id = "1"
    sink.on_event(rt.EventRecord(0, 0, "k", ev, time.time_ns()))
    ev2 = rt.Event(type="x", attributes={"s": "tiny"})
    sink.on_event(rt.EventRecord(1, 0, "k", ev2, time.time_ns()))
    sink.close()
    assert registry.counts()["eventLogTruncatedEvents"] == 1
    recs = lines(sink.files[0])
    assert recs[0]["eventAttributes"]["s"]["omittedChars"] == 6
    assert recs[1]["eventAttributes"] == {"s": "tiny"}


def test_per_type_levels_resolve_up_dotted_prefixes(tmp_path: Path, clean_env: None) -> None:
    levels = LevelResolver("STANDARD", {"org.acme": "OFF", "org.acme.Keep": "VERBOSE"})
    assert levels.level("org.acme.Drop") == "OFF"
    assert levels.level("org.acme.Keep") == "VERBOSE"
    assert levels.level("org.acme.Keep.Sub") == "VERBOSE"
    assert levels.level("other") == "STANDARD"
    result = run({"baseLogDir": str(tmp_path), "event-log.type.said.level": "OFF"}, [{"a": 1}])
    recs = lines(result.log_files[0])
    assert "said" not in {r["eventType"] for r in recs}  # events and the actions on them
    assert [r["recordType"] for r in recs] == ["event", "action", "event"]
    only = run(
        {
            "baseLogDir": str(tmp_path / "v"),
            "event-log.level": "OFF",
            "event-log.type._output_event.level": "VERBOSE",
        },
        [{"v": 1}],
    )
    assert [r["eventType"] for r in lines(only.log_files[0])] == ["_output_event"]


def test_pretty_print_writes_multiline_records(tmp_path: Path, clean_env: None) -> None:
    result = run({"baseLogDir": str(tmp_path), "prettyPrint": True}, [{"v": 1}])
    text = Path(result.log_files[0]).read_text()
    assert text.startswith('{\n  "timestamp"')
    decoder, pos, recs = json.JSONDecoder(), 0, []
    while pos < len(text.rstrip()):
        obj, pos = decoder.raw_decode(text, pos)
        recs.append(obj)
        pos += 1
    assert len(recs) == 5 and list(recs[0]) == EVENT_KEYS


def open_logger(tmp_path: Path, **props: Any) -> FileEventLogger:
    config = EventLoggerConfig.builder().logger_type("file").property("baseLogDir", str(tmp_path))
    logger = config.properties(props).build().create()
    assert isinstance(logger, FileEventLogger)
    logger.open(EventLoggerOpenParams("j", "t", 0))
    return logger


def test_flush_every_n_records(tmp_path: Path) -> None:
    logger = open_logger(tmp_path, flushEveryNRecords=3)
    assert logger.path is not None
    logger.append({"n": 1})
    logger.append({"n": 2})
    assert logger.path.read_bytes() == b""
    logger.append({"n": 3})
    assert [r["n"] for r in lines(logger.path)] == [1, 2, 3]
    logger.append({"n": 4})
    logger.flush()
    assert len(lines(logger.path)) == 4
    logger.close()
    with pytest.raises(rt.FlinkAgentsError, match="closed"):
        logger.append({"n": 5})


def test_flush_interval(tmp_path: Path) -> None:
    logger = open_logger(tmp_path, flushEveryNRecords=1000, flushIntervalMs=30)
    assert logger.path is not None
    logger.append({"n": 1})
    assert logger.path.read_bytes() == b""
    time.sleep(0.05)
    logger.append({"n": 2})  # the interval passed: both go out
    assert [r["n"] for r in lines(logger.path)] == [1, 2]
    logger.close()


def test_idle_logger_writes_pending_records_in_the_background(tmp_path: Path) -> None:
    logger = open_logger(tmp_path, flushEveryNRecords=1000, flushIntervalMs=20)
    assert logger.path is not None
    logger.append({"n": 1})
    deadline = time.monotonic() + 5
    while not logger.path.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.01)  # no further appends: only the background thread can write it
    assert [r["n"] for r in lines(logger.path)] == [1]
    logger.close()


def test_local_runs_batch_by_default_and_flink_tasks_write_every_record(
    tmp_path: Path, clean_env: None
) -> None:
    config = AgentConfiguration().update({"baseLogDir": str(tmp_path)})
    (local,) = open_sinks(config, "run-1", "local", 0, default_every_n=LOCAL_FLUSH_EVERY_N)
    flink = EventLogSink.for_task(config, "job", "agent", 0)
    strict = EventLogSink.for_task(
        AgentConfiguration().update(
            {"baseLogDir": str(tmp_path), "event-log.fail-on-write-error": True}
        ),
        "job",
        "agent",
        1,
        default_every_n=1000,
    )
    assert local is not None
    assert isinstance(local.logger, FileEventLogger) and local.logger.every_n == 1000
    assert isinstance(flink.logger, FileEventLogger) and flink.logger.every_n == 1
    assert isinstance(strict.logger, FileEventLogger) and strict.logger.every_n == 1
    ev = rt.Event(type="x", attributes={})
    local.on_event(rt.EventRecord(0, 0, "k", ev, time.time_ns()))
    assert Path(local.files[0]).read_bytes() == b""  # pending until 1000, the interval or close
    local.close()
    assert len(lines(local.files[0])) == 1
    for sink in (flink, strict):
        sink.close()


KILLED = """
import os, sys
from flink_agents_runtime import EventLoggerConfig
from flink_agents_runtime.eventlog._logger_base import EventLoggerOpenParams
cfg = EventLoggerConfig.builder().property("baseLogDir", sys.argv[1])
log = cfg.property("flushEveryNRecords", int(sys.argv[2])).build().create()
log.open(EventLoggerOpenParams("j", "t", 0))
for n in range(10):
    log.append({"n": n, "pad": "x" * 100})
os._exit(9)  # killed: no close, no flush
"""


@pytest.mark.parametrize(("every", "kept"), [(1, 10), (4, 8), (100, 0)])
def test_killed_process_loses_only_unflushed_records(tmp_path: Path, every: int, kept: int) -> None:
    proc = subprocess.run([sys.executable, "-c", KILLED, str(tmp_path), str(every)])
    assert proc.returncode == 9
    recs = lines(tmp_path / "events-j-t-0.log")
    assert [r["n"] for r in recs] == list(range(kept))


def test_reopening_after_a_torn_line_keeps_new_records_parseable(tmp_path: Path) -> None:
    path = tmp_path / "events-j-t-0.log"
    path.write_bytes(b'{"n": 0}\n{"n": 1, "cut')
    logger = open_logger(tmp_path)
    logger.append({"n": 2})
    logger.close()
    assert path.read_bytes().splitlines()[-1] == b'{"n":2}'
    assert path.read_bytes().splitlines()[1] == b'{"n": 1, "cut'


def full_disk_dir(tmp_path: Path) -> Path:
    if not os.path.exists("/dev/full"):
        pytest.fail("this test needs /dev/full (Linux) to make writes fail for real")
    base = tmp_path / "full"
    base.mkdir()
    (base / "events-j-local-0.log").symlink_to("/dev/full")
    return base


def test_write_failures_are_counted_reported_once_and_not_fatal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, clean_env: None
) -> None:
    base = full_disk_dir(tmp_path)
    caplog.set_level(logging.ERROR, logger="flink_agents_runtime.eventlog._loggers")
    registry = MetricRegistry()
    config = AgentConfiguration().update({"baseLogDir": str(base), "job-identifier": "j"})
    sink = EventLogSink.for_task(config, "j", "local", 0, registry.group())
    ev = rt.Event(type="x", attributes={})
    for seq in range(3):
        sink.on_event(rt.EventRecord(seq, 0, "k", ev, time.time_ns()))
    sink.close()
    assert registry.counts()["eventLogWriteFailures"] == 3
    assert sink.write_failures == 3
    errors = [r for r in caplog.records if "eventLogWriteFailures" in r.getMessage()]
    assert len(errors) == 1
    result = run({"baseLogDir": str(base), "job-identifier": "j"}, [{"v": 1}, {"v": 2}])
    assert result.error is None and len(result.outputs) == 2


def test_write_failure_stops_the_agent_when_configured(tmp_path: Path, clean_env: None) -> None:
    base = full_disk_dir(tmp_path)
    config = {"baseLogDir": str(base), "job-identifier": "j", "event-log.fail-on-write-error": True}
    with pytest.raises(EventLogWriteError, match="No space left"):
        run(config, [{"v": 1}])


def test_memory_logger_and_custom_sink(clean_env: None) -> None:
    config = AgentConfiguration().set("eventLoggerType", "memory")
    sink = EventLogSink.for_task(config, "job", "task", 2)
    assert isinstance(sink.logger, MemoryEventLogger) and sink.files == []
    env = rt.AgentsExecutionEnvironment.get_execution_environment()
    env.from_list([{"key": "a", "value": {"v": 1}}]).apply(Talker()).execute(sinks=[sink])
    recs = sink.records
    assert [r["eventType"] for r in recs if r["recordType"] == "event"] == [
        "_input_event",
        "said",
        "_output_event",
    ]
    assert all(list(r)[-3:] == ["jobId", "taskName", "subtaskIndex"] for r in recs)
    assert {r["subtaskIndex"] for r in recs} == {2}


def test_open_sinks_opens_no_log_unless_one_is_wanted(tmp_path: Path, clean_env: None) -> None:
    assert open_sinks(AgentConfiguration(), "job", "local", 0) == []  # no baseLogDir
    off = AgentConfiguration().update({"baseLogDir": str(tmp_path), "event-log.level": "OFF"})
    assert open_sinks(off, "job", "agent", 0) == []
    (sink,) = open_sinks(AgentConfiguration().update({"baseLogDir": str(tmp_path)}), "j", "a", 3)
    assert isinstance(sink, EventLogSink)
    sink.close()


def test_unknown_logger_type_is_an_error() -> None:
    with pytest.raises(rt.FlinkAgentsError, match="unknown event logger type 'kafka'"):
        EventLoggerConfig.builder().logger_type("kafka").build().create()


def test_local_run_reports_event_log_counters_in_its_metrics(tmp_path: Path) -> None:
    import flink_agents_nb as fa

    agent = fa.Agent().add_action(
        "echo", [fa.InputEvent], lambda e, ctx: ctx.send_event(fa.OutputEvent(output=e.input))
    )
    env = fa.local(base_log_dir=str(tmp_path), config={"event-log.standard.max-string-length": 5})
    run = env.from_list([{"key": 1, "value": "long enough to cut"}]).apply(agent).execute()
    assert run.metric_counts["eventLogTruncatedEvents"] == 2  # the input and the output event
    assert run.metric_counts["eventLogWriteFailures"] == 0
    assert len(run.result.log_files) == 1


class DictLogger:
    """A third-party logger: the EventLogger protocol alone (records as dicts)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def open(self, params: EventLoggerOpenParams) -> None:
        pass

    def append(self, record: dict[str, Any]) -> None:
        self.records.append(record)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_file_memory_and_dict_loggers_agree_on_every_shape(tmp_path: Path) -> None:
    """The file logger (a batch encoded per write), the memory logger (a record at a time)
    and a logger taking dicts get the same records: keys in order and values, for cut
    attributes, odd keys, errors and memory writes."""
    base = {"event-log.standard.max-string-length": 5, "event-log.standard.max-array-elements": 2}
    file_sink = EventLogSink.for_task(
        AgentConfiguration().update(base | {"baseLogDir": str(tmp_path)}), "job", "t", 0
    )
    memory_sink = EventLogSink.for_task(
        AgentConfiguration().update(base | {"eventLoggerType": "memory"}), "job", "t", 0
    )
    dict_logger = DictLogger()
    dict_sink = EventLogSink.for_task(
        AgentConfiguration().update(base), "job", "t", 0, None, dict_logger
    )
    deep = {"a": {"b": {"c": {"d": {"e": 1}}}}}
    shapes: list[Any] = [{"s": "short"}, {"s": "x" * 50}, {"l": [1, 2, 3, 4]}, deep, {}]
    keys: list[Any] = ["k", 7, 2**70, ("t", 1), None]
    ts = 1_700_000_000_123_456_789
    for n, (attrs, key) in enumerate(zip(shapes, keys, strict=True)):
        ev = rt.Event(type="t.x", attributes=attrs)
        ev.id, ev.upstream_event_id, ev.upstream_action_name = f"id-{n}", "up", "act"
        error = None if n % 2 else "ValueError: " + "y" * 20
        writes = [("short_term", "a.b", "z" * 9)] if n == 3 else []
        for sink in (file_sink, memory_sink, dict_sink):
            sink.on_event(rt.EventRecord(2 * n, n, key, ev, ts + n))
            sink.on_action(
                rt.ActionRecord(
                    2 * n + 1, n, key, "act", ev.id, ev.type, ts, 12, "failed", 2, error,
                    [f"id-{n}"], writes,
                )
            )  # fmt: skip
    file_sink.close()
    written = [json.loads(line) for line in Path(file_sink.files[0]).read_bytes().splitlines()]
    expected = json.loads(json.dumps(memory_sink.records, default=str))
    assert [list(r) for r in written] == [list(r) for r in expected]
    assert written == expected
    assert json.loads(json.dumps(dict_logger.records, default=str)) == expected
    assert written[2]["eventAttributes"]["s"]["truncatedString"] == "xxxxx..."
    assert written[4]["key"] == 2**70 and written[6]["key"] == ["t", 1]
    # events 1-3 (string, list, depth), actions 0, 2, 4 (error) and 3 (memory write)
    assert file_sink.truncated_events.count == memory_sink.truncated_events.count == 7
    assert dict_sink.truncated_events.count == 7


def test_records_are_logged_as_they_were_when_sent(tmp_path: Path) -> None:
    # A batch is encoded when it is written; what an action changes later must not show.
    config = AgentConfiguration().update({"baseLogDir": str(tmp_path)})
    sink = EventLogSink.for_task(config, "j", "t", 0, default_every_n=1000)
    attrs: dict[str, Any] = {"order": {"items": [1]}}
    value = {"n": 1}
    ev = rt.Event(type="x", attributes=attrs)
    ev.id = "e1"
    sink.on_event(rt.EventRecord(0, 0, "k", ev, time.time_ns()))
    sink.on_action(
        rt.ActionRecord(1, 0, "k", "a", "e1", "x", time.time_ns(), 5, "ok", 1, None, ["e2"],
                        [("short_term", "v", value)])
    )  # fmt: skip
    attrs["order"]["items"].append(2)
    attrs["late"] = True
    value["n"] = 2
    assert Path(sink.files[0]).read_bytes() == b""  # still pending
    sink.close()
    event, action = lines(Path(sink.files[0]))
    assert event["eventAttributes"] == {"order": {"items": [1]}}
    assert action["memoryWrites"] == [{"memory": "short_term", "path": "v", "value": {"n": 1}}]


def test_a_record_that_cannot_be_encoded_as_is_costs_no_other_record(tmp_path: Path) -> None:
    # Lone surrogates (e.g. from bytes decoded with surrogateescape) are not UTF-8: such a
    # record is written with \u escapes and the rest of its batch as usual.
    config = AgentConfiguration().update({"baseLogDir": str(tmp_path)})
    sink = EventLogSink.for_task(config, "j", "t", 0, default_every_n=1000)
    odd = "bad\udcff"
    shapes: list[tuple[str, dict[str, Any]]] = [("x", {"a": 1}), (odd, {"a": odd}), ("x", {"a": 3})]
    for seq, (etype, attrs) in enumerate(shapes):
        ev = rt.Event(type=etype, attributes=attrs)
        ev.id = f"e{seq}"
        sink.on_event(rt.EventRecord(2 * seq, seq, "k", ev, time.time_ns()))
        error = None if seq != 1 else f"ValueError: {odd}"
        sink.on_action(
            rt.ActionRecord(2 * seq + 1, seq, "k", "a", ev.id, etype, time.time_ns(), 5, "ok",
                            1, error, [], [])
        )  # fmt: skip
    sink.close()
    recs = lines(Path(sink.files[0]))
    assert [r["seq"] for r in recs] == list(range(6))
    assert recs[2]["eventType"] == odd and recs[2]["eventAttributes"] == {"a": odd}
    assert recs[3]["error"] == f"ValueError: {odd}" and list(recs[3]) == ACTION_KEYS
    assert [r["eventAttributes"]["a"] for r in recs[::2]] == [1, odd, 3]


def test_clock_formats_like_datetime_across_millisecond_and_second_boundaries() -> None:
    from datetime import datetime, timezone

    from flink_agents_runtime.eventlog._clock import Clock

    clock = Clock()
    # the sink inlines the clock on its hot path: its records must agree too
    sink = EventLogSink.for_task(AgentConfiguration().set("eventLoggerType", "memory"), "j", "t", 0)
    base = 1_700_000_000 * 10**9
    stamps = (base - 1, base, base + 999_999, base + 1_000_000, base + 1_999_999_999, 0)
    for seq, ns in enumerate(stamps):
        expected = (
            datetime.fromtimestamp(ns // 10**9, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{ns // 1000 % 10**6:06d}Z"
        )
        assert clock.iso(ns) == expected
        sink.on_event(rt.EventRecord(seq, 0, "k", rt.Event(type="x", attributes={}), ns))
        assert sink.records[-1]["timestamp"] == expected


def test_values_msgspec_refuses_are_still_written() -> None:
    from flink_agents_runtime.eventlog._lines import encode_value

    assert json.loads(encode_value({"a": "x\udcff"})) == {"a": "x\udcff"}  # \u escape
    cyclic: dict[str, Any] = {"n": 1}
    cyclic["self"] = cyclic
    assert json.loads(encode_value(cyclic)) == "{'n': 1, 'self': {...}}"  # its str


def test_the_trace_log_file_is_among_the_files_written(tmp_path: Path, clean_env: None) -> None:
    result = run({"job-identifier": "j", "trace-log.base-dir": str(tmp_path)}, [{"v": 1}])
    assert [Path(p).name for p in result.log_files] == ["traces-j-local-0.log"]
    both = run(
        {"job-identifier": "k", "baseLogDir": str(tmp_path), "trace-log.base-dir": str(tmp_path)},
        [{"v": 1}],
    )
    assert sorted(Path(p).name for p in both.log_files) == [
        "events-k-local-0.log",
        "traces-k-local-0.log",
    ]
    slf4j = {"job-identifier": "s", "trace-log.output-type": "SLF4J"}
    assert run(slf4j, [{"v": 1}]).log_files == []
