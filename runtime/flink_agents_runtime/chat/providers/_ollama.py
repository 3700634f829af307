"""Ollama over its native API (``POST {base_url}/api/chat``, not the OpenAI endpoint), with
Flink Agents' connection and setup arguments.

Request options map as Ollama expects them: ``temperature``, ``num_ctx`` (and any of
Ollama's ``options`` keys given in ``additional_kwargs``) go under ``options``;
``keep_alive`` and ``think`` at the top level. Tokens: ``prompt_eval_count`` and
``eval_count``. With ``extract_reasoning`` (the default, as in Flink Agents) the model's
``thinking`` field and ``<think>`` blocks go to ``extra_args["reasoning"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flink_agents_runtime.chat._errors import ChatModelError
from flink_agents_runtime.chat._message import ChatMessage, MessageRole, normalize_tool_call
from flink_agents_runtime.chat._model import ChatModelSetup
from flink_agents_runtime.chat._prompt import Prompt
from flink_agents_runtime.chat.providers._http import HttpChatConnection, split_reasoning
from flink_agents_runtime.chat.tools._tool import Tool

_OPTION_KEYS = {
    "temperature",
    "num_ctx",
    "top_p",
    "top_k",
    "seed",
    "stop",
    "num_predict",
    "repeat_penalty",
    "min_p",
}
_TOP_LEVEL = {"keep_alive", "think", "format"}


def _to_ollama(m: ChatMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m.role.value, "content": m.content}
    if m.role is MessageRole.ASSISTANT and m.tool_calls:
        out["tool_calls"] = [
            {"function": {"name": c["function"]["name"], "arguments": c["function"]["arguments"]}}
            for c in (normalize_tool_call(c, i) for i, c in enumerate(m.tool_calls))
        ]
    if m.role is MessageRole.TOOL and m.extra_args.get("name"):
        out["tool_name"] = m.extra_args["name"]
    return out


class OllamaChatModelConnection(HttpChatConnection):
    """An Ollama server (Flink Agents' ``OllamaChatModelConnection``).

    Args:
        base_url: the server, e.g. ``http://localhost:11434`` (Ollama's default).
        request_timeout: seconds per request.
    """

    def __init__(
        self, base_url: str = "http://localhost:11434", request_timeout: float = 30.0, **_: Any
    ) -> None:
        super().__init__()
        self.base_url = base_url
        self.timeout = float(request_timeout)

    @property
    def url(self) -> str:
        """The chat endpoint."""
        return self.base_url.rstrip("/") + "/api/chat"

    def __repr__(self) -> str:
        return f"OllamaChatModelConnection(base_url={self.base_url!r})"

    def chat(
        self, messages: Sequence[ChatMessage], tools: Sequence[Tool] | None = None, **kwargs: Any
    ) -> ChatMessage:
        kwargs.pop("output_schema", None)
        model = kwargs.pop("model", None)
        if not model:
            raise ChatModelError(f"{self.url}: no model name; set model= on the chat model setup")
        extract = bool(kwargs.pop("extract_reasoning", True))
        options = {k: kwargs.pop(k) for k in list(kwargs) if k in _OPTION_KEYS}
        body: dict[str, Any] = {
            "model": model,
            "messages": [_to_ollama(m) for m in messages],
            "stream": False,
        }
        body.update({k: kwargs.pop(k) for k in list(kwargs) if k in _TOP_LEVEL})
        options.update(kwargs)  # anything else is an Ollama option
        options = {k: v for k, v in options.items() if v is not None}
        body = {k: v for k, v in body.items() if v is not None}
        if options:
            body["options"] = options
        if tools:
            body["tools"] = [t.to_openai() for t in tools]
        where = f"{self.url} (model {model!r})"
        data = self.post(self.url, body, {}, where)
        message = data.get("message") if isinstance(data, dict) else None
        if not isinstance(message, dict):
            raise ChatModelError(f"{where}: malformed response (no message): {str(data)[:300]!r}")
        content = message.get("content") or ""
        try:
            calls = [
                normalize_tool_call(c, i) for i, c in enumerate(message.get("tool_calls") or [])
            ]
        except (ValueError, AttributeError) as exc:
            raise ChatModelError(f"{where}: malformed response (bad tool call: {exc})") from None
        extra: dict[str, Any] = {
            "model_name": str(data.get("model") or model),
            "promptTokens": int(data.get("prompt_eval_count") or 0),
            "completionTokens": int(data.get("eval_count") or 0),
        }
        if extract:
            content, reasoning = split_reasoning(content)
            thinking = message.get("thinking")
            reasoning = "\n\n".join(r for r in (thinking, reasoning) if r) or None
            if reasoning:
                extra["reasoning"] = reasoning
        if data.get("done_reason"):
            extra["finish_reason"] = data["done_reason"]
        return ChatMessage(MessageRole.ASSISTANT, content, tool_calls=calls, extra_args=extra)


class OllamaChatModelSetup(ChatModelSetup):
    """A model on an Ollama connection (Flink Agents' ``OllamaChatModelSetup`` arguments).

    Args:
        connection, model, prompt, tools: as :class:`ChatModelSetup`.
        temperature, num_ctx: Ollama options (sent when set).
        keep_alive, think: Ollama's top-level request fields (sent when set).
        extract_reasoning: move the model's reasoning to ``extra_args["reasoning"]``.
        additional_kwargs: more Ollama options.
    """

    def __init__(
        self,
        connection: str,
        model: str | None = None,
        prompt: Prompt | str | None = None,
        tools: Sequence[str] | None = None,
        temperature: float | None = None,
        num_ctx: int | None = None,
        keep_alive: float | str | None = None,
        think: bool | str | None = None,
        extract_reasoning: bool = True,
        additional_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        settings = {
            "temperature": temperature,
            "num_ctx": num_ctx,
            "keep_alive": keep_alive,
            "think": think,
        }
        super().__init__(
            connection,
            model,
            prompt,
            tools,
            extract_reasoning=extract_reasoning,
            **{k: v for k, v in settings.items() if v is not None},
            **(additional_kwargs or {}),
            **kwargs,
        )
