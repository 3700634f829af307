"""``eventLoggerType: slf4j`` (Flink Agents' default logger type; a config written for FA
failed to load): records go to the logger ``org.apache.flink.agents.EventLog`` as JSON."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import flink_agents_nb as fa
from flink_agents_nb.api.core_options import AgentConfigOptions, LoggerType
from flink_agents_nb.api.execution_environment import AgentsExecutionEnvironment


class Upper(fa.Agent):
    @fa.action(fa.InputEvent)
    @staticmethod
    def upper(event: fa.Event, ctx: fa.RunnerContext) -> None:
        ctx.send_event(fa.OutputEvent(str(event.input).upper()))


def test_records_go_to_the_event_log_logger(caplog: pytest.LogCaptureFixture) -> None:
    env = AgentsExecutionEnvironment.get_execution_environment()
    env.get_config().set(AgentConfigOptions.EVENT_LOGGER_TYPE, LoggerType.SLF4J)
    out = env.from_list([{"key": "a", "value": "hi"}]).apply(Upper()).to_list()
    with caplog.at_level(logging.INFO, logger="org.apache.flink.agents.EventLog"):
        env.execute()
    assert out == [{"a": "HI"}]
    records = [
        json.loads(r.getMessage())
        for r in caplog.records
        if r.name == "org.apache.flink.agents.EventLog"
    ]
    events = [r for r in records if r["recordType"] == "event"]
    assert [e["eventType"] for e in events] == ["_input_event", "_output_event"]
    assert events[1]["eventAttributes"] == {"output": "HI"}
    assert {"eventId", "jobId", "taskName"} <= set(events[0])


def test_a_flink_agents_config_file_with_slf4j_loads(tmp_path: Path) -> None:
    conf = tmp_path / "config.yaml"
    conf.write_text("agent:\n  eventLoggerType: slf4j\n")
    env = fa.local(config_file=str(conf))
    assert env.config.get("eventLoggerType") == "slf4j"
