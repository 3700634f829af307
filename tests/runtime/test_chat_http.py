"""The OpenAI-compatible connection: the real httpx client against a loopback server."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from flink_agents_runtime import (
    ActionFailedError,
    Agent,
    AgentConfiguration,
    AgentsExecutionEnvironment,
    ChatModelError,
    OpenAIChatModelConnection,
    ResourceDescriptor,
    ResourceType,
    RunResult,
)
from tests.helpers.openai_server import OpenAIServer, ask_and_answer_agent

SECRET = "sk-test-0123456789abcdef"


@pytest.fixture(scope="session")
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer(slow_delay_s=1.0) as srv:
        yield srv


@pytest.fixture
def srv(server: OpenAIServer) -> OpenAIServer:
    server.reset_counters()
    return server


def lookup_order(order_id: str) -> dict:
    """Look an order up.

    Args:
        order_id: the order number.
    """
    return {"order": order_id, "status": "delivered"}


def http_agent(url: str, model: str, **conn: Any) -> Agent:
    connection = ResourceDescriptor(OpenAIChatModelConnection, base_url=url, **conn)
    agent = ask_and_answer_agent(connection, model, tools=["lookup_order"], temperature=0)
    agent.add_resource("lookup_order", ResourceType.TOOL, lookup_order)
    return agent


def response_event(result: RunResult) -> Any:
    """The run's one ``_chat_response_event``."""
    assert result.events is not None
    (resp,) = [r.event for r in result.events if r.event.type == "_chat_response_event"]
    return resp


def run(agent: Agent, inputs: list[Any], **config: Any) -> RunResult:
    env = AgentsExecutionEnvironment.get_execution_environment(config=config)
    data = [{"key": i, "value": v} for i, v in enumerate(inputs)]
    return env.from_list(data).apply(agent).execute()


def test_chat_completion_with_key_from_config_and_usage(clean_env: None, srv: OpenAIServer) -> None:
    result = run(http_agent(srv.url, "echo"), ["hello there"], **{"openai.api-key": SECRET})
    assert result.output_values() == ["echo: hello there"]
    (req,) = srv.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == f"Bearer {SECRET}"
    assert req["body"]["model"] == "echo"
    assert req["body"]["temperature"] == 0
    assert req["body"]["tools"][0]["function"]["parameters"]["required"] == ["order_id"]
    counts = result.metric_counts
    assert counts["action.chat_model_action.model.echo.promptTokens"] == 2
    assert counts["action.chat_model_action.model.echo.completionTokens"] == 3
    resp = response_event(result)
    assert resp.attributes["gen_ai.usage.input_tokens"] == 2
    assert resp.attributes["model"] == "echo"


def test_key_from_environment_variable(
    clean_env: None, srv: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    run(http_agent(srv.url, "echo"), ["x"])
    assert srv.requests[0]["headers"]["Authorization"] == "Bearer sk-from-env"


def test_tool_loop_over_http(clean_env: None, srv: OpenAIServer) -> None:
    result = run(http_agent(srv.url, "tool-caller"), ["status of order 77?"])
    assert result.output_values() == ["result: " + '{"order": "77", "status": "delivered"}']
    first, second = (r["body"] for r in srv.requests)
    assert [m["role"] for m in first["messages"]] == ["user"]
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "tool"]
    assistant, tool_msg = second["messages"][1:]
    call = assistant["tool_calls"][0]
    assert call["function"] == {"name": "lookup_order", "arguments": '{"order_id": "77"}'}
    assert tool_msg["tool_call_id"] == call["id"] == "call_srv_1"
    counts = result.metric_counts
    # usage: both calls' tokens are counted (server counts words of message contents)
    assert counts["action.chat_model_action.model.tool-caller.promptTokens"] == 4 + 8
    resp = response_event(result)
    assert resp.attributes["turns"] == 2
    assert resp.attributes["promptTokens"] == 12


def test_4xx_is_a_clear_error_with_what_the_server_said(clean_env: None, srv: OpenAIServer) -> None:
    with pytest.raises(ActionFailedError) as info:
        run(http_agent(srv.url, "error-400"), ["x"])
    message = str(info.value)
    assert "HTTP 400" in message
    assert "simulated error 400 for model error-400" in message
    assert "type=invalid_request_error" in message
    assert f"{srv.url}/chat/completions" in message
    assert isinstance(info.value.__cause__, ChatModelError)
    assert info.value.__cause__.status == 400
    assert info.value.__cause__.retryable is False
    assert len(srv.requests) == 1


@pytest.mark.parametrize(
    ("model", "why"),
    [
        ("malformed", "malformed response (not JSON)"),
        ("no-choices", "malformed response (no choices)"),
        ("bad-args", "malformed response (bad tool call"),
    ],
)
def test_malformed_responses_are_clear_errors(
    clean_env: None, srv: OpenAIServer, model: str, why: str
) -> None:
    with pytest.raises(
        ActionFailedError,
        match=r"model '" + model + r"'\): " + why.replace("(", r"\(").replace(")", r"\)"),
    ):
        run(http_agent(srv.url, model), ["order 1"])


