"""Errors of chat models, prompts and tools (part of the project's error hierarchy)."""

from __future__ import annotations

from flink_agents_runtime._errors import FlinkAgentsError


class PromptError(FlinkAgentsError, ValueError):
    """A prompt was formatted without some of its arguments.

    Attributes:
        missing: the names of the missing arguments, sorted.
    """

    def __init__(self, message: str, *, missing: list[str]):
        super().__init__(message)
        self.missing = missing


class ToolArgumentError(FlinkAgentsError, ValueError):
    """A tool was called with arguments that do not match its schema."""


class ChatModelError(FlinkAgentsError, RuntimeError):
    """A chat model call failed: transport error, HTTP error, malformed response, or a
    tool loop that did not end within ``chat.max-turns``.

    Attributes:
        retryable: whether trying again may help (timeouts, connection errors, HTTP 408,
            429 and 5xx); 4xx answers and malformed responses are not.
        status: the HTTP status, when the server answered.
        retry_after: seconds the server asked to wait (``Retry-After``), when it did.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after
