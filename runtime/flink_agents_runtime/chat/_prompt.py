"""Prompts: text or message templates with named ``{arguments}`` (Flink Agents' ``Prompt``).

Placeholders are ``{name}`` with ``name`` an identifier; ``{{`` and ``}}`` are literal braces.
Any other brace text (``{"a": 1}`` in a JSON example) is left as written, so prompts can
show JSON without escaping. Formatting without an argument the template uses raises
:class:`PromptError` naming every missing one; extra arguments are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flink_agents_runtime._errors import ArgumentTypeError
from flink_agents_runtime.api._agent import ResourceType
from flink_agents_runtime.chat._errors import PromptError
from flink_agents_runtime.chat._message import ChatMessage, MessageRole, coerce_messages

_FIELD = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_FIELD_NUMERIC = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*|[0-9]+)\}")


def template_fields(text: str, numeric: bool = False) -> list[str]:
    """The argument names ``text`` uses, in order of first use (``numeric``: ``{0}`` too)."""
    seen: dict[str, None] = {}
    for m in (_FIELD_NUMERIC if numeric else _FIELD).finditer(text):
        if m.group(1):
            seen.setdefault(m.group(1), None)
    return list(seen)


def format_template(
    text: str, args: Mapping[str, Any], where: str = "prompt", numeric: bool = False
) -> str:
    """``text`` with every ``{name}`` replaced by ``str(args[name])`` (``numeric``: also
    ``{0}``, ``{1}``... by ``args["0"]``...).

    Raises :class:`PromptError` naming all missing arguments.
    """
    used = template_fields(text, numeric)
    missing = sorted(n for n in used if n not in args)
    if missing:
        raise PromptError(
            f"{where} is missing argument(s) {missing}; it uses {used}, got {sorted(args)}",
            missing=missing,
        )

    def sub(m: re.Match[str]) -> str:
        if m.group(1):
            return str(args[m.group(1)])
        return m.group(0)[0]

    return (_FIELD_NUMERIC if numeric else _FIELD).sub(sub, text)


class Prompt:
    """A prompt template: one text, or a list of messages.

    Build with :meth:`from_text` or :meth:`from_messages`; declare on an agent with
    ``@prompt`` or ``add_resource(name, ResourceType.PROMPT, prompt)`` and reference it by
    name from a chat model setup (``prompt="name"``).
    """

    resource_type = ResourceType.PROMPT

    def __init__(self, template: str | list[ChatMessage]) -> None:
        self.template = template

    @staticmethod
    def from_text(text: str) -> Prompt:
        """A prompt from one text template."""
        if not isinstance(text, str):
            raise ArgumentTypeError(f"Prompt.from_text takes a str, got {type(text).__name__}")
        return Prompt(text)

    @staticmethod
    def from_messages(messages: Iterable[ChatMessage | dict[str, Any] | str]) -> Prompt:
        """A prompt from message templates (each message's content is a template)."""
        return Prompt(coerce_messages(messages))

    @property
    def arguments(self) -> list[str]:
        """The argument names the template uses, in order of first use."""
        if isinstance(self.template, str):
            return template_fields(self.template)
        seen: dict[str, None] = {}
        for m in self.template:
            for name in template_fields(m.content):
                seen.setdefault(name, None)
        return list(seen)

    def _check(self, args: Mapping[str, Any]) -> None:
        missing = sorted(n for n in self.arguments if n not in args)
        if missing:
            raise PromptError(
                f"prompt is missing argument(s) {missing}; it uses {self.arguments}, "
                f"got {sorted(args)}",
                missing=missing,
            )

    def format_string(self, **kwargs: Any) -> str:
        """The filled template as one text (messages as ``role: content`` lines)."""
        self._check(kwargs)
        if isinstance(self.template, str):
            return format_template(self.template, kwargs)
        return "\n".join(
            f"{m.role.value}: {format_template(m.content, kwargs)}" for m in self.template
        )

    def format_messages(
        self, role: MessageRole | str = MessageRole.SYSTEM, **kwargs: Any
    ) -> list[ChatMessage]:
        """The filled template as messages (a text template becomes one ``role`` message)."""
        self._check(kwargs)
        if isinstance(self.template, str):
            return [ChatMessage(MessageRole(role), format_template(self.template, kwargs))]
        return [
            ChatMessage(m.role, format_template(m.content, kwargs), extra_args=dict(m.extra_args))
            for m in self.template
        ]

    def __repr__(self) -> str:
        kind = "text" if isinstance(self.template, str) else f"{len(self.template)} messages"
        return f"Prompt({kind}, arguments={self.arguments})"
