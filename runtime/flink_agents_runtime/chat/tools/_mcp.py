"""MCP tools: a Model Context Protocol server as a resource whose tools the model can call.

:class:`MCPServer` starts the server as a subprocess speaking MCP over stdio, or connects
to an ``endpoint`` speaking streamable HTTP (as upstream's ``MCPServer(endpoint=...)``),
with the official ``mcp`` SDK (imported when first used); it lists the tools once and
keeps one session open
until :meth:`MCPServer.close`. Its tools are found by name like declared tools: a chat
model setup's ``tools=["add"]`` resolves to the MCP tool ``add`` when no tool resource of
that name is declared (see ``PlanResources``). Calls are blocking (they run on the async
pool like other tools); the session lives on a private event-loop thread.

Its prompts are found by name like declared prompts too (a setup's ``prompt="ask_sum"``):
an :class:`MCPPrompt` is filled by the server (``prompts/get`` with the request's
``prompt_args`` as strings), as upstream's MCP prompts are. A server without prompts has
none.

A call's result is the list of its content items (:func:`content_items`), as Apache Flink
Agents' MCP tool returns it. A tool error reported by the server (``isError``) raises
:class:`MCPServerError` carrying those items as ``tool_answer``: the built-in tool action
answers with them, as Flink Agents does, and also lists the call in ``errors`` of the
``_tool_response_event`` and counts it failed (Flink Agents counts it a success). A server
that dies mid-call raises :class:`MCPServerError` naming the server, its command and the
tool (the tool's ``Error: ...`` answer, in ``errors``); the next call starts it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Any, ClassVar

from flink_agents_runtime._errors import FlinkAgentsError, ResourceError
from flink_agents_runtime._redact import redact_query, redact_text, secret_query_values
from flink_agents_runtime.api._agent import ResourceType
from flink_agents_runtime.chat._message import ChatMessage, MessageRole
from flink_agents_runtime.chat._model import Resource, ResourceContext
from flink_agents_runtime.chat._prompt import Prompt
from flink_agents_runtime.chat.tools._tool import Tool

#: A request for a prompt on the session queue: the prefix, then the prompt's name (tool
#: names cannot start with it: MCP names are letters, digits, ``_``, ``-`` and ``.``).
_PROMPT = "\x00prompt:"
#: What a pickled server keeps (its constructor's arguments; a Flink payload).
_STATE = ("command", "args", "env", "cwd", "timeout", "endpoint", "headers", "sse_read_timeout")


def _leaf(exc: BaseException) -> BaseException:
    """The first error inside (nested) exception groups: the SDK's task groups wrap the
    cause, e.g. a refused connection, in "unhandled errors in a TaskGroup"."""
    inner = getattr(exc, "exceptions", None)  # a group (builtin on 3.11, a backport on 3.10)
    while isinstance(inner, (list, tuple)) and inner and isinstance(inner[0], BaseException):
        exc = inner[0]
        inner = getattr(exc, "exceptions", None)
    return exc


def content_items(content: Sequence[Any]) -> list[Any]:
    """MCP content items as Flink Agents' MCP tool gives them (JSON values): a text item
    is its text; an image ``{"type": "image", "data", "mimeType"}``; an embedded resource
    ``{"type": "resource", "uri", "text"}`` (or ``"blob"``, base64); any other item its
    JSON form as the protocol spells it (Flink Agents dumps it as a Python dict, which the
    JSON its events cross to Java as turns into the same)."""
    items: list[Any] = []
    for item in content:
        kind = getattr(item, "type", None)
        if kind == "text":
            items.append(item.text)
        elif kind == "image":
            mime = getattr(item, "mime_type", None) or getattr(item, "mimeType", None)
            items.append({"type": "image", "data": item.data, "mimeType": mime})
        elif kind == "resource" and hasattr(item, "resource"):
            res = item.resource
            body = "text" if getattr(res, "text", None) is not None else "blob"
            items.append({"type": "resource", "uri": str(res.uri), body: getattr(res, body)})
        elif hasattr(item, "model_dump"):
            items.append(item.model_dump(mode="json", by_alias=True, exclude_none=True))
        else:
            items.append(str(item))
    return items


class MCPServerError(FlinkAgentsError):
    """An MCP server could not start, list or call a tool, or died. ``tool_answer``: for a
    result the server flagged as an error, its content items (the tool's answer in the
    tool response event, as Flink Agents gives it), else ``None``."""

    tool_answer: list[Any] | None = None


class MCPTool(Tool):
    """A tool of an :class:`MCPServer` (name, description and input schema as listed).
    ``mcp_server_name``: the server's resource name once the plan found the tool there
    (its calls are then also counted under ``mcp_server.<name>.``)."""

    tool_type: ClassVar[str] = "mcp"

    def __init__(self, server: MCPServer, name: str, description: str, schema: dict) -> None:
        super().__init__(name, description, schema or {"type": "object", "properties": {}})
        self.server = server
        self.mcp_server_name: str | None = None

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """The server's answer (the list of its content items); the arguments by keyword,
        or as one dict, as Flink Agents' MCP tool takes them (``tool.call({"a": 1})``)."""
        arguments = kwargs if kwargs else (args[0] if args else {})
        if not isinstance(arguments, dict):
            raise MCPServerError(
                f"MCP tool {self.name!r} takes its arguments by keyword or as one dict, "
                f"got {type(arguments).__name__}"
            )
        return self.server.call_tool(self.name, arguments)


