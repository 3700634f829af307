"""A small OpenAI-compatible chat-completions server for tests and benchmarks.

Binds 127.0.0.1 on a free port, serves ``POST /v1/chat/completions`` from a thread pool
(one thread per connection), and behaves according to the request's ``model``:

- ``echo`` (and any unknown model): answers ``echo: <last user message>``.
- ``tool-caller``: first asks for ``lookup_order`` with the first number in the user
  message; once a tool result is in the conversation, answers ``result: <tool content>``.
- ``error-<status>``: answers that HTTP status with an OpenAI-style error body.
- ``flaky-<n>``: answers 503 to the first ``n`` requests of a conversation (same last user
  message), then like ``echo``.
- ``malformed``: 200 with a body that is not JSON; ``no-choices``: 200 JSON without
  choices; ``bad-args``: a tool call whose arguments are not JSON.
- ``slow``: like ``echo`` after ``slow_delay_s``; ``wait-<ms>``: like ``echo`` after ``ms``.
- ``error-401`` echoes the bearer token in its message (as real servers do, partly), so
  tests can check that the client redacts it.
- a model in :attr:`OpenAIServer.canned`: the next canned response body from its list (a
  body, or a ``(status, body, headers)`` tuple).

Every reply waits ``delay_s`` first (the benchmark's model latency). Usage counts words
(whitespace-separated) of the request's message contents and of the answer. Requests are
recorded in :attr:`OpenAIServer.requests` (path, headers, body).
"""

from __future__ import annotations

import json
import re
import ssl
import time
from collections import defaultdict
from typing import Any

from tests.helpers.json_server import JsonServer


def _words(text: str | None) -> int:
    return len((text or "").split())


class OpenAIServer(JsonServer):
    """The server; use as a context manager or call :meth:`start` / :meth:`stop`.

    Attributes:
        url: base URL, ``http://127.0.0.1:<port>/v1`` (``https`` when ``tls``, a server
            context, is given).
        delay_s: wait before every reply (seconds).
        slow_delay_s: extra wait of the ``slow`` model.
        canned: model name -> list of response bodies (dicts or raw str), served in order.
        requests: every request received: ``{"path", "headers", "body"}``.
        max_in_flight: the most requests handled at once so far, by model.
    """

    def __init__(
        self, delay_s: float = 0.0, slow_delay_s: float = 2.0, tls: ssl.SSLContext | None = None
    ) -> None:
        self.delay_s = delay_s
        self.slow_delay_s = slow_delay_s
        self.canned: dict[str, list[Any]] = {}
        self._flaky: dict[str, int] = defaultdict(int)
        self.in_flight: dict[str, int] = defaultdict(int)
        self.max_in_flight: dict[str, int] = defaultdict(int)
        super().__init__(tls)
        self.url += "/v1"

    def answer(self, path: str, body: Any, headers: Any) -> tuple[Any, ...]:
        """The chat-completions route: :meth:`reply` after ``delay_s``, counted in flight."""
        if not path.split("?")[0].endswith("/chat/completions"):
            return 404, {"error": {"message": f"no route {path}"}}
        model = str(body.get("model"))
        with self._lock:
            self.in_flight[model] += 1
            self.max_in_flight[model] = max(self.max_in_flight[model], self.in_flight[model])
        try:
            if self.delay_s:
                time.sleep(self.delay_s)
            return self.reply(body, headers.get("Authorization", ""))
        finally:
            with self._lock:
                self.in_flight[model] -= 1

    # -- behaviour -------------------------------------------------------------------------
    def reset_counters(self) -> None:
        """Forget recorded requests and the in-flight maximum."""
        with self._lock:
            self.requests.clear()
            self.max_in_flight.clear()

    def reply(self, body: dict[str, Any], auth: str = "") -> tuple[Any, ...]:
        """``(status, body)`` (or ``(status, body, headers)``) for a request body."""
        model = str(body.get("model", ""))
        messages = body.get("messages") or []
        with self._lock:
            queue = self.canned.get(model)
            if queue:
                item = queue.pop(0)
                return item if isinstance(item, tuple) else (200, item)
        m = re.fullmatch(r"error-(\d{3})", model)
        if m:
            status = int(m.group(1))
            echo = f" (key: {auth.removeprefix('Bearer ')})" if status == 401 else ""
            return status, {
                "error": {
                    "message": f"simulated error {status} for model {model}{echo}",
                    "type": "invalid_request_error" if status < 500 else "server_error",
                    "code": f"e{status}",
                }
            }
        last_user = next(
            (x.get("content") or "" for x in reversed(messages) if x.get("role") == "user"), ""
        )
        m = re.fullmatch(r"flaky-(\d+)", model)
        if m:
            with self._lock:
                self._flaky[last_user] += 1
                failed = self._flaky[last_user] <= int(m.group(1))
            if failed:
                return 503, {"error": {"message": "overloaded, try again", "type": "server_error"}}
        if model == "malformed":
            return 200, "<html>this is not json"
        if model == "no-choices":
            return 200, {"id": "x", "object": "chat.completion", "model": model}
        if model == "slow":
            time.sleep(self.slow_delay_s)
        m = re.fullmatch(r"wait-(\d+)", model)
        if m:
            time.sleep(int(m.group(1)) / 1000)
        message: dict[str, Any]
        if model in ("tool-caller", "bad-args"):
            tool_msgs = [x for x in messages if x.get("role") == "tool"]
            if tool_msgs:
                message = {"role": "assistant", "content": f"result: {tool_msgs[-1]['content']}"}
            else:
                number = re.search(r"\d+", last_user)
                args = json.dumps({"order_id": number.group(0) if number else "none"})
                message = {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": f"call_srv_{len(messages)}",
                            "type": "function",
                            "function": {
                                "name": "lookup_order",
                                "arguments": args if model == "tool-caller" else "{not json",
                            },
                        }
                    ],
                }
        else:
            message = {"role": "assistant", "content": f"echo: {last_user}"}
        prompt = sum(_words(x.get("content")) for x in messages)
        completion = _words(message.get("content")) + 3 * len(message.get("tool_calls") or [])
        return 200, {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }


if __name__ == "__main__":  # a manual run: serve until Ctrl-C
    with OpenAIServer() as srv:
        print(srv.url)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


def ask_and_answer_agent(connection: Any, model: str = "echo", **setup: Any) -> Any:
    """An agent that sends each input as one user message to the chat model ``"model"``
    (``model`` over the connection resource ``"llm"``, extra ``setup`` keywords such as
    ``tools=[...]``) and outputs the text of its answer."""
    from flink_agents_runtime import (
        Agent,
        ChatMessage,
        ChatModelSetup,
        ChatRequestEvent,
        ChatResponseEvent,
        InputEvent,
        OutputEvent,
        ResourceDescriptor,
        ResourceType,
    )

    agent = Agent()
    agent.add_resource("llm", ResourceType.CHAT_MODEL_CONNECTION, connection)
    agent.add_resource(
        "model",
        ResourceType.CHAT_MODEL,
        ResourceDescriptor(ChatModelSetup, connection="llm", model=model, **setup),
    )
    agent.add_action(
        "ask",
        InputEvent,
        lambda e, ctx: ctx.send_event(ChatRequestEvent("model", [ChatMessage(content=e.input)])),
    )
    agent.add_action(
        "out", ChatResponseEvent, lambda e, ctx: ctx.send_event(OutputEvent(e.response.content))
    )
    return agent
