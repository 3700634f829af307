"""Flink Agents configuration keys: the refused ones say why and what to set instead; the
accepted-but-inert ones load and warn when set, at FA's option-class names."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import flink_agents_nb as fa
from flink_agents_nb.api.core_options import MemoryEventOptions
from flink_agents_nb.api.execution_environment import AgentsExecutionEnvironment


def test_kafka_and_fluss_store_keys_name_the_kit_stores() -> None:
    env = AgentsExecutionEnvironment.get_execution_environment()
    with pytest.raises(fa.ConfigError, match=r"'kafkaBootstrapServers'.*Kafka.*sqlite and redis"):
        env.get_config().set_str("kafkaBootstrapServers", "broker:9092")
    with pytest.raises(
        fa.ConfigError, match=r"'flussSaslPassword'.*Fluss.*actionStateStoreBackend"
    ):
        env.get_config().set_str("flussSaslPassword", "x")


def test_pre_04_trace_switch_points_to_the_trace_log(tmp_path: Path) -> None:
    conf = tmp_path / "config.yaml"
    conf.write_text("agent:\n  baseLogDir: /tmp/x\n  event-log.trace.enabled: true\n")
    with pytest.raises(fa.ConfigError, match=r"config.yaml:3.*trace-log.base-dir") as err:
        fa.local(config_file=str(conf))
    assert "unknown" not in str(err.value)


def test_memory_event_options_under_a_pattern_are_accepted_and_warned(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert MemoryEventOptions.SHORT_TERM_WRITE.key == "memory.generate-event.short-term-write"
    env = AgentsExecutionEnvironment.get_execution_environment()
    env.get_config().set(MemoryEventOptions.SHORT_TERM_WRITE, True)
    assert env.get_config().get("memory.generate-event.short-term-write") is True

    class Echo(fa.Agent):
        @fa.action(fa.InputEvent)
        @staticmethod
        def echo(event: fa.Event, ctx: fa.RunnerContext) -> None:
            ctx.send_event(fa.OutputEvent(event.input))

    out = env.from_list([{"key": 1, "value": "hi"}]).apply(Echo()).to_list()
    with caplog.at_level(logging.WARNING):
        env.execute()
    assert out == [{1: "hi"}]
    assert "memory.generate-event.short-term-write = True" in caplog.text
