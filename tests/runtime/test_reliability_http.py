"""Model HTTP calls are bounded and retried (issue 13, items 2, 5, 9): a total per-call
timeout cuts a server that drips bytes; Retry-After is honoured; 429/5xx and connection
errors are retried under the default configuration; a redirect, a non-numeric usage and a
negative timeout are clear errors. Real loopback servers, real httpx."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from flink_agents_runtime import (
    AgentsExecutionEnvironment,
    ChatMessage,
    ChatModelError,
    ConfigError,
    MessageRole,
    OpenAIChatModelConnection,
    ResourceDescriptor,
)
from flink_agents_runtime.chat.providers._openai import retry_after_s
from tests.helpers.openai_server import OpenAIServer, ask_and_answer_agent
from tests.helpers.ports import free_port

OK_BODY = {
    "model": "m",
    "choices": [{"message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1},
}


class DripServer:
    """Answers every request with headers at once, then a JSON body one byte every
    ``interval_s`` seconds (a server that never stalls a single read long enough to hit a
    per-read timeout)."""

    def __init__(self, interval_s: float = 0.5) -> None:
        self.interval_s = interval_s
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        body = json.dumps(OK_BODY).encode()
        try:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body)
            )
            for i in range(len(body)):
                if self.stop.wait(self.interval_s):
                    break
                conn.sendall(body[i : i + 1])
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


def _user(text: str) -> list[ChatMessage]:
    return [ChatMessage(MessageRole.USER, text)]


def test_dripping_server_is_cut_at_the_total_timeout() -> None:
    drip = DripServer(0.5)
    try:
        conn = OpenAIChatModelConnection(drip.url, timeout=1.0, max_retries=0)
        start = time.monotonic()
        with pytest.raises(ChatModelError, match=r"timed out after 1 s total") as info:
            conn.chat(_user("x"), model="m")
        elapsed = time.monotonic() - start
        conn.close()
    finally:
        drip.close()
    assert info.value.retryable is True
    # Per-read timeouts would let the ~150-byte body take ~75 s; the total cut holds it to
    # the timeout plus at most one drip interval.
    assert elapsed < 5, elapsed


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


def test_429_with_retry_after_is_retried_under_defaults(server: OpenAIServer) -> None:
    server.reset_counters()
    server.canned["busy"] = [
        (429, {"error": {"message": "slow down"}}, {"Retry-After": "0"}),
        OK_BODY,
    ]
    conn = OpenAIChatModelConnection(server.url)
    reply = conn.chat(_user("x"), model="busy")
    assert reply.content == "hi" and len(server.requests) == 2
    assert reply.extra_args["connection_retries"] == 1
    conn.close()


def test_default_configuration_retries_a_503_in_a_run(server: OpenAIServer) -> None:
    server.reset_counters()
    env = AgentsExecutionEnvironment.get_execution_environment(config={"openai.retry-wait": 0.01})
    agent = ask_and_answer_agent(
        ResourceDescriptor(OpenAIChatModelConnection, base_url=server.url), "flaky-1"
    )
    run = env.from_list([{"key": 1, "value": "hello"}]).apply(agent).execute()
    assert run.output_values() == ["echo: hello"] and len(server.requests) == 2


def test_retry_after_parsing() -> None:
    assert retry_after_s("3") == 3.0
    assert retry_after_s("100000") == 60.0  # capped
    assert retry_after_s("nonsense") is None and retry_after_s(None) is None
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 5))
    assert 3 <= (retry_after_s(date) or 0) <= 6


def test_redirect_is_a_clear_error_naming_the_location(server: OpenAIServer) -> None:
    server.reset_counters()
    server.canned["moved"] = [(307, "", {"Location": "https://elsewhere.example/v1"})]
    conn = OpenAIChatModelConnection(server.url, api_key="sk-secret-1")
    with pytest.raises(ChatModelError, match=r"HTTP 307 \(redirect to https://elsewhere"):
        conn.chat(_user("x"), model="moved")
    conn.close()


@pytest.mark.parametrize("usage", [{"prompt_tokens": "many"}, {"completion_tokens": -3}])
def test_non_numeric_usage_is_a_clear_error(server: OpenAIServer, usage: Any) -> None:
    server.canned["odd"] = [{**OK_BODY, "usage": usage}]
    conn = OpenAIChatModelConnection(server.url)
    with pytest.raises(ChatModelError, match=r"malformed response \(usage\.\w+ is .*not a count"):
        conn.chat(_user("x"), model="odd")
    conn.close()


def test_negative_or_nan_timeouts_are_refused_at_the_edge() -> None:
    with pytest.raises(ChatModelError, match=r"timeout=-1: must be a positive"):
        OpenAIChatModelConnection("http://127.0.0.1:1/v1", timeout=-1)
    with pytest.raises(ConfigError, match=r"openai.timeout.*is not a number >= 0.001"):
        AgentsExecutionEnvironment.get_execution_environment(config={"openai.timeout": -5})
    with pytest.raises(ConfigError, match=r"retry-wait-interval.*nan"):
        AgentsExecutionEnvironment.get_execution_environment(
            config={"retry-wait-interval": float("nan")}
        )
    with pytest.raises(ConfigError, match=r"num-async-threads.*0 is not an integer >= 1"):
        AgentsExecutionEnvironment.get_execution_environment(config={"num-async-threads": 0})


def test_connection_errors_are_retried() -> None:
    conn = OpenAIChatModelConnection(f"http://127.0.0.1:{free_port()}/v1", max_retries=1)
    with pytest.raises(ChatModelError, match="ConnectError") as info:
        conn.chat(_user("x"), model="m")
    assert info.value.retryable is False  # the connection retried already: not again
