"""Anthropic's Messages API (``POST {base_url}/v1/messages``), with Flink Agents' connection
and setup arguments.

System messages become the request's ``system`` text; an assistant's tool calls become
``tool_use`` blocks and tool results ``tool_result`` blocks in one user turn (consecutive
results merged, as the API wants turns to alternate). Tokens: ``usage.input_tokens`` and
``usage.output_tokens``. The API key (``api_key``, else ``ANTHROPIC_API_KEY``) is sent as
``x-api-key`` and never shown.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from flink_agents_runtime.chat._errors import ChatModelError
from flink_agents_runtime.chat._message import ChatMessage, MessageRole, normalize_tool_call
from flink_agents_runtime.chat._model import ChatModelSetup
from flink_agents_runtime.chat._prompt import Prompt
from flink_agents_runtime.chat.providers._http import HttpChatConnection
from flink_agents_runtime.chat.tools._tool import Tool

API_VERSION = "2023-06-01"


def to_anthropic(messages: Sequence[ChatMessage]) -> tuple[str, list[dict[str, Any]]]:
    """``(system text, messages)`` in the Messages API's shape."""
    system: list[str] = []
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role is MessageRole.SYSTEM:
            system.append(m.content)
            continue
        if m.role is MessageRole.TOOL:
            block = {
                "type": "tool_result",
                "tool_use_id": m.extra_args.get("external_id") or m.extra_args.get("tool_call_id"),
                "content": m.content,
            }
            last = out[-1] if out else None
            if last and last["role"] == "user" and isinstance(last["content"], list):
                last["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
            continue
        if m.role is MessageRole.ASSISTANT and m.tool_calls:
            blocks: list[dict[str, Any]] = (
                [{"type": "text", "text": m.content}] if m.content else []
            )
            for i, c in enumerate(m.tool_calls):
                call = normalize_tool_call(c, i)
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": call.get("original_id") or call["id"],
                        "name": call["function"]["name"],
                        "input": call["function"]["arguments"],
                    }
                )
            out.append({"role": "assistant", "content": blocks})
            continue
        out.append({"role": m.role.value, "content": m.content})
    return "\n\n".join(system), out


class AnthropicChatModelConnection(HttpChatConnection):
    """Anthropic's API (Flink Agents' ``AnthropicChatModelConnection``).

    Args:
        api_key: else ``ANTHROPIC_API_KEY``.
        base_url: ``https://api.anthropic.com`` unless given.
        timeout: seconds per request.
        max_retries: accepted for Flink Agents' signature; retries are the kit's
            (``error-handling-strategy: retry``).
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        **_: Any,
    ) -> None:
        super().__init__()
        self._api_key = api_key
        self.base_url = base_url or "https://api.anthropic.com"
        self.timeout = float(timeout)
        self.max_retries = max_retries

    def secret(self) -> str | None:
        return self._api_key or os.environ.get("ANTHROPIC_API_KEY")

    @property
    def url(self) -> str:
        """The messages endpoint."""
        return self.base_url.rstrip("/") + "/v1/messages"

    def __repr__(self) -> str:
        key = "****" if self.secret() else None
        return f"AnthropicChatModelConnection(base_url={self.base_url!r}, api_key={key!r})"

    def chat(
        self, messages: Sequence[ChatMessage], tools: Sequence[Tool] | None = None, **kwargs: Any
    ) -> ChatMessage:
        kwargs.pop("output_schema", None)
        kwargs.pop("json_prefill", None)
        model = kwargs.pop("model", None)
        if not model:
            raise ChatModelError(f"{self.url}: no model name; set model= on the chat model setup")
        system, turns = to_anthropic(messages)
        body: dict[str, Any] = {"model": model, "max_tokens": 1024, "messages": turns}
        if system:
            body["system"] = system
        body.update({k: v for k, v in kwargs.items() if v is not None})
        if tools:
            body["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters}
                for t in tools
            ]
        headers = {"anthropic-version": API_VERSION}
        key = self.secret()
        if key:
            headers["x-api-key"] = key
        where = f"{self.url} (model {model!r})"
        data = self.post(self.url, body, headers, where)
        blocks = data.get("content") if isinstance(data, dict) else None
        if not isinstance(blocks, list):
            raise ChatModelError(f"{where}: malformed response (no content): {str(data)[:300]!r}")
        texts = [b.get("text") or "" for b in blocks if b.get("type") == "text"]
        calls = [
            {
                "id": str(b.get("id")),
                "type": "function",
                "function": {"name": b.get("name"), "arguments": b.get("input") or {}},
            }
            for b in blocks
            if b.get("type") == "tool_use"
        ]
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        extra: dict[str, Any] = {
            "model_name": str(data.get("model") or model),
            "promptTokens": int(usage.get("input_tokens") or 0),
            "completionTokens": int(usage.get("output_tokens") or 0),
        }
        if data.get("stop_reason"):
            extra["finish_reason"] = data["stop_reason"]
        thinking = [b.get("thinking") for b in blocks if b.get("type") == "thinking"]
        if any(thinking):
            extra["reasoning"] = "\n\n".join(t for t in thinking if t)
        return ChatMessage(
            MessageRole.ASSISTANT, "".join(texts), tool_calls=calls, extra_args=extra
        )


class AnthropicChatModelSetup(ChatModelSetup):
    """A Claude model (Flink Agents' ``AnthropicChatModelSetup`` arguments).

    Args:
        connection, model, prompt, tools: as :class:`ChatModelSetup`.
        max_tokens: the answer's token limit (required by the API; 1024 by default).
        temperature: sent when set.
        json_prefill: accepted; structured output is not done by prefill here.
        additional_kwargs: more request fields (``top_p``, ``stop_sequences``, ...).
    """

    def __init__(
        self,
        connection: str,
        model: str | None = None,
        prompt: Prompt | str | None = None,
        tools: Sequence[str] | None = None,
        max_tokens: int = 1024,
        temperature: float | None = None,
        json_prefill: bool = False,
        additional_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        extra = {"temperature": temperature} if temperature is not None else {}
        super().__init__(
            connection,
            model,
            prompt,
            tools,
            max_tokens=max_tokens,
            **extra,
            **(additional_kwargs or {}),
            **kwargs,
        )
