"""A small MCP server over stdio (the official SDK), started by the MCP tests.

Run as ``python tests/helpers/mcp_server.py`` (stdio) or with ``--http PORT`` (streamable
HTTP at ``http://127.0.0.1:PORT/mcp``). Tools: ``add(a, b)``, ``order_status(order)``
(structured output), ``label(order)`` (three content items: text, an image, an embedded
text resource), ``fails(reason)`` (a tool error), ``crash()`` (the process exits in the
middle of the call, as a server dying would). Prompt: ``ask_total(a, b)``.
"""

from __future__ import annotations

import os

from mcp.server.mcpserver import MCPServer
from mcp.types import EmbeddedResource, ImageContent, TextContent, TextResourceContents

server = MCPServer("orders")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def order_status(order: str) -> dict[str, str]:
    """The carrier's status of an order."""
    return {"order": order, "status": "overdue"}


@server.tool()
def label(order: str) -> list[TextContent | ImageContent | EmbeddedResource]:
    """The shipping label of an order: a caption, the image, its text version."""
    return [
        TextContent(type="text", text=f"label of order {order}"),
        ImageContent(type="image", data="iVBORw0K", mime_type="image/png"),
        EmbeddedResource(
            type="resource",
            resource=TextResourceContents(uri=f"file:///labels/{order}.txt", text="TO: ada"),
        ),
    ]


@server.tool()
def fails(reason: str) -> str:
    """Always fails with the reason."""
    raise ValueError(reason)


@server.tool()
def crash() -> str:
    """Exit the server process in the middle of the call."""
    os._exit(3)


@server.prompt()
def ask_total(a: int, b: int) -> str:
    """Ask for the total of two numbers."""
    return f"What is {a} plus {b}? Use the add tool."


if __name__ == "__main__":
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "--http":  # streamable HTTP on 127.0.0.1:<port>
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run("stdio")
