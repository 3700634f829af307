"""An authenticated MCP server as Flink Agents declares one (``MCPServer(endpoint=...,
headers={"Authorization": ...})``): the headers reach the server with every request, a
descriptor and the server never show them, and they survive pickling (a Flink payload)."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from flink_agents_nb.api.agents.agent import Agent
from flink_agents_nb.api.decorators import action, mcp_server
from flink_agents_nb.api.events.event import Event, InputEvent, OutputEvent
from flink_agents_nb.api.execution_environment import AgentsExecutionEnvironment
from flink_agents_nb.api.resource import ResourceDescriptor, ResourceName, ResourceType
from flink_agents_nb.api.runner_context import RunnerContext
from flink_agents_runtime import MCPServer, MCPServerError, ResourceError
from tests.helpers.ports import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "Bearer t0k-3f9a"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.mcp_header_server", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, 60, proc)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class AuthAgent(Agent):
    endpoint = ""

    @mcp_server
    @staticmethod
    def api() -> ResourceDescriptor:
        return ResourceDescriptor(
            clazz=ResourceName.MCP_SERVER,
            endpoint=AuthAgent.endpoint,
            headers={"Authorization": TOKEN},
            timeout=30,
            sse_read_timeout=300,
        )

    @action(InputEvent.EVENT_TYPE)
    @staticmethod
    def ask(event: Event, ctx: RunnerContext) -> None:
        tool = ctx.get_resource("header", ResourceType.TOOL)
        ctx.send_event(OutputEvent(output=tool.call(name=event.input)))


@pytest.mark.slow
def test_an_mcp_servers_headers_reach_it_and_stay_hidden(endpoint: str) -> None:
    AuthAgent.endpoint = endpoint
    env = AgentsExecutionEnvironment.get_execution_environment()
    out = env.from_list([{"key": 1, "value": "Authorization"}]).apply(AuthAgent()).to_list()
    env.execute()
    assert out == [{1: [TOKEN]}]
    descriptor = AuthAgent.api()
    assert TOKEN not in repr(descriptor) and "headers=****" in repr(descriptor)
    server = pickle.loads(pickle.dumps(descriptor.build()))
    try:
        assert (server.headers, server.sse_read_timeout) == ({"Authorization": TOKEN}, 300)
        assert TOKEN not in repr(server)
        assert server.call_tool("header", {"name": "authorization"}) == [TOKEN]
    finally:
        server.close()
    plain = MCPServer(endpoint=endpoint, timeout=30)
    try:
        assert plain.call_tool("header", {"name": "authorization"}) == [""]
    finally:
        plain.close()
    with pytest.raises(ResourceError, match="headers= apply to an endpoint"):
        MCPServer(sys.executable, ["-c", "pass"], headers={"Authorization": TOKEN})


def test_an_endpoints_query_secret_is_masked_in_reprs_and_errors() -> None:
    port = free_port()  # nothing listens there
    url = f"http://127.0.0.1:{port}/mcp?token=q5ecr3t-value&team=blue"
    down = MCPServer(endpoint=url, headers={"X-Api-Key": "h5ecr3t-value"}, timeout=5)
    assert repr(down) == f"MCPServer(endpoint='http://127.0.0.1:{port}/mcp?token=****&team=blue')"
    with pytest.raises(MCPServerError, match="did not start") as err:
        down.list_tools()
    text = str(err.value)
    assert "token=****" in text and "q5ecr3t" not in text and "h5ecr3t" not in text
    assert err.value.__cause__ is None and err.value.__suppress_context__  # no chained URL