class MCPPrompt(Prompt):
    """A prompt of an :class:`MCPServer`: the server fills it (``prompts/get``) with the
    arguments, given as strings (MCP prompt arguments are strings)."""

    def __init__(self, server: MCPServer, name: str, description: str, arguments: list[str]):
        super().__init__("")
        self.server = server
        self.name = name
        self.description = description
        self._arguments = list(arguments)

    @property
    def arguments(self) -> list[str]:
        return list(self._arguments)

    def format_messages(
        self, role: MessageRole | str = MessageRole.SYSTEM, **kwargs: Any
    ) -> list[ChatMessage]:
        """The server's messages for these arguments (``role`` is the server's to choose)."""
        self._check(kwargs)
        return self.server.get_prompt(self.name, {k: str(v) for k, v in kwargs.items()})

    def format_string(self, **kwargs: Any) -> str:
        """The server's messages' texts, one a line."""
        return "\n".join(m.content for m in self.format_messages(**kwargs))

    def __repr__(self) -> str:
        return f"MCPPrompt({self.name!r}, arguments={self._arguments})"


class MCPServer(Resource):
    """An MCP server started as ``command args...`` speaking MCP over stdio.

    Args:
        command: the executable (``sys.executable``, ``npx``, ``uvx``, ...).
        args: its arguments.
        env: extra environment variables for the server.
        cwd: its working directory.
        timeout: seconds to wait for a start, a listing or one call.
        endpoint: a streamable-HTTP server's URL (instead of a command).
        headers: HTTP headers sent with every request to ``endpoint`` (Flink Agents'
            ``headers``, e.g. ``{"Authorization": "Bearer ..."}``); never shown in reprs.
        sse_read_timeout: seconds an HTTP read (a server's event stream) may wait; default
            300, as the ``mcp`` SDK's client. A call is still bounded by ``timeout``.

    The endpoint is shown with its password and secret-named query values (``?token=``)
    masked, in reprs and errors alike.
    """

    resource_type = ResourceType.MCP_SERVER

    def __init__(
        self,
        command: str | None = None,
        args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        cwd: str | None = None,
        timeout: float = 30.0,
        endpoint: str | None = None,
        headers: Mapping[str, str] | None = None,
        sse_read_timeout: float | None = None,
    ) -> None:
        if (command is None) == (endpoint is None):
            raise ResourceError("MCPServer takes a command (stdio) or an endpoint (HTTP)")
        if headers and endpoint is None:
            raise ResourceError("MCPServer headers= apply to an endpoint (HTTP), not a command")
        self.endpoint = endpoint
        self.headers = dict(headers or {})
        self.sse_read_timeout = sse_read_timeout
        self.command = command
        self.args = list(args)
        self.env = dict(env or {})
        self.cwd = cwd
        self.timeout = timeout
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._requests: asyncio.Queue[Any] | None = None
        self._tools: dict[str, MCPTool] | None = None
        self._prompts: dict[str, MCPPrompt] = {}
        self._stderr: Any = None
        self._tasks: set[asyncio.Future[Any]] = set()

    def __getstate__(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in _STATE}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def __repr__(self) -> str:
        if self.endpoint is not None:
            return f"MCPServer(endpoint={redact_query(self.endpoint)!r})"
        return f"MCPServer(command={' '.join([str(self.command), *self.args])!r})"

    def open(self, context: ResourceContext) -> None:
        """Nothing: the server starts on the first listing or call."""

    # -- the session thread ------------------------------------------------------------
    def _start(self) -> None:
        started: Future[None] = Future()
        if self._stderr is not None:  # a restart: the previous server's stderr is done
            with contextlib.suppress(OSError):
                self._stderr.close()
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  (closed in close())
        thread = threading.Thread(
            target=lambda: asyncio.run(self._serve(started)), name="mcp-session", daemon=True
        )
        thread.start()
        try:
            started.result(timeout=self.timeout)
        except Exception as exc:
            self._loop = None
            cause = _leaf(exc)
            raise MCPServerError(
                self._hidden(
                    f"{self!r} did not start: {type(cause).__name__}: {cause}{self._stderr_tail()}"
                )
            ) from None

    async def _serve(self, started: Future[None]) -> None:
        from mcp import ClientSession, StdioServerParameters, stdio_client
        from mcp.client.streamable_http import streamable_http_client

        client = None
        if self.endpoint is not None:
            import httpx2  # the HTTP client library of the mcp SDK (>= 2.3) and its transport

            # Redirects stay off (httpx2's default): the SDK's transport follows them within
            # the endpoint's origin itself, so the headers never go to another host.
            client = httpx2.AsyncClient(
                headers=self.headers,
                timeout=httpx2.Timeout(self.timeout, read=self.sse_read_timeout or 300),
            )
            transport: Any = streamable_http_client(self.endpoint, http_client=client)
        else:
            params = StdioServerParameters(
                command=str(self.command), args=self.args, env=self.env or None, cwd=self.cwd
            )
            transport = stdio_client(params, errlog=self._stderr)
        try:
            async with (
                client if client is not None else contextlib.nullcontext(),  # closes it
                transport as streams,
                ClientSession(streams[0], streams[1]) as session,
            ):
                await asyncio.wait_for(session.initialize(), self.timeout)
                listed = await asyncio.wait_for(session.list_tools(), self.timeout)
                self._tools = {
                    t.name: MCPTool(self, t.name, t.description or "", dict(t.input_schema))
                    for t in listed.tools
                }
                self._prompts = await self._list_prompts(session)
                self._loop = asyncio.get_running_loop()
                self._requests = asyncio.Queue()
                started.set_result(None)
                while True:
                    request = await self._requests.get()
                    if request is None:
                        break
                    task = asyncio.ensure_future(self._call(session, *request))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
        except BaseException as exc:  # the server died or never answered
            if not started.done():
                started.set_exception(exc)
        finally:
            self._loop = None

    async def _list_prompts(self, session: Any) -> dict[str, MCPPrompt]:
        capabilities = getattr(session, "server_capabilities", None)  # mcp 2.x
        if callable(capabilities) or capabilities is None:  # mcp 1.x: a method
            get = getattr(session, "get_server_capabilities", None)
            capabilities = get() if callable(get) else None
        if capabilities is None or getattr(capabilities, "prompts", None) is None:
            return {}
        listed = await asyncio.wait_for(session.list_prompts(), self.timeout)
        return {
            p.name: MCPPrompt(
                self, p.name, p.description or "", [a.name for a in p.arguments or []]
            )
            for p in listed.prompts
        }

    async def _call(self, session: Any, name: str, arguments: dict, done: Future[Any]) -> None:
        try:
            if name.startswith(_PROMPT):
                result = await asyncio.wait_for(
                    session.get_prompt(name[len(_PROMPT) :], arguments), self.timeout
                )
            else:
                result = await session.call_tool(name, arguments, read_timeout_seconds=self.timeout)
        except BaseException as exc:
            if not done.done():
                done.set_exception(exc)
            return
        if not done.done():
            done.set_result(result)

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.seek(0, os.SEEK_END)
            size = self._stderr.tell()
            self._stderr.seek(max(0, size - 300))
            tail = self._stderr.read().strip()
        except (OSError, ValueError):
            return ""
        return f"; its stderr ends: {tail!r}" if tail else ""

    # -- the API -------------------------------------------------------------------------
    def list_tools(self) -> list[MCPTool]:
        """The server's tools (starting it if needed)."""
        with self._lock:
            if self._loop is None:
                self._start()
        return list((self._tools or {}).values())

    def get_prompt_resource(self, name: str) -> MCPPrompt | None:
        """The prompt ``name``, or ``None`` when the server has none of that name."""
        self.list_tools()
        return self._prompts.get(name)

    def get_prompt(self, name: str, arguments: dict[str, str]) -> list[ChatMessage]:
        """The messages of prompt ``name`` filled by the server. Raises
        :class:`MCPServerError` for a server error or a message that is not text."""
        result = self._request(_PROMPT + name, arguments, f"prompt {name!r}")
        messages = []
        for m in result.messages:
            text = getattr(m.content, "text", None)
            if text is None:
                raise MCPServerError(
                    f"MCP prompt {name!r} of {self!r} has a {type(m.content).__name__} "
                    "message; only text messages are supported"
                )
            messages.append(ChatMessage(MessageRole(m.role), text))
        return messages

    def get_tool(self, name: str) -> MCPTool | None:
        """The tool ``name``, or ``None`` when the server has none of that name."""
        return next((t for t in self.list_tools() if t.name == name), None)

    def call_tool(self, name: str, arguments: dict[str, Any]) -> list[Any]:
        """Call ``name``: the list of its content items (:func:`content_items`), what Flink
        Agents' MCP tool returns (structured content, when the server also gives it, is not
        used, as there). Raises :class:`MCPServerError` (see the module docstring)."""
        result = self._request(name, arguments, f"tool {name!r}")
        items = content_items(result.content)
        if result.is_error:
            message = " ".join(t for t in items if isinstance(t, str)) or "(no message)"
            error = MCPServerError(f"MCP tool {name!r} of {self!r} reported an error: {message}")
            error.tool_answer = items
            raise error
        return items

    def _request(self, name: str, arguments: dict[str, Any], what: str) -> Any:
        """Send one request (a tool call, or ``_PROMPT + name`` for a prompt) to the session
        thread and wait for its result."""
        self.list_tools()
        loop, queue = self._loop, self._requests
        if loop is None or queue is None:
            raise MCPServerError(f"{self!r} is not running ({what}){self._stderr_tail()}")
        done: Future[Any] = Future()
        loop.call_soon_threadsafe(queue.put_nowait, (name, dict(arguments), done))
        try:
            return done.result(timeout=self.timeout + 5)
        except Exception as exc:
            self._stop()
            raise MCPServerError(
                self._hidden(
                    f"{self!r} failed during the call of {what}: "
                    f"{type(exc).__name__}: {exc or 'connection closed'}{self._stderr_tail()}"
                )
            ) from None

    def _hidden(self, text: str) -> str:
        """``text`` (an error quoting the SDK's, which may quote the URL) with the endpoint's
        secrets and the header values masked."""
        if self.endpoint is None:
            return text
        secrets = [*secret_query_values(self.endpoint), *self.headers.values()]
        return redact_text(text.replace(self.endpoint, redact_query(self.endpoint)), secrets)

    def _stop(self) -> None:
        loop, queue = self._loop, self._requests
        self._loop = None
        if loop is not None and queue is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(queue.put_nowait, None)

    def close(self) -> None:
        """Stop the session and the server process."""
        self._stop()
        if self._stderr is not None:
            with contextlib.suppress(OSError):
                self._stderr.close()
            self._stderr = None
