"""The awaitable chat path (``achat`` on the call loop: the direct HTTP/1.1 client, aiohttp
through a proxy) keeps the sync path's rules:
a total timeout cuts a dripping server, Retry-After is honoured, redirects are not followed,
connection errors are named as on the sync path, bodies are size-capped, and the proxy comes
from the environment (looked up once per URL). Real loopback servers."""

from __future__ import annotations

import time
from collections.abc import Coroutine, Iterator
from typing import Any

import pytest

from flink_agents_runtime import ChatMessage, ChatModelError, MessageRole, OpenAIChatModelConnection
from flink_agents_runtime.chat.providers import _openai
from flink_agents_runtime.chat.providers._async_http import proxy_for
from flink_agents_runtime.engine.awaiting._loop import call_soon
from tests.helpers.openai_server import OpenAIServer
from tests.helpers.ports import free_port
from tests.runtime.test_reliability_http import OK_BODY, DripServer


def _user(text: str) -> list[ChatMessage]:
    return [ChatMessage(MessageRole.USER, text)]


def on_loop(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coro`` on the runtime's call loop, as the chat action does."""
    return call_soon(coro).result(30)


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


def test_an_answer_with_its_usage(server: OpenAIServer) -> None:
    server.reset_counters()
    conn = OpenAIChatModelConnection(server.url, api_key="sk-async-1")
    reply = on_loop(conn.achat(_user("hello"), model="echo"))
    assert reply.content == "echo: hello"
    assert reply.extra_args["promptTokens"] > 0
    assert server.requests[0]["headers"]["Authorization"] == "Bearer sk-async-1"
    conn.close()
    assert "_atransport" not in conn.__dict__  # closed on the loop it served


def test_dripping_server_is_cut_at_the_total_timeout() -> None:
    drip = DripServer(0.5)
    try:
        conn = OpenAIChatModelConnection(drip.url, timeout=1.0, max_retries=0)
        start = time.monotonic()
        with pytest.raises(ChatModelError, match=r"timed out after 1 s total") as info:
            on_loop(conn.achat(_user("x"), model="m"))
        elapsed = time.monotonic() - start
        conn.close()
    finally:
        drip.close()
    assert info.value.retryable is True
    assert elapsed < 5, elapsed  # ~150 bytes at one per 0.5 s would take ~75 s


def test_429_with_retry_after_is_retried(server: OpenAIServer) -> None:
    server.reset_counters()
    server.canned["busy-async"] = [
        (429, {"error": {"message": "slow down"}}, {"Retry-After": "0"}),
        OK_BODY,
    ]
    conn = OpenAIChatModelConnection(server.url)
    reply = on_loop(conn.achat(_user("x"), model="busy-async"))
    assert reply.content == "hi" and len(server.requests) == 2
    assert reply.extra_args["connection_retries"] == 1
    conn.close()


def test_redirect_is_not_followed(server: OpenAIServer) -> None:
    server.reset_counters()
    server.canned["moved-async"] = [(307, "", {"Location": "https://elsewhere.example/v1"})]
    conn = OpenAIChatModelConnection(server.url, api_key="sk-secret-2")
    with pytest.raises(ChatModelError, match=r"HTTP 307 \(redirect to https://elsewhere"):
        on_loop(conn.achat(_user("x"), model="moved-async"))
    assert len(server.requests) == 1
    conn.close()


def test_connection_refused_is_named_as_on_the_sync_path() -> None:
    conn = OpenAIChatModelConnection(f"http://127.0.0.1:{free_port()}/v1", max_retries=1)
    with pytest.raises(ChatModelError, match=r"request failed: ConnectError") as sync:
        conn.chat(_user("x"), model="m")
    with pytest.raises(ChatModelError, match=r"request failed: ConnectError") as aio:
        on_loop(conn.achat(_user("x"), model="m"))
    assert sync.value.retryable is False and aio.value.retryable is False  # retried already
    conn.close()


def test_a_body_past_the_size_cap_is_refused(
    server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_openai, "MAX_RESPONSE_BYTES", 64)
    conn = OpenAIChatModelConnection(server.url)
    with pytest.raises(ChatModelError, match=r"response larger than 64 bytes"):
        on_loop(conn.achat(_user("a long enough question"), model="echo"))
    conn.close()


def test_the_proxy_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    assert proxy_for("https://api.example.com/v1/chat/completions") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert proxy_for("https://api.example.com/v1/x") == "http://proxy.internal:3128"
    assert proxy_for("http://api.example.com/v1/x") is None  # no proxy for plain http
    assert proxy_for("https://127.0.0.1:8443/v1/x") is None  # NO_PROXY
