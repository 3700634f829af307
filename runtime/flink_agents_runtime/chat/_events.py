"""Built-in chat and tool events, with Flink Agents' type strings.

Attributes are JSON-only: messages travel as dicts and are read back as
:class:`ChatMessage` by the properties. Token usage of a request (all model calls of its
tool loop) is in :class:`ChatResponseEvent` under Flink Agents' names (``promptTokens``,
``completionTokens``) and OpenTelemetry GenAI's (``gen_ai.usage.input_tokens``,
``gen_ai.usage.output_tokens``), beside ``model`` (the model name that answered).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar
from uuid import UUID

from flink_agents_runtime.api._events import Event
from flink_agents_runtime.chat._message import ChatMessage, coerce_messages
from flink_agents_runtime.chat._structured import OutputSchema
from flink_agents_runtime.chat.action._budget import Budget

INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"


class ChatRequestEvent(Event):
    """Ask the chat model setup ``model`` to answer ``messages``.

    ``prompt_args`` fill the setup's prompt template, if it has one. ``output_schema``
    (a pydantic model class, a JSON schema dict or an :class:`OutputSchema`) makes the
    final answer structured: it is checked against the schema, re-asked when invalid
    (see the chat action) and put in ``response.extra_args["structured_output"]``; the
    event carries the schema as JSON (``{"name", "json_schema"}``). ``budget`` (a
    :class:`Budget` or a dict of its fields) limits this request's tool loop (see
    ``chat.action._budget``), over the setup's and the agent's ``budget.*`` options.
    """

    EVENT_TYPE: ClassVar[str] = "_chat_request_event"
    __slots__ = ()

    def __init__(
        self,
        model: str,
        messages: Iterable[ChatMessage | dict[str, Any] | str],
        prompt_args: Mapping[str, Any] | None = None,
        output_schema: Any = None,
        budget: Any = None,
    ) -> None:
        attributes: dict[str, Any] = {
            "model": model,
            "messages": [m.to_dict() for m in coerce_messages(messages)],
            "prompt_args": dict(prompt_args or {}),
        }
        schema = OutputSchema.coerce(output_schema)
        if schema is not None:
            attributes["output_schema"] = schema.to_json()
        limits = Budget.coerce(budget)
        if limits is not None:
            attributes["budget"] = limits.to_json()
        super().__init__(type=self.EVENT_TYPE, attributes=attributes)

    @property
    def model(self) -> str:
        """The chat model setup's resource name."""
        return str(self.attributes["model"])

    @property
    def messages(self) -> list[ChatMessage]:
        """The request's messages."""
        return coerce_messages(self.attributes.get("messages") or [])

    @property
    def prompt_args(self) -> dict[str, Any]:
        """Arguments of the setup's prompt (empty when none)."""
        return dict(self.attributes.get("prompt_args") or {})

    @property
    def output_schema(self) -> OutputSchema | None:
        """The expected answer's schema (``None``: free text)."""
        return OutputSchema.coerce(self.attributes.get("output_schema"))


class ChatResponseEvent(Event):
    """The model's final answer to a :class:`ChatRequestEvent` (after any tool calls).

    Read the answer as ``event.response`` (a :class:`ChatMessage`: ``.content``,
    ``.tool_calls``, ``.extra_args``); token counts as ``event.prompt_tokens`` /
    ``event.completion_tokens``.

    Attributes (in ``attributes``, JSON for logs): ``request_id``, ``response`` (the
    ChatMessage as a dict), ``retry_count``, ``total_retry_wait_sec``, ``model``,
    ``chat_model`` (setup name), ``promptTokens``, ``completionTokens``,
    ``gen_ai.usage.input_tokens``, ``gen_ai.usage.output_tokens`` (sums over the request's
    model calls), ``turns`` (model calls), ``call_usage`` (the last call's own counts),
    ``requested_by`` (the action that sent the request).
    """

    EVENT_TYPE: ClassVar[str] = "_chat_response_event"
    __slots__ = ()

    def __init__(
        self,
        request_id: str | UUID,
        response: ChatMessage | dict[str, Any],
        retry_count: int = 0,
        total_retry_wait_sec: float = 0,
        **usage: Any,
    ) -> None:
        msg = ChatMessage.coerce(response)
        super().__init__(
            type=self.EVENT_TYPE,
            attributes={
                "request_id": str(request_id),  # Flink Agents passes a uuid.UUID
                "response": msg.to_dict(),
                "retry_count": retry_count,
                "total_retry_wait_sec": total_retry_wait_sec,
                **usage,
            },
        )

    @property
    def request_id(self) -> str:
        """The id of the :class:`ChatRequestEvent` answered."""
        return str(self.attributes["request_id"])

    @property
    def response(self) -> ChatMessage:
        """The model's answer."""
        return ChatMessage.coerce(self.attributes["response"])

    @property
    def prompt_tokens(self) -> int:
        """Prompt (input) tokens of all model calls of the request."""
        return int(self.attributes.get("promptTokens") or 0)

    @property
    def completion_tokens(self) -> int:
        """Completion (output) tokens of all model calls of the request."""
        return int(self.attributes.get("completionTokens") or 0)

    @property
    def retry_count(self) -> int:
        """Retries of the request's model calls, over all its tool-call rounds (0.4)."""
        return int(self.attributes.get("retry_count") or 0)

    @property
    def total_retry_wait_sec(self) -> float:
        """Seconds spent waiting before those retries (0.4)."""
        return float(self.attributes.get("total_retry_wait_sec") or 0)


