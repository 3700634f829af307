"""The agent in PyFlink's process mode (``flink.execution-mode: process``) on a MiniCluster.

Process mode runs each input to its end before the next (no interleaving); the function
returns its outputs per element and per timer, and the metrics sync timer fires while the
job runs (interval 1 ms here): PyFlink's process-mode timer path iterates what ``on_timer``
returns, so a timer with nothing to emit must still return an empty sequence.

On a MiniCluster PyFlink runs process mode's Python worker in this very process ("loopback"),
and starting it updates ``os.environ`` with the worker's parameters (among them
``PYFLINK_GATEWAY_DISABLED``, which makes every later ``get_gateway()`` in a child process,
such as the notebooks' kernels, refuse to start), prepends to ``sys.path`` and may change the
working directory. The test puts all three back.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = [pytest.mark.flink, pytest.mark.usefixtures("clean_env", "process_state_kept")]


@pytest.fixture
def process_state_kept() -> Iterator[None]:
    """Environment, ``sys.path`` and working directory as they were before the test."""
    environ, path, cwd = dict(os.environ), sys.path[:], os.getcwd()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(environ)
        sys.path[:] = path
        os.chdir(cwd)


def test_process_mode_emits_every_output_once_while_timers_fire() -> None:
    from pyflink.datastream import StreamExecutionEnvironment

    from flink_agents_runtime import Agent, AgentsExecutionEnvironment, InputEvent, OutputEvent

    def double(event: Any, ctx: Any) -> None:
        ctx.send_event(OutputEvent(event.input * 2))

    agent = Agent()
    agent.add_action("double", [InputEvent], double)
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    agents_env = AgentsExecutionEnvironment.get_execution_environment(
        env,
        config={"flink.execution-mode": "process", "flink.metrics-sync-interval-ms": 1},
    )
    stream = agents_env.from_datastream(env.from_collection(list(range(300))), lambda n: n % 7)
    out = stream.apply(agent).to_datastream()
    assert sorted(out.execute_and_collect("process-mode")) == [2 * n for n in range(300)]
    assert "PYFLINK_GATEWAY_DISABLED" in os.environ  # PyFlink's loopback worker set it here
