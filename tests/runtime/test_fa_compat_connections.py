"""Flink Agents' ResourceName catalogue on real HTTP: Ollama's native /api/chat,
Anthropic's Messages API, and OpenAI, Azure OpenAI, Tongyi and vLLM over the
OpenAI-compatible path, each against a loopback server speaking that API."""

from __future__ import annotations

from typing import Any

import pytest

import flink_agents_nb as fa
from flink_agents_nb.api.resource import ResourceDescriptor, ResourceName, ResourceType
from tests.helpers.api_servers import AnthropicServer, OllamaServer
from tests.helpers.openai_server import OpenAIServer


def lookup_order(order_id: int | str) -> str:
    """Look an order up.

    Parameters
    ----------
    order_id : int
        The order's number.
    """
    return f"order {order_id} shipped"


def asking_agent(connection: ResourceDescriptor, setup: ResourceDescriptor) -> fa.Agent:
    """Sends each input as a user message to ``model``; outputs the answer's text, its
    reasoning and the request's token counts."""
    agent = fa.Agent()
    agent.add_resource("llm", ResourceType.CHAT_MODEL_CONNECTION, connection)
    agent.add_resource("model", ResourceType.CHAT_MODEL, setup)
    agent.add_resource("lookup_order", ResourceType.TOOL, lookup_order)

    def ask(event: Any, ctx: Any) -> None:
        ctx.send_event(fa.ChatRequestEvent("model", [fa.ChatMessage(content=event.input)]))

    def out(event: Any, ctx: Any) -> None:
        answer = event.response
        ctx.send_event(
            fa.OutputEvent(
                {
                    "text": answer.content,
                    "reasoning": answer.extra_args.get("reasoning"),
                    "tokens": [event.prompt_tokens, event.completion_tokens],
                }
            )
        )

    agent.add_action("ask", [fa.InputEvent], ask)
    agent.add_action("out", [fa.ChatResponseEvent], out)
    return agent


def run_one(agent: fa.Agent, text: str) -> dict[str, Any]:
    result = fa.local().from_list([{"key": "k", "value": text}]).apply(agent).execute()
    (value,) = list(result.outputs["output"])
    return dict(value)


def test_ollama_native_chat_with_tools_reasoning_and_tokens() -> None:
    with OllamaServer() as server:
        conn = ResourceDescriptor(
            clazz=ResourceName.ChatModel.OLLAMA_CONNECTION, base_url=server.url
        )

        def setup(model: str, **kw: Any) -> ResourceDescriptor:
            return ResourceDescriptor(
                clazz=ResourceName.ChatModel.OLLAMA_SETUP, connection="llm", model=model, **kw
            )

        echo = run_one(asking_agent(conn, setup("echo", temperature=0.1, num_ctx=4096)), "hi")
        assert echo["text"] == "echo: hi"
        body = server.requests[-1]["body"]
        assert server.requests[-1]["path"] == "/api/chat"
        assert body["stream"] is False and body["options"] == {"temperature": 0.1, "num_ctx": 4096}
        assert "extract_reasoning" not in body and "extract_reasoning" not in body["options"]
        assert echo["tokens"] == [1, 2]

        tooled = run_one(
            asking_agent(conn, setup("tool-caller", tools=["lookup_order"])), "where is 7?"
        )
        assert tooled["text"] == "result: order 7 shipped"
        last = server.requests[-1]["body"]
        assert last["tools"][0]["function"]["name"] == "lookup_order"
        assert [m["role"] for m in last["messages"]] == ["user", "assistant", "tool"]
        assert last["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"order_id": 7}

        thought = run_one(asking_agent(conn, setup("thinker")), "6*7?")
        assert thought["text"] == "42"
        assert thought["reasoning"] == "the question is old\n\nsix times seven"

        with pytest.raises(fa.ActionFailedError) as info:
            run_one(asking_agent(conn, setup("error-503")), "x")
        cause = info.value.__cause__
        assert isinstance(cause, fa.ChatModelError) and cause.retryable
        assert "/api/chat (model 'error-503') answered HTTP 503" in str(cause)


def test_anthropic_messages_api_with_system_prompt_tools_and_key() -> None:
    key = "sk-ant-secret-123"
    with AnthropicServer(api_key=key) as server:
        conn = ResourceDescriptor(
            clazz=ResourceName.ChatModel.ANTHROPIC_CONNECTION, api_key=key, base_url=server.url
        )

        def setup(model: str, **kw: Any) -> ResourceDescriptor:
            return ResourceDescriptor(
                clazz=ResourceName.ChatModel.ANTHROPIC_SETUP, connection="llm", model=model, **kw
            )

        prompt = fa.Prompt.from_text("You are terse.")
        agent = asking_agent(conn, setup("tool-caller", tools=["lookup_order"], prompt="p"))
        agent.add_resource("p", ResourceType.PROMPT, prompt)
        out = run_one(agent, "status of order 12")
        assert out["text"] == "result: order 12 shipped"
        first, second = (r["body"] for r in server.requests[-2:])
        assert first["system"] == "You are terse." and first["max_tokens"] == 1024
        schema = first["tools"][0]["input_schema"]
        assert schema["properties"]["order_id"] == {"description": "The order's number."}
        assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]
        assert second["messages"][2]["content"][0] == {
            "type": "tool_result",
            "tool_use_id": "toolu_01",
            "content": "order 12 shipped",
        }
        headers = {k.lower(): v for k, v in server.requests[-1]["headers"].items()}
        assert headers["x-api-key"] == key and headers["anthropic-version"] == "2023-06-01"
        assert out["tokens"][0] > 0 and out["tokens"][1] > 0

        thought = run_one(asking_agent(conn, setup("thinker", max_tokens=64)), "6*7?")
        assert thought == {"text": "42", "reasoning": "six times seven", "tokens": [1, 1]}
        assert server.requests[-1]["body"]["max_tokens"] == 64

        bad = ResourceDescriptor(
            clazz=ResourceName.ChatModel.ANTHROPIC_CONNECTION, api_key="wrong", base_url=server.url
        )
        with pytest.raises(fa.ActionFailedError) as info:
            run_one(asking_agent(bad, setup("echo")), "x")
        assert "HTTP 401: invalid x-api-key type=authentication_error" in str(info.value.__cause__)
        assert "wrong" not in repr(fa.AnthropicChatModelConnection(api_key="wrong"))