class ToolRequestEvent(Event):
    """Tool calls requested by the model ``model`` (a setup name), run by the built-in
    tool action. ``response_content`` and ``call_usage`` keep the model turn that asked."""

    EVENT_TYPE: ClassVar[str] = "_tool_request_event"
    __slots__ = ()

    def __init__(self, model: str, tool_calls: list[dict[str, Any]], **extra: Any) -> None:
        super().__init__(
            type=self.EVENT_TYPE,
            attributes={"model": model, "tool_calls": list(tool_calls), **extra},
        )

    @property
    def model(self) -> str:
        """The chat model setup that asked."""
        return str(self.attributes["model"])

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        """The tool calls (Flink Agents' dicts)."""
        return list(self.attributes.get("tool_calls") or [])


def failed_tool_calls(attributes: Mapping[str, Any] | None) -> set[str]:
    """The ids of the failed calls a tool response event's ``attributes`` tell of, as the
    kit writes them (``errors``: a list of ids) or as Flink Agents 0.4 does (``success``:
    ``false`` by call id; ``error``: a diagnostic by call id, ``null`` for none). Anything
    malformed counts as telling nothing."""
    if not isinstance(attributes, Mapping):
        return set()
    failed: set[str] = set()
    listed = attributes.get("errors")
    if isinstance(listed, (list, tuple)):
        failed.update(str(i) for i in listed)
    success = attributes.get("success")
    if isinstance(success, Mapping):
        failed.update(str(i) for i, ok in success.items() if ok is False)
    error = attributes.get("error")
    if isinstance(error, Mapping):
        failed.update(str(i) for i, why in error.items() if why is not None)
    return failed


class ToolResponseEvent(Event):
    """Results of a :class:`ToolRequestEvent`: ``responses`` by tool-call id (a tool that
    failed answers ``"Error: ..."``). Attributes as Flink Agents 0.4 writes them
    (``request_id``, ``responses``, ``success`` and ``error`` by call id, ``external_ids``),
    plus the kit's ``errors`` (the failed calls' ids, which its readers use)."""

    EVENT_TYPE: ClassVar[str] = "_tool_response_event"
    __slots__ = ()

    def __init__(
        self,
        request_id: str | UUID,
        responses: Mapping[Any, Any],
        external_ids: Mapping[Any, str | None] | None = None,
        success: Mapping[Any, bool | None] | None = None,
        error: Mapping[Any, str | None] | None = None,
        *,
        errors: Iterable[str] = (),
    ) -> None:
        """Positional parameters as Flink Agents 0.4's; ``errors`` (keyword-only, the
        kit's): the failed calls' ids. A call is failed when listed in ``errors``, when its
        ``success`` is ``False`` or when its ``error`` is not ``None`` (as
        :func:`failed_tool_calls` reads a written event); ``success`` ``None`` and
        ``error`` ``None`` tell nothing. A failed call's ``error`` is its diagnostic when
        given, else its answer."""
        failed = [str(i) for i in errors]
        if success:
            failed += [str(i) for i, ok in success.items() if ok is False]
        given = {str(i): str(text) for i, text in (error or {}).items() if text is not None}
        failed = list(dict.fromkeys(failed + list(given)))
        # ids as strings: Flink Agents passes uuid.UUID request and tool-call ids
        answers = {str(i): v for i, v in responses.items()}
        down = set(failed)
        super().__init__(
            type=self.EVENT_TYPE,
            attributes={
                "request_id": str(request_id),
                "responses": answers,
                "success": {i: i not in down for i in answers},
                "error": {i: given.get(i, str(answers.get(i))) for i in failed},
                "external_ids": {str(i): v for i, v in (external_ids or {}).items()},
                "errors": failed,
            },
        )

    @property
    def request_id(self) -> str:
        """The id of the :class:`ToolRequestEvent` answered."""
        return str(self.attributes["request_id"])

    @property
    def responses(self) -> dict[str, Any]:
        """Tool results by tool-call id."""
        return dict(self.attributes.get("responses") or {})

    @property
    def external_ids(self) -> dict[str, str | None]:
        """The model's own id of each tool call, by tool-call id."""
        return dict(self.attributes.get("external_ids") or {})

    @property
    def success(self) -> dict[str, bool]:
        """Whether each tool call succeeded, by tool-call id (Flink Agents 0.4)."""
        stored = self.attributes.get("success")
        if isinstance(stored, dict):
            return dict(stored)
        failed = set(self.attributes.get("errors") or ())  # an event of an older kit log
        return {call_id: call_id not in failed for call_id in self.responses}

    @property
    def error(self) -> dict[str, str]:
        """The error of each failed tool call, by tool-call id (Flink Agents 0.4)."""
        stored = self.attributes.get("error")
        if isinstance(stored, dict):
            return dict(stored)
        responses = self.responses  # an event of an older kit log
        return {i: str(responses.get(i)) for i in self.attributes.get("errors") or ()}
