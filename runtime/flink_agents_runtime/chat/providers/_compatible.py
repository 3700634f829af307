"""OpenAI-compatible providers with Flink Agents' argument names: OpenAI, Azure OpenAI,
Tongyi (DashScope's OpenAI-compatible mode) and vLLM, all over the kit's
:class:`OpenAIChatModelConnection`.

- OpenAI: ``api_key`` (else ``OPENAI_API_KEY``), ``api_base_url`` (else
  ``OPENAI_API_BASE_URL``, else the openai SDK's ``OPENAI_BASE_URL``, as Flink Agents
  reads both, else ``https://api.openai.com/v1``), ``timeout``,
  ``default_headers``.
- Azure OpenAI: ``azure_endpoint`` (else ``AZURE_OPENAI_ENDPOINT``), ``api_key`` (else
  ``AZURE_OPENAI_API_KEY``, sent as ``api-key``), over Azure's v1 OpenAI-compatible path
  ``{azure_endpoint}/openai/v1/chat/completions`` with the deployment as ``model``;
  ``api_version`` is accepted and sent as ``api-version``.
- Tongyi: ``api_key`` (else ``DASHSCOPE_API_KEY``) against
  ``https://dashscope.aliyuncs.com/compatible-mode/v1`` (``base_url`` to change it), not
  the DashScope SDK Flink Agents uses.
- vLLM: ``api_base_url`` defaulting to ``http://localhost:8000/v1``, no key needed.

``ca_file`` (the kit's, not Flink Agents') is passed on (see ``_http_env``).
``max_retries`` and ``reuse_client`` are accepted for Flink Agents' signatures: retries are
the kit's (``error-handling-strategy: retry``), and a connection always reuses its client.
Setups take Flink Agents' generation arguments and send those that are set.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from flink_agents_runtime.chat._message import ChatMessage
from flink_agents_runtime.chat._model import ChatModelSetup
from flink_agents_runtime.chat._prompt import Prompt
from flink_agents_runtime.chat.providers._http import split_reasoning
from flink_agents_runtime.chat.providers._openai import OpenAIChatModelConnection
from flink_agents_runtime.chat.tools._tool import Tool


class FAOpenAIChatModelConnection(OpenAIChatModelConnection):
    """OpenAI with Flink Agents' arguments (``ResourceName.ChatModel.OPENAI_*``)."""

    def __init__(
        self,
        api_key: str | None = None,
        api_base_url: str | None = None,
        max_retries: int = 3,
        timeout: float = 60.0,
        default_headers: dict[str, str] | None = None,
        reuse_client: bool = True,
        ca_file: str | None = None,
        **_: Any,
    ) -> None:
        env = os.environ.get("OPENAI_API_BASE_URL") or os.environ.get("OPENAI_BASE_URL")
        base = api_base_url or env or self.default_base()
        super().__init__(base, api_key, timeout=timeout, headers=default_headers, ca_file=ca_file)
        self.max_retries = max_retries

    def default_base(self) -> str:
        """The base URL when none is given."""
        return "https://api.openai.com/v1"

    def chat(
        self, messages: Sequence[ChatMessage], tools: Sequence[Tool] | None = None, **kwargs: Any
    ) -> ChatMessage:
        kwargs.pop("output_schema", None)
        kwargs.pop("strict", None)
        extract = bool(kwargs.pop("extract_reasoning", False))
        answer = super().chat(messages, tools, **kwargs)
        if extract and answer.content:
            answer.content, reasoning = split_reasoning(answer.content)
            if reasoning:
                answer.extra_args["reasoning"] = reasoning
        return answer


class VLLMChatModelConnection(FAOpenAIChatModelConnection):
    """A vLLM server (OpenAI-compatible; ``http://localhost:8000/v1`` by default)."""

    def __init__(self, api_key: str | None = None, api_base_url: str | None = None, **kw: Any):
        super().__init__(api_key=api_key or "EMPTY", api_base_url=api_base_url, **kw)

    def default_base(self) -> str:
        return "http://localhost:8000/v1"


