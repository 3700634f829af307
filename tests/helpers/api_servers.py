"""Loopback servers speaking Ollama's native chat API and Anthropic's Messages API.

Each binds 127.0.0.1 on a free port, serves ``POST /api/chat`` (Ollama) or
``POST /v1/messages`` (Anthropic) in the real API's request and response shapes, records
every request (path, headers, body) in ``requests``, and answers by the request's model:

- ``echo`` (and unknown models): ``echo: <last user text>``.
- ``tool-caller``: asks for ``lookup_order`` with the first number of the first user text;
  once a tool result is in the conversation, answers ``result: <tool result>``.
- ``thinker``: the answer ``42`` after a reasoning part (Ollama: the ``thinking`` field and
  a ``<think>`` block; Anthropic: a ``thinking`` block).
- ``error-<status>``: that HTTP status with the API's error body.
- a model in ``canned``: the next text of its list (the last one repeats).

Token counts are words of the request's texts and of the answer.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from tests.helpers.json_server import JsonServer


def _words(text: str) -> int:
    return len(text.split())


class _Server(JsonServer):
    path = ""

    def __init__(self) -> None:
        super().__init__()
        self.canned: dict[str, list[str]] = {}

    def answer(self, path: str, body: Any, headers: Any) -> tuple[Any, ...]:
        if path.split("?")[0] != self.path:
            return 404, {"error": f"no route {path}"}
        return self.reply(body)

    def reply(self, body: dict[str, Any]) -> tuple[int, Any]:
        raise NotImplementedError

    def next_canned(self, model: str) -> str | None:
        """The next canned text of ``model`` (``None`` when it has none)."""
        texts = self.canned.get(model)
        if not texts:
            return None
        return texts.pop(0) if len(texts) > 1 else texts[0]


def _first_number(text: str) -> int:
    m = re.search(r"\d+", text)
    return int(m.group()) if m else 0


class OllamaServer(_Server):
    """Ollama's ``/api/chat`` (non-streaming)."""

    path = "/api/chat"

    def reply(self, body: dict[str, Any]) -> tuple[int, Any]:
        model = str(body.get("model"))
        messages = body.get("messages") or []
        if model.startswith("error-"):
            return int(model[6:]), {"error": f"model {model!r} failed"}
        users = [m["content"] for m in messages if m["role"] == "user"]
        tools = [m["content"] for m in messages if m["role"] == "tool"]
        message: dict[str, Any] = {"role": "assistant", "content": ""}
        canned = self.next_canned(model)
        if canned is not None:
            message["content"] = canned
        elif model == "tool-caller" and not tools:
            number = _first_number(users[0] if users else "")
            message["tool_calls"] = [
                {"function": {"name": "lookup_order", "arguments": {"order_id": number}}}
            ]
        elif model == "tool-caller":
            message["content"] = f"result: {tools[-1]}"
        elif model == "thinker":
            message["thinking"] = "the question is old"
            message["content"] = "<think>six times seven</think>42"
        else:
            message["content"] = f"echo: {users[-1] if users else ''}"
        prompt = sum(_words(str(m.get("content") or "")) for m in messages)
        return 200, {
            "model": model,
            "created_at": "2026-12-01T00:00:00Z",
            "message": message,
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": prompt,
            "eval_count": _words(message["content"]),
        }


class AnthropicServer(_Server):
    """Anthropic's ``/v1/messages``; requires ``x-api-key`` and ``anthropic-version``."""

    path = "/v1/messages"

    def __init__(self, api_key: str = "sk-ant-test") -> None:
        super().__init__()
        self.api_key = api_key

    def reply(self, body: dict[str, Any]) -> tuple[int, Any]:
        headers = {k.lower(): v for k, v in self.requests[-1]["headers"].items()}
        if headers.get("x-api-key") != self.api_key:
            return 401, _error("authentication_error", "invalid x-api-key")
        if not headers.get("anthropic-version"):
            return 400, _error("invalid_request_error", "anthropic-version header is required")
        if "max_tokens" not in body:
            return 400, _error("invalid_request_error", "max_tokens: Field required")
        model = str(body.get("model"))
        if model.startswith("error-"):
            return int(model[6:]), _error("api_error", f"model {model} failed")
        messages = body.get("messages") or []
        roles = [m["role"] for m in messages]
        if any(a == b for a, b in itertools.pairwise(roles)) or "system" in roles:
            return 400, _error("invalid_request_error", f"roles must alternate: {roles}")
        texts: list[str] = []
        results: list[str] = []
        for m in messages:
            content = m["content"]
            if isinstance(content, str):
                if m["role"] == "user":
                    texts.append(content)
                continue
            for block in content:
                if block["type"] == "text" and m["role"] == "user":
                    texts.append(block["text"])
                if block["type"] == "tool_result":
                    results.append(str(block["content"]))
        blocks: list[dict[str, Any]]
        stop = "end_turn"
        canned = self.next_canned(model)
        if canned is not None:
            blocks = [{"type": "text", "text": canned}]
        elif model == "tool-caller" and not results:
            number = _first_number(texts[0] if texts else "")
            blocks = [
                {"type": "text", "text": "Let me look."},
                {
                    "type": "tool_use",
                    "id": "toolu_01",
                    "name": "lookup_order",
                    "input": {"order_id": number},
                },
            ]
            stop = "tool_use"
        elif model == "tool-caller":
            blocks = [{"type": "text", "text": f"result: {results[-1]}"}]
        elif model == "thinker":
            blocks = [
                {"type": "thinking", "thinking": "six times seven", "signature": "x"},
                {"type": "text", "text": "42"},
            ]
        else:
            blocks = [{"type": "text", "text": f"echo: {texts[-1] if texts else ''}"}]
        prompt = _words(str(body.get("system") or "")) + sum(_words(t) for t in texts)
        out_words = sum(_words(b.get("text", "")) for b in blocks)
        return 200, {
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": blocks,
            "stop_reason": stop,
            "usage": {"input_tokens": prompt, "output_tokens": out_words},
        }


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}
