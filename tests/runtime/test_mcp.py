"""MCP tools against a real MCP server (the official SDK over stdio, started by the test):
listing, calls from the model's tool loop, a tool error, and a server dying mid-call. A call's
result is the list of its content items, as Flink Agents' MCP tool returns."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from flink_agents_runtime import (
    AgentsExecutionEnvironment,
    MCPServer,
    ResourceDescriptor,
    ResourceType,
    ScriptRule,
)
from tests.helpers.triage_agent import triage_variant

SERVER = str(Path(__file__).resolve().parents[1] / "helpers" / "mcp_server.py")


def _add_args(messages: list[Any], match: Any) -> list[dict[str, Any]]:
    return [{"name": "add", "arguments": {"a": int(match.group(1)), "b": int(match.group(2))}}]


RULES = [
    ScriptRule(r"add (\d+) and (\d+)", tool_calls=_add_args),
    ScriptRule(
        r"order (\d+)", tool_calls=[{"name": "order_status", "arguments": {"order": "{1}"}}]
    ),
    ScriptRule(r"label (\d+)", tool_calls=[{"name": "label", "arguments": {"order": "{1}"}}]),
    ScriptRule(r"crash", tool_calls=[{"name": "crash", "arguments": {}}]),
    ScriptRule(r"fail (\w+)", tool_calls=[{"name": "fails", "arguments": {"reason": "{1}"}}]),
    ScriptRule(r"bad", tool_calls=[{"name": "add", "arguments": {"a": "two", "b": 1}}]),
    ScriptRule(None, role="tool", reply="tool said: {content}"),
]


#: The triage agent, its model calling the MCP server's tools.
McpTriage = triage_variant(
    RULES, model="mcp-v1", tools=["add", "order_status", "label", "crash", "fails"]
)

#: What the server's ``order_status`` gives as text (the SDK's JSON of the dict).
STATUS_TEXT = '{\n  "order": "7",\n  "status": "overdue"\n}'
LABEL_ITEMS = [
    "label of order 7",
    {"type": "image", "data": "iVBORw0K", "mimeType": "image/png"},
    {"type": "resource", "uri": "file:///labels/7.txt", "text": "TO: ada"},
]


@pytest.mark.slow
def test_mcp_tools_in_the_tool_loop_including_a_server_dying_mid_call(clean_env: None) -> None:
    agent = McpTriage()
    agent.add_resource(
        "orders",
        ResourceType.MCP_SERVER,
        ResourceDescriptor(MCPServer, command=sys.executable, args=[SERVER], timeout=60),
    )
    env = AgentsExecutionEnvironment.get_execution_environment(config={"chat.max-turns": 3})
    inputs = [
        "add 2 and 3",
        "where is order 7",
        "bad arguments",
        "crash now",
        "add 1 and 1",
        "label 7",
        "fail loudly",
    ]
    result = env.from_list([{"key": "k", "value": v} for v in inputs]).apply(agent).execute()
    outputs = result.output_values()
    # the tool's answer is its list of content items (as in Flink Agents), the model sees
    # it as JSON; the structured content the server also gives is not used
    assert outputs[0] == 'tool said: ["5"]'
    assert outputs[1] == "tool said: " + json.dumps([STATUS_TEXT])
    # the model violated the tool's schema: the tool answers with the argument named
    assert "ToolArgumentError" in outputs[2] and "'a' must be an integer" in outputs[2]
    # the server died in the middle of the call: a clear error as the tool's answer
    assert "MCPServerError" in outputs[3] and "failed during the call of tool 'crash'" in outputs[3]
    assert "mcp_server.py" in outputs[3]
    # and the next call starts it again
    assert outputs[4] == 'tool said: ["2"]'
    assert outputs[5] == "tool said: " + json.dumps(LABEL_ITEMS, sort_keys=True)
    # an error result: its content items are the answer (as in Flink Agents), flagged failed
    assert outputs[6] == 'tool said: ["Error executing tool fails"]'
    assert result.events is not None
    responses = [
        r.event.attributes for r in result.events if r.event.type == "_tool_response_event"
    ]
    assert [bool(r["errors"]) for r in responses] == [False, False, True, True, False, False, True]
    # what the tool response event carries: the content items themselves
    assert [list(r["responses"].values()) for r in responses[:2]] == [[["5"]], [[STATUS_TEXT]]]
    assert list(responses[5]["responses"].values()) == [LABEL_ITEMS]
    assert list(responses[6]["responses"].values()) == [["Error executing tool fails"]]
    # 0.4 per-component metrics: each MCP call under its tool and under its server
    metrics, group = result.metrics, "action.tool_call_action."
    assert metrics[group + "tool.add.numOfToolCallsSucceeded"] == 2
    assert metrics[group + "tool.label.numOfToolCallsSucceeded"] == 1
    assert metrics[group + "tool.add.numOfToolCallsFailed"] == 1  # the schema violation
    assert metrics[group + "tool.crash.numOfToolCallsFailed"] == 1
    assert metrics[group + "tool.fails.numOfToolCallsFailed"] == 1
    assert metrics[group + "mcp_server.orders.numOfToolCallsSucceeded"] == 4
    assert metrics[group + "mcp_server.orders.numOfToolCallsFailed"] == 3
    assert metrics[group + "mcp_server.orders.toolCallLatencyMs"] > 0
    servers = {k.split(".")[3] for k in metrics if ".mcp_server." in k}
    assert servers == {"orders"}


def test_a_call_gives_the_list_of_content_items_as_flink_agents_does() -> None:
    from flink_agents_runtime import MCPServerError

    server = MCPServer(sys.executable, [SERVER], timeout=60)
    try:
        # text items are their text, even when the server also sends structured content
        assert server.call_tool("add", {"a": 40, "b": 2}) == ["42"]
        assert server.call_tool("order_status", {"order": "7"}) == [STATUS_TEXT]
        # an image and an embedded resource as Flink Agents' MCP integration gives them
        assert server.call_tool("label", {"order": "7"}) == LABEL_ITEMS
        # the tool itself, called as in Flink Agents: by keyword or with one dict
        add = server.get_tool("add")
        assert add is not None
        assert add.call(a=1, b=2) == add.call({"a": 1, "b": 2}) == ["3"]
        # a result the server flags as an error stays an error (the kit counts it failed),
        # carrying its content items: the tool action answers with them, as Flink Agents
        with pytest.raises(MCPServerError, match=r"reported an error: .*fails") as err:
            server.call_tool("fails", {"reason": "boom"})
        assert err.value.tool_answer == ["Error executing tool fails"]
    finally:
        server.close()


def test_mcp_server_that_cannot_start_is_a_clear_error(tmp_path: Path) -> None:
    from flink_agents_runtime import MCPServerError

    script = tmp_path / "broken.py"
    script.write_text("import sys\nsys.stderr.write('no such module: foo\\n')\nsys.exit(2)\n")
    server = MCPServer(sys.executable, [str(script)], timeout=20)
    with pytest.raises(MCPServerError, match=r"did not start.*no such module: foo"):
        server.list_tools()
    server.close()


@pytest.mark.slow
def test_mcp_server_over_streamable_http_and_an_endpoint_that_is_down() -> None:
    import subprocess

    from flink_agents_runtime import MCPServerError
    from tests.helpers.ports import free_port, wait_for_port

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, SERVER, "--http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, 60, proc)
        server = MCPServer(endpoint=f"http://127.0.0.1:{port}/mcp", timeout=30)
        assert sorted(t.name for t in server.list_tools()) == [
            "add",
            "crash",
            "fails",
            "label",
            "order_status",
        ]
        assert server.call_tool("add", {"a": 40, "b": 2}) == ["42"]
        assert server.call_tool("label", {"order": "7"}) == LABEL_ITEMS
        server.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    down = MCPServer(endpoint=f"http://127.0.0.1:{port}/mcp", timeout=5)
    with pytest.raises(
        MCPServerError, match=rf"MCPServer\(endpoint='http://127.0.0.1:{port}/mcp'\) did not start"
    ):
        down.list_tools()