@pytest.mark.parametrize(
    ("name", "conn_args", "path", "auth"),
    [
        ("OPENAI_COMPLETIONS", {"api_key": "sk-o", "api_base_url": "{url}"}, "/v1/", "Bearer sk-o"),
        ("VLLM", {"api_base_url": "{url}"}, "/v1/", "Bearer EMPTY"),
        ("TONGYI", {"api_key": "sk-d", "base_url": "{url}"}, "/v1/", "Bearer sk-d"),
        (
            "AZURE_OPENAI",
            {"api_key": "az-k", "azure_endpoint": "{root}", "api_version": "2024-10-21"},
            "/openai/v1/chat/completions?api-version=2024-10-21",
            None,
        ),
    ],
)
def test_openai_compatible_providers_take_flink_agents_arguments(
    name: str, conn_args: dict[str, str], path: str, auth: str | None
) -> None:
    with OpenAIServer() as server:
        root = server.url.removesuffix("/v1")
        args: dict[str, Any] = {
            k: v.format(url=server.url, root=root) for k, v in conn_args.items()
        }
        conn = ResourceDescriptor(
            clazz=getattr(ResourceName.ChatModel, f"{name}_CONNECTION"), **args
        )
        setup = ResourceDescriptor(
            clazz=getattr(ResourceName.ChatModel, f"{name}_SETUP"),
            connection="llm",
            model="tool-caller",
            tools=["lookup_order"],
            temperature=0.2,
        )
        assert run_one(asking_agent(conn, setup), "order 5?")["text"] == "result: order 5 shipped"
        request = server.requests[-1]
        assert path in request["path"]
        assert request["body"]["temperature"] == 0.2
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert headers.get("authorization") == auth
        if name == "AZURE_OPENAI":
            assert headers["api-key"] == "az-k"


def test_every_python_chat_model_name_builds_and_java_names_are_refused() -> None:
    names = {k: v for k, v in vars(ResourceName.ChatModel).items() if k.isupper()}
    for key, path in names.items():
        descriptor = ResourceDescriptor(clazz=path)
        if key.startswith("JAVA"):
            with pytest.raises(fa.ResourceError, match="Java resource"):
                descriptor.resolve_class()
            continue
        cls = descriptor.resolve_class()
        assert cls.__module__.startswith("flink_agents_runtime.chat."), key
    for key, path in vars(ResourceName.ChatModel.Java).items():
        if key.isupper():
            with pytest.raises(fa.ResourceError, match="runs Python resources only"):
                ResourceDescriptor(clazz=path).resolve_class()


def test_descriptors_name_classes_by_import_path() -> None:
    by_string = ResourceDescriptor(clazz="tests.runtime.test_fa_compat_connections.Custom", x=1)
    assert isinstance(by_string.build(), Custom) and by_string.build().x == 1
    split = ResourceDescriptor(
        target_module="tests.runtime.test_fa_compat_connections", target_clazz="Custom", x=2
    )
    assert split.build().x == 2 and split.target_clazz == "Custom"
    with pytest.raises(fa.ResourceError, match="cannot import resource class"):
        ResourceDescriptor(clazz="tests.nowhere.Missing").build()
    with pytest.raises(fa.ResourceError, match="does not provide"):
        ResourceDescriptor(
            clazz="flink_agents.integrations.embedding_models.openai_embedding_model.X"
        ).resolve_class()


class Custom:
    def __init__(self, x: int) -> None:
        self.x = x
