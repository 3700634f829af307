"""An MCP server over streamable HTTP whose one tool answers the request's HTTP headers, for
tests of the headers an MCP client sends (Flink Agents' authenticated MCP servers).

Run as ``python -m tests.helpers.mcp_header_server PORT`` from the repository root; it
serves ``http://127.0.0.1:PORT/mcp``. Tool: ``header(name)``: the value of the request
header ``name`` (``""`` when absent).
"""

from __future__ import annotations

import sys

from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("headers")


@server.tool()
def header(name: str, ctx: Context) -> str:
    """The value of the HTTP request header ``name``."""
    headers = ctx.headers or {}
    return str(next((v for k, v in headers.items() if k.lower() == name.lower()), ""))


if __name__ == "__main__":
    server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