class TongyiChatModelConnection(FAOpenAIChatModelConnection):
    """Tongyi (Qwen) models through DashScope's OpenAI-compatible mode."""

    def __init__(
        self,
        api_key: str | None = None,
        request_timeout: float = 60.0,
        base_url: str | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(
            api_key=api_key or os.environ.get("DASHSCOPE_API_KEY"),
            api_base_url=base_url or "https://dashscope.aliyuncs.com/compatible-mode/v1",
            timeout=request_timeout,
            **kw,
        )


class AzureOpenAIChatModelConnection(FAOpenAIChatModelConnection):
    """Azure OpenAI over its v1 OpenAI-compatible path (see the module docstring)."""

    def __init__(
        self,
        api_key: str | None = None,
        api_version: str | None = None,
        azure_endpoint: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        **kw: Any,
    ) -> None:
        endpoint = azure_endpoint or os.environ.get("AZURE_OPENAI_ENDPOINT") or ""
        key = api_key or os.environ.get("AZURE_OPENAI_API_KEY") or ""
        headers = {"api-key": key} if key else {}
        super().__init__(
            api_base_url=endpoint.rstrip("/") + "/openai/v1",
            timeout=timeout,
            max_retries=max_retries,
            default_headers=headers,
            **kw,
        )
        self.api_version = api_version
        self._azure_key = key

    def _resolve_key(self) -> str | None:
        # Azure takes the key as ``api-key`` (in the headers): no OpenAI bearer token.
        return None

    def _redact(self, text: str) -> str:
        return text.replace(self._azure_key, "****") if self._azure_key else text

    @property
    def url(self) -> str:
        base = super().url
        return f"{base}?api-version={self.api_version}" if self.api_version else base

    def __repr__(self) -> str:
        return f"AzureOpenAIChatModelConnection(base_url={self.base_url!r}, api_key='****')"


def _set(**kwargs: Any) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if v is not None}


class OpenAIChatModelSetup(ChatModelSetup):
    """A model on an OpenAI-compatible connection (Flink Agents' ``OpenAIChatModelSetup``
    arguments: ``temperature``, ``max_tokens``, ``logprobs``, ``top_logprobs``,
    ``reasoning_effort``, ``additional_kwargs``; ``strict`` is accepted)."""

    def __init__(
        self,
        connection: str,
        model: str | None = None,
        prompt: Prompt | str | None = None,
        tools: Sequence[str] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        reasoning_effort: str | None = None,
        strict: bool = False,
        additional_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        settings = _set(
            temperature=temperature,
            max_tokens=max_tokens,
            logprobs=logprobs,
            top_logprobs=top_logprobs if logprobs else None,
            reasoning_effort=reasoning_effort,
        )
        super().__init__(
            connection, model, prompt, tools, **settings, **(additional_kwargs or {}), **kwargs
        )
        self.strict = strict


class VLLMChatModelSetup(OpenAIChatModelSetup):
    """A model on a vLLM connection (as :class:`OpenAIChatModelSetup`)."""


class AzureOpenAIChatModelSetup(OpenAIChatModelSetup):
    """A deployment on Azure OpenAI: ``model`` is the deployment name;
    ``model_of_azure_deployment`` (the underlying model) is kept for metrics."""

    def __init__(
        self,
        connection: str,
        model: str | None = None,
        model_of_azure_deployment: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(connection, model, **kwargs)
        self.model_of_azure_deployment = model_of_azure_deployment


class TongyiChatModelSetup(ChatModelSetup):
    """A Qwen model on a Tongyi connection (``temperature``, ``extract_reasoning``,
    ``additional_kwargs``)."""

    def __init__(
        self,
        connection: str,
        model: str | None = None,
        prompt: Prompt | str | None = None,
        tools: Sequence[str] | None = None,
        temperature: float | None = None,
        extract_reasoning: bool = True,
        additional_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            connection,
            model,
            prompt,
            tools,
            extract_reasoning=extract_reasoning,
            **_set(temperature=temperature),
            **(additional_kwargs or {}),
            **kwargs,
        )