def test_retries_with_backoff_under_the_retry_strategy(clean_env: None, srv: OpenAIServer) -> None:
    config = {"error-handling-strategy": "retry", "max-retries": 2, "retry-wait-interval": 0.01}
    config["openai.max-retries"] = 0  # the chat action's retries, not the connection's
    result = run(http_agent(srv.url, "flaky-2"), ["flaky please"], **config)
    assert result.output_values() == ["echo: flaky please"]
    assert len(srv.requests) == 3
    counts = result.metric_counts
    assert counts["action.chat_model_action.model.flaky-2.retryCount"] == 2
    assert result.metrics["action.chat_model_action.model.flaky-2.retryWaitSec"] == pytest.approx(
        0.03
    )
    resp = response_event(result)
    assert resp.attributes["retry_count"] == 2
    assert resp.attributes["total_retry_wait_sec"] == pytest.approx(0.03)


@pytest.mark.parametrize("use_async", [True, False])
def test_the_connections_own_retries_count_on_both_call_paths(
    clean_env: None, srv: OpenAIServer, use_async: bool
) -> None:
    config = {"openai.retry-wait": 0.01, "chat.async": use_async}
    text = f"count me ({'achat' if use_async else 'chat'})"  # flaky-1 fails once per text
    result = run(http_agent(srv.url, "flaky-1"), [text], **config)
    assert result.output_values() == [f"echo: {text}"] and len(srv.requests) == 2
    counts = result.metric_counts
    assert counts["action.chat_model_action.model.flaky-1.retryCount"] == 1
    assert counts["action.chat_model_action.model_resource.model.retryCount"] == 1
    resp = response_event(result)
    assert resp.attributes["retry_count"] == 1


def test_no_retries_with_openai_max_retries_0(clean_env: None, srv: OpenAIServer) -> None:
    with pytest.raises(ActionFailedError, match=r"HTTP 503.*overloaded, try again"):
        run(http_agent(srv.url, "flaky-1"), ["fail fast"], **{"openai.max-retries": 0})
    assert len(srv.requests) == 1


def test_ignore_strategy_skips_the_failed_chat(clean_env: None, srv: OpenAIServer) -> None:
    result = run(
        http_agent(srv.url, "error-500"),
        ["a", "b"],
        **{"error-handling-strategy": "ignore", "openai.retry-wait": 0.01},
    )
    assert result.output_values() == []
    assert result.actions is not None
    assert [a.status for a in result.actions if a.action == "chat_model_action"] == [
        "ignored",
        "ignored",
    ]


def test_timeout_is_a_retryable_error(clean_env: None, srv: OpenAIServer) -> None:
    with pytest.raises(ActionFailedError, match=r"timed out") as info:
        run(http_agent(srv.url, "slow", timeout=0.2, max_retries=0), ["x"])
    assert isinstance(info.value.__cause__, ChatModelError)
    assert info.value.__cause__.retryable is True


def test_connection_refused_is_a_clear_error(clean_env: None) -> None:
    from tests.helpers.ports import free_port

    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(ActionFailedError, match=r"request failed: ConnectError"):
        run(http_agent(url, "echo"), ["x"], **{"openai.retry-wait": 0.01})


def test_api_key_never_in_reprs_logs_or_errors(
    clean_env: None, srv: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    conn = OpenAIChatModelConnection(srv.url, api_key=SECRET)
    assert SECRET not in repr(conn)
    assert "****" in repr(conn)
    conf = AgentConfiguration().set("openai.api-key", SECRET)
    assert SECRET not in repr(conf)
    assert SECRET not in str(conf.to_dict())
    descriptor = ResourceDescriptor(OpenAIChatModelConnection, base_url=srv.url, api_key=SECRET)
    assert SECRET not in repr(descriptor)
    with pytest.raises(ActionFailedError) as info:
        run(
            http_agent(srv.url, "error-401"),
            ["x"],
            **{
                "openai.api-key": SECRET,
                "error-handling-strategy": "retry",
                "max-retries": 1,
                "retry-wait-interval": 0,
            },
        )
    assert srv.requests[0]["headers"]["Authorization"] == f"Bearer {SECRET}"  # it was sent
    assert "simulated error 401" in str(info.value)
    assert "(key: ****)" in str(info.value)  # the server's echo is redacted
    assert SECRET not in str(info.value)
    assert SECRET not in caplog.text
    assert all(SECRET not in str(r.args) for r in caplog.records)


def test_chat_async_lets_other_keys_progress(clean_env: None, srv: OpenAIServer) -> None:
    inputs = [f"message {i}" for i in range(8)]
    on = run(
        http_agent(srv.url, "wait-150"), inputs, **{"chat.async": True, "num-async-threads": 8}
    )
    concurrent = srv.max_in_flight["wait-150"]
    srv.reset_counters()
    off = run(
        http_agent(srv.url, "wait-150"), inputs, **{"chat.async": False, "num-async-threads": 8}
    )
    assert sorted(on.output_values()) == sorted(off.output_values())
    assert len(on.output_values()) == 8
    assert concurrent > 1  # calls of different keys overlapped
    assert srv.max_in_flight["wait-150"] == 1  # the driver waited for each call
