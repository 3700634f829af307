"""Chat messages (Flink Agents' ``ChatMessage``/``MessageRole``) and tool-call dicts.

A message travels in event attributes as a plain dict (:meth:`ChatMessage.to_dict`), so
events stay JSON-only. A tool call is Flink Agents' dict::

    {"id": "call_1", "type": "function",
     "function": {"name": "lookup", "arguments": {"order_id": 7}}}

with ``arguments`` a dict (an OpenAI JSON string is parsed when the response is read).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flink_agents_runtime._errors import ArgumentTypeError, ArgumentValueError


class MessageRole(str, enum.Enum):
    """Who wrote a message."""

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


#: Roles by value (a role member is found under itself too: it is a ``str``), so a message
#: is built without a call to the enum class on the hot path.
_ROLES: dict[str, MessageRole] = {r.value: r for r in MessageRole}


def _role(value: Any) -> MessageRole:
    try:
        return _ROLES[value]
    except (KeyError, TypeError):
        return MessageRole(value)  # the enum's own error for an unknown role


@dataclass
class ChatMessage:
    """One chat message.

    Attributes:
        role: system, user, assistant or tool.
        content: the text.
        tool_calls: tool calls requested by an assistant message (dicts, see module doc).
        extra_args: anything else: ``tool_call_id`` of a tool message; ``model_name``,
            ``promptTokens``, ``completionTokens`` of a model response.
    """

    role: MessageRole = MessageRole.USER
    content: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    extra_args: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.role = _role(self.role)
        if self.content is None:
            self.content = ""
        if not isinstance(self.content, str):
            raise ArgumentTypeError(
                f"ChatMessage content must be a str, got {type(self.content).__name__}"
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what events and memory hold)."""
        return {
            "role": self.role.value,
            "content": self.content,
            "tool_calls": [dict(c) for c in self.tool_calls],
            "extra_args": dict(self.extra_args),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatMessage:
        """Rebuild a message from :meth:`to_dict` output (missing fields default)."""
        return cls(
            role=_role(data.get("role", "user")),
            content=data.get("content") or "",
            tool_calls=list(data.get("tool_calls") or []),
            extra_args=dict(data.get("extra_args") or {}),
        )

    def model_dump(self, mode: str = "python", **_: Any) -> dict[str, Any]:
        """Flink Agents' (pydantic) name for :meth:`to_dict`."""
        return self.to_dict()

    @classmethod
    def model_validate(cls, data: dict[str, Any]) -> ChatMessage:
        """Flink Agents' (pydantic) name for :meth:`from_dict`."""
        return cls.from_dict(data)

    @classmethod
    def coerce(cls, value: ChatMessage | dict[str, Any] | str) -> ChatMessage:
        """A message from a message, a dict, or a str (a user message)."""
        if isinstance(value, ChatMessage):
            return value
        if isinstance(value, dict):
            return cls.from_dict(value)
        if isinstance(value, str):
            return cls(MessageRole.USER, value)
        raise ArgumentTypeError(f"expected a ChatMessage, dict or str, got {type(value).__name__}")

    def __str__(self) -> str:
        return f"{self.role.value}: {self.content}"


def coerce_messages(messages: Iterable[ChatMessage | dict[str, Any] | str]) -> list[ChatMessage]:
    """Messages from messages, dicts or strs."""
    if isinstance(messages, (str, ChatMessage, dict)):
        messages = [messages]
    return [ChatMessage.coerce(m) for m in messages]


def normalize_tool_call(call: dict[str, Any], index: int) -> dict[str, Any]:
    """Flink Agents' tool-call dict from ours or OpenAI's shape (arguments parsed to a dict).

    Accepts ``{"name", "arguments"}`` shorthand too; an id is made up (``call_<index>``)
    when missing. Raises :class:`ArgumentValueError` for a call without a function name or with
    arguments that are not a JSON object.
    """
    function = call.get("function")
    if not isinstance(function, dict):
        function = {"name": call.get("name"), "arguments": call.get("arguments", {})}
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise ArgumentValueError(f"tool call {index} has no function name: {call!r}")
    args = function.get("arguments")
    if args is None or args == "":
        args = {}
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except json.JSONDecodeError as exc:
            raise ArgumentValueError(
                f"tool call {index} ({name}): arguments are not valid JSON: {exc}: {args[:200]!r}"
            ) from None
    if not isinstance(args, dict):
        raise ArgumentValueError(
            f"tool call {index} ({name}): arguments must be a JSON object: {args!r}"
        )
    out: dict[str, Any] = {
        "id": str(call.get("id") or f"call_{index}"),
        "type": "function",
        "function": {"name": name, "arguments": args},
    }
    if call.get("original_id"):
        out["original_id"] = call["original_id"]
    return out
