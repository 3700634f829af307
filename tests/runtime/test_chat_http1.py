"""The direct HTTP/1.1 client of the awaited chat path (``chat/providers/_http1*.py``) reads
the answers real servers send: ``Content-Length``, chunked (extensions, trailers),
gzip-encoded, interim ``100 Continue``, bodies that end when the server closes; it keeps one
connection alive across calls, opens a new one when the server closed the old, and names
what it cannot read. A raw loopback socket server sends the exact bytes."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Coroutine, Iterator
from typing import Any

import pytest

from flink_agents_runtime import ChatMessage, ChatModelError, MessageRole, OpenAIChatModelConnection
from flink_agents_runtime.chat.providers import _openai
from flink_agents_runtime.engine.awaiting._loop import call_soon


def _answer(text: str) -> bytes:
    return json.dumps(
        {
            "model": "m",
            "choices": [{"message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 2, "completion_tokens": 3},
        }
    ).encode()


def _length(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


def _chunked(body: bytes) -> bytes:
    half = len(body) // 2
    return (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"%x;name=value\r\n%s\r\n%x\r\n%s\r\n0\r\nX-Trailer: yes\r\n\r\n"
        % (half, body[:half], len(body) - half, body[half:])
    )


class RawServer:
    """Answers each request with the next of :attr:`script` (raw bytes; ``None``: close the
    connection without answering). ``close_after``: close each connection after answering.
    Logs :attr:`connections` (how many were accepted) and :attr:`heads` (request heads)."""

    def __init__(self) -> None:
        self.script: list[bytes | None] = []
        self.close_after = False
        self.connections = 0
        self.heads: list[str] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.open.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        data = b""
        try:
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, data = data.partition(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                while len(data) < length:
                    data += conn.recv(65536)
                data = data[length:]
                self.heads.append(head.decode("latin-1"))
                reply = self.script.pop(0)
                if reply is None:
                    return
                conn.sendall(reply)
                if self.close_after:
                    return
        except OSError:
            pass
        finally:
            conn.close()

    def drop_idle(self) -> None:
        """Close every connection the server holds (a keep-alive timeout on its side)."""
        for conn in self.open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def close(self) -> None:
        self.sock.close()
        self.drop_idle()


@pytest.fixture
def raw() -> Iterator[RawServer]:
    server = RawServer()
    yield server
    server.close()


def _ask(conn: OpenAIChatModelConnection, text: str = "q") -> ChatMessage:
    coro: Coroutine[Any, Any, Any] = conn.achat([ChatMessage(MessageRole.USER, text)], model="m")
    return call_soon(coro).result(30)


def test_lengths_chunks_gzip_and_interim_answers_over_one_kept_connection(
    raw: RawServer,
) -> None:
    zipped = gzip.compress(_answer("zipped"))
    raw.script = [
        _length(_answer("plain")),
        _chunked(_answer("chunked")),
        _length(zipped, b"Content-Encoding: gzip\r\n"),
        b"HTTP/1.1 100 Continue\r\n\r\n" + _length(_answer("after 100")),
    ]
    conn = OpenAIChatModelConnection(raw.url, api_key="sk-h1", max_retries=0)
    try:
        got = [_ask(conn).content for _ in range(4)]
    finally:
        conn.close()
    assert got == ["plain", "chunked", "zipped", "after 100"]
    assert raw.connections == 1  # kept alive across the four calls
    head = raw.heads[0]
    assert head.startswith("POST /v1/chat/completions HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{raw.url.split(':')[2].split('/')[0]}" in head
    assert "Authorization: Bearer sk-h1" in head and "Accept-Encoding: identity" in head


def test_a_body_that_ends_with_the_connection_and_a_server_that_closed_an_idle_one(
    raw: RawServer,
) -> None:
    body = _answer("until close")
    raw.script = [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body,
        _length(_answer("kept")),
        _length(_answer("after the server closed it")),
    ]
    raw.close_after = True
    conn = OpenAIChatModelConnection(raw.url, max_retries=0)
    try:
        assert _ask(conn).content == "until close"
        raw.close_after = False
        assert _ask(conn).content == "kept"
        raw.drop_idle()  # the server's keep-alive timeout
        _until_idle_closed(conn)
        assert _ask(conn).content == "after the server closed it"
    finally:
        conn.close()
    assert raw.connections == 3


def _until_idle_closed(conn: OpenAIChatModelConnection) -> None:
    """Wait (up to 5 s) until the call loop has seen the server close the idle connections
    (a request sent in that instant would fail, as on any keep-alive client)."""
    pool = conn.__dict__["_atransport"]._pool
    for _ in range(500):
        if all(c.closed for idle in pool._idle.values() for c in idle):
            return
        threading.Event().wait(0.01)
    raise AssertionError("the client did not see the server close its connection")


def test_what_it_cannot_read_is_named_and_retryable(raw: RawServer) -> None:
    raw.script = [b"SPDY/9 200 OK\r\n\r\n", None]
    conn = OpenAIChatModelConnection(raw.url, api_key="sk-h2", max_retries=0)
    try:
        with pytest.raises(ChatModelError, match=r"request failed: ClientResponseError") as bad:
            _ask(conn)
        with pytest.raises(ChatModelError, match=r"ServerDisconnectedError") as gone:
            _ask(conn)
    finally:
        conn.close()
    assert bad.value.retryable is True and gone.value.retryable is True
    assert "sk-h2" not in str(bad.value) + str(gone.value)


def test_a_chunked_body_past_the_size_cap_and_an_error_status_in_chunks(
    raw: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = json.dumps({"error": {"message": "model overloaded"}}).encode()
    raw.script = [
        _chunked(error).replace(b"200 OK", b"503 Service Unavailable"),
        _chunked(_answer("x" * 500)),
    ]
    conn = OpenAIChatModelConnection(raw.url, max_retries=0)
    try:
        with pytest.raises(ChatModelError, match=r"HTTP 503.*model overloaded") as busy:
            _ask(conn)
        monkeypatch.setattr(_openai, "MAX_RESPONSE_BYTES", 200)
        with pytest.raises(ChatModelError, match=r"response larger than 200 bytes"):
            _ask(conn)
    finally:
        conn.close()
    assert busy.value.retryable is True


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (b"HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\n{}", "status"),
        (b"HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\n{}", "version"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", "chunk"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 9\r\n\r\n{}", "length"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2\r\n{}\r\n0\r\n\r\n",
            "length",
        ),
    ],
    ids=[
        "bad status line",
        "HTTP/2.0 status line",
        "bad chunk size",
        "two lengths",
        "length and chunked",
    ],
)
def test_a_malformed_answer_is_the_transports_clear_error_and_the_next_call_reconnects(
    raw: RawServer, answer: bytes, why: str
) -> None:
    raw.script = [answer, _length(_answer("fine"))]
    conn = OpenAIChatModelConnection(raw.url, api_key="sk-h3", max_retries=0)
    try:
        with pytest.raises(ChatModelError) as bad:
            _ask(conn)
        assert _ask(conn).content == "fine"
    finally:
        conn.close()
    message = str(bad.value)
    assert "request failed: ClientResponseError: malformed answer" in message, message
    words = {
        "status": "status",
        "version": "http version 2.0",
        "chunk": "chunk size",
        "length": "content-length",
    }
    assert words[why] in message.lower(), message
    assert bad.value.retryable is True and "sk-h3" not in message
    assert raw.connections == 2  # the connection that read it was dropped


def test_bytes_after_the_answer_and_an_http_1_0_answer_are_read_but_not_kept(
    raw: RawServer,
) -> None:
    raw.script = [
        _length(_answer("then junk")) + b"HTTP/1.1 200 OK\r\n",
        _length(_answer("one-oh")).replace(b"HTTP/1.1", b"HTTP/1.0"),
        _length(_answer("kept")),
        _length(_answer("again")),
    ]
    conn = OpenAIChatModelConnection(raw.url, max_retries=0)
    try:
        got = [_ask(conn).content for _ in range(4)]
    finally:
        conn.close()
    assert got == ["then junk", "one-oh", "kept", "again"]
    assert raw.connections == 3  # a new one after each of the first two


def test_without_httptools_the_runtime_imports_and_sends_through_aiohttp(raw: RawServer) -> None:
    """A worker without httptools' wheel: the direct client is not chosen, aiohttp is."""
    raw.script = [_length(_answer("through aiohttp"))]
    script = f"""
import sys
sys.modules["httptools"] = None  # import httptools raises ImportError
from flink_agents_runtime import ChatMessage, MessageRole, OpenAIChatModelConnection
from flink_agents_runtime.chat.providers import _http1_conn
from flink_agents_runtime.engine.awaiting._loop import call_soon
assert _http1_conn.AVAILABLE is False
conn = OpenAIChatModelConnection({raw.url!r}, max_retries=0)
reply = call_soon(conn.achat([ChatMessage(MessageRole.USER, "q")], model="m")).result(30)
transport = conn.__dict__["_atransport"]
print(reply.content, transport._pool is None, transport._session is not None)
conn.close()
"""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[0] == "through aiohttp True True"
    assert "User-Agent: Python" in raw.heads[0]  # aiohttp's own User-Agent


def test_undecodable_bodies_and_a_declared_length_past_the_cap_are_named(
    raw: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw.script = [
        _length(b"not gzip at all", b"Content-Encoding: gzip\r\n"),
        _length(b"{}", b"Content-Encoding: br\r\n"),
        _length(_answer("x" * 500)),
    ]
    conn = OpenAIChatModelConnection(raw.url, max_retries=0)
    try:
        with pytest.raises(ChatModelError, match=r"request failed: ContentEncodingError"):
            _ask(conn)
        with pytest.raises(ChatModelError, match=r"ContentEncodingError: cannot decode 'br'"):
            _ask(conn)
        monkeypatch.setattr(_openai, "MAX_RESPONSE_BYTES", 200)
        with pytest.raises(ChatModelError, match=r"response larger than 200 bytes"):
            _ask(conn)
    finally:
        conn.close()
    assert raw.connections == 3  # each failure dropped its connection
