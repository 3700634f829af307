"""Resources built for a run (chat-model connections with HTTP clients) are closed when it ends."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flink_agents_runtime import (
    Agent,
    AgentsExecutionEnvironment,
    InputEvent,
    OpenAIChatModelConnection,
    OutputEvent,
    ResourceDescriptor,
    ResourceType,
)
from tests.helpers.openai_server import OpenAIServer, ask_and_answer_agent

pytestmark = pytest.mark.skipif(
    not Path("/proc/net/tcp").exists(), reason="counts sockets through Linux /proc/net/tcp"
)


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


def _client_connections(port: int) -> int:
    """Established TCP connections (IPv4) whose remote end is 127.0.0.1:``port``."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote, state = fields[2], fields[3]
        if state == "01" and int(remote.split(":")[1], 16) == port:
            count += 1
    return count


def _run(agent: Agent) -> list[Any]:
    env = AgentsExecutionEnvironment.get_execution_environment()
    data = [{"key": k, "value": f"hi {k}"} for k in ("a", "b", "c")]
    return sorted(env.from_list(data).apply(agent).execute().output_values())


@pytest.mark.parametrize("declared", ["descriptor", "instance"])
def test_http_connections_are_closed_when_a_local_run_ends(
    server: OpenAIServer, declared: str
) -> None:
    port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    if declared == "descriptor":
        conn: Any = ResourceDescriptor(OpenAIChatModelConnection, base_url=server.url)
    else:  # one instance used as is, shared by runs: closed after each, reopened by the next
        conn = OpenAIChatModelConnection(base_url=server.url)
    agent = ask_and_answer_agent(conn)
    enabled = gc.isenabled()
    gc.disable()  # without closing, only the cycle collector would free the connections
    try:
        for _ in range(2):
            assert _run(agent) == ["echo: hi a", "echo: hi b", "echo: hi c"]
            assert _client_connections(port) == 0
    finally:
        if enabled:
            gc.enable()


def test_a_resource_failing_to_close_is_logged_and_the_others_still_close(
    caplog: pytest.LogCaptureFixture,
) -> None:
    closed: list[str] = []

    class Holder:
        def __init__(self, name: str, fail: bool = False) -> None:
            self.name, self.fail = name, fail

        def close(self) -> None:
            closed.append(self.name)
            if self.fail:
                raise OSError(f"{self.name} would not close")

    agent = Agent()
    agent.add_resource("first", ResourceType.TOOL, ResourceDescriptor(Holder, name="first"))
    agent.add_resource(
        "second", ResourceType.TOOL, ResourceDescriptor(Holder, name="second", fail=True)
    )

    def use(event: Any, ctx: Any) -> None:
        ctx.get_resource("first", ResourceType.TOOL)
        ctx.get_resource("second", ResourceType.TOOL)
        ctx.send_event(OutputEvent(event.input))

    agent.add_action("use", InputEvent, use)
    assert _run(agent) == ["hi a", "hi b", "hi c"]
    assert closed == ["second", "first"]  # newest first, once per run
    assert "closing tool 'second' failed" in caplog.text
    assert "second would not close" in caplog.text
