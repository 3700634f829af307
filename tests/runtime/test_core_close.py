"""ExecutionCore.close() releases what the core holds: resources, sinks, the state store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import flink_agents_runtime as rt
from flink_agents_runtime.api._metrics import MetricRegistry
from flink_agents_runtime.durable import open_tracker
from flink_agents_runtime.engine._core import DictState, ExecutionCore
from flink_agents_runtime.eventlog._sink import open_sinks


class CountingSink:
    """A user sink: counts records and closes."""

    def __init__(self) -> None:
        self.records = 0
        self.closed = 0

    def on_event(self, record: Any) -> None:
        self.records += 1

    def on_action(self, record: Any) -> None:
        self.records += 1

    def close(self) -> None:
        self.closed += 1


class Connection:
    """A resource with a close()."""

    closed = 0

    def close(self) -> None:
        Connection.closed += 1


def test_close_releases_resources_sinks_and_the_store(tmp_path: Path) -> None:
    def act(event: Any, ctx: Any) -> None:
        ctx.get_resource("conn")
        ctx.send_event(rt.OutputEvent(output=event.input))

    agent = rt.Agent().add_action("act", rt.InputEvent, act)
    agent.add_resource("conn", rt.ResourceType.CHAT_MODEL_CONNECTION, Connection())
    config = rt.AgentConfiguration().update(
        {
            "baseLogDir": str(tmp_path),
            "actionStateStoreBackend": "sqlite",
            "actionStateStore.sqlite.path": str(tmp_path / "s.sqlite"),
        }
    )
    plan = rt.AgentPlan.from_agent(agent)
    group = MetricRegistry().group()
    (log,) = open_sinks(config, "job", "local", 0, group)
    mine, theirs = CountingSink(), CountingSink()
    tracker = open_tracker(config, "job")
    assert tracker is not None
    core = ExecutionCore(
        plan,
        config,
        group,
        DictState(),
        [log, mine, theirs],
        durable_store=tracker,
        keep_open=[theirs],
    )
    assert core.start("k", 1).run_blocking() == [1]
    core.close()
    assert Connection.closed == 1  # the resource it built
    assert (mine.closed, theirs.closed) == (1, 0)  # keep_open is the caller's
    assert mine.records == theirs.records > 0
    assert Path(log.files[0]).read_text().count("\n") == mine.records  # flushed on close
    with pytest.raises(rt.UsageError, match="closed"):
        log.logger.append({"x": 1})
    with pytest.raises(Exception, match="closed"):
        tracker.store.get("k", 0)  # the store's connection is closed
    core.close()  # idempotent
    assert (Connection.closed, mine.closed) == (1, 1)
