"""The scripted chat model: offline and deterministic, for tutorials and tests.

Rules are tried in order against the last message; the first that matches answers. A rule
looks at the last message only if its role matches the rule's ``role``: ``"user"`` (the
default) also matches a system message, so a request made of a prompt alone (a setup's
prompt becomes system messages, filled from ``prompt_args``) is matched like a user's;
``"tool"`` answers after a tool result; ``"system"`` only a system message; ``"any"``.
``match`` is a regex (searched in the content), a predicate ``f(messages) -> bool``, or
``None`` (always). ``reply`` is a template (``{0}`` the whole match, ``{1}``... groups,
``{name}`` named groups, ``{content}`` the last message; ``{{`` and ``}}`` are literal
braces, other brace text such as JSON stays as written) or ``f(messages, match) -> str``;
``tool_calls`` is a list of ``{"name", "arguments"}`` (string argument values are templates
too) or ``f(messages, match) -> list``.

Token counts (the documented tokenizer rule): ``count_tokens(text)`` is the number of
words (runs of letters, digits, underscore) plus the number of other non-space characters.
Prompt tokens: the sum over the messages of their content's count plus the count of their
tool calls' names and JSON arguments. Completion tokens: the reply's count plus the count of
its tool calls' names and JSON arguments.

Replay: :meth:`ScriptedChatModelConnection.from_event_log` answers with the responses an
event log recorded (``_chat_response_event`` answers and ``_tool_request_event`` tool
turns), per key in recorded order, with the recorded token counts.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from flink_agents_runtime._errors import ArgumentTypeError
from flink_agents_runtime.chat._errors import ChatModelError
from flink_agents_runtime.chat._message import ChatMessage, MessageRole, normalize_tool_call
from flink_agents_runtime.chat._model import CALL_KEY, BaseChatModelConnection
from flink_agents_runtime.chat._prompt import format_template
from flink_agents_runtime.chat.tools._tool import Tool

_TOKEN = re.compile(r"\w+|[^\w\s]")


def count_tokens(text: str) -> int:
    """Tokens of ``text`` under the scripted model's rule (words + other non-space chars)."""
    return len(_TOKEN.findall(text or ""))


def _calls_tokens(calls: Iterable[dict[str, Any]]) -> int:
    total = 0
    for c in calls:
        fn = c.get("function", c)
        total += count_tokens(str(fn.get("name", "")))
        total += count_tokens(json.dumps(fn.get("arguments", {}), sort_keys=True))
    return total


def prompt_tokens(messages: Sequence[ChatMessage]) -> int:
    """Prompt tokens of ``messages`` under the rule in the module docstring."""
    return sum(count_tokens(m.content) + _calls_tokens(m.tool_calls) for m in messages)


class ScriptRule:
    """One rule of a scripted model; see the module docstring."""

    def __init__(
        self,
        match: str | re.Pattern[str] | Callable[[list[ChatMessage]], Any] | None = None,
        *,
        reply: str | Callable[..., str] = "",
        tool_calls: list[dict[str, Any]] | Callable[..., list[dict[str, Any]]] | None = None,
        role: str = "user",
        flags: int = re.IGNORECASE,
    ) -> None:
        self.match = re.compile(match, flags) if isinstance(match, str) else match
        self.reply = reply
        self.tool_calls = tool_calls
        self.role = role

    @classmethod
    def coerce(cls, rule: ScriptRule | dict[str, Any] | tuple[Any, ...]) -> ScriptRule:
        """A rule from a rule, a dict of its arguments, or a ``(match, reply)`` pair."""
        if isinstance(rule, ScriptRule):
            return rule
        if isinstance(rule, dict):
            return cls(**rule)
        if isinstance(rule, tuple) and len(rule) == 2:
            return cls(rule[0], reply=rule[1])
        raise ArgumentTypeError(
            f"a script rule is a ScriptRule, dict or (match, reply), got {rule!r}"
        )

    def try_match(self, messages: list[ChatMessage]) -> tuple[bool, Any]:
        """``(matched, match object or predicate result)``."""
        last = messages[-1] if messages else ChatMessage(MessageRole.USER, "")
        role = last.role.value
        if self.role not in ("any", role) and not (self.role == "user" and role == "system"):
            return False, None
        if self.match is None:
            return True, None
        if isinstance(self.match, re.Pattern):
            m = self.match.search(last.content)
            return m is not None, m
        result = self.match(messages)
        return bool(result), result

    def answer(self, messages: list[ChatMessage], match: Any) -> tuple[str, list[dict[str, Any]]]:
        """The reply text and tool calls for a match."""
        args = _template_args(messages, match)
        text = (
            self.reply(messages, match)
            if callable(self.reply)
            else format_template(self.reply, args, "scripted reply", numeric=True)
        )
        raw = self.tool_calls(messages, match) if callable(self.tool_calls) else self.tool_calls
        calls = []
        for i, c in enumerate(raw or []):
            fn = c.get("function", c)
            arguments = {
                k: format_template(v, args, "scripted tool argument", True)
                if isinstance(v, str)
                else v
                for k, v in (fn.get("arguments") or {}).items()
            }
            call_id = c.get("id") or f"call_{len(messages)}_{i}"
            calls.append(normalize_tool_call({"id": call_id, **fn, "arguments": arguments}, i))
        return text, calls


def _template_args(messages: list[ChatMessage], match: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"content": messages[-1].content if messages else ""}
    if isinstance(match, re.Match):
        args["0"] = match.group(0)
        for i, g in enumerate(match.groups(), 1):
            args[str(i)] = g if g is not None else ""
        args.update({k: v if v is not None else "" for k, v in match.groupdict().items()})
    elif isinstance(match, dict):
        args.update(match)
    return args


class ScriptedChatModelConnection(BaseChatModelConnection):
    """A deterministic chat model from rules, or a replay of recorded answers.

    Args:
        rules: :class:`ScriptRule` objects, dicts of their arguments, or ``(regex, reply)``.
        default_reply: the answer when no rule matches (``None``: raise
            :class:`ChatModelError` naming the unmatched message).
        model_name: reported as the model that answered (unless the setup names a model).
        replay: recorded answers by key (see :meth:`from_event_log`).
    """

    def __init__(
        self,
        rules: Iterable[ScriptRule | dict[str, Any] | tuple[Any, ...]] = (),
        *,
        default_reply: str | None = None,
        model_name: str = "scripted",
        replay: dict[Any, list[dict[str, Any]]] | None = None,
    ) -> None:
        self.rules = [ScriptRule.coerce(r) for r in rules]
        self.default_reply = default_reply
        self.model_name = model_name
        self.replay = replay
        self._queues: dict[Any, deque[dict[str, Any]]] | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_queues"] = None
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def chat(
        self, messages: Sequence[ChatMessage], tools: Sequence[Tool] | None = None, **kwargs: Any
    ) -> ChatMessage:
        msgs = list(messages)
        model = str(kwargs.get("model") or self.model_name)
        if self.replay is not None:
            return self._replayed(model)
        for rule in self.rules:
            matched, match = rule.try_match(msgs)
            if matched:
                text, calls = rule.answer(msgs, match)
                break
        else:
            if self.default_reply is None:
                last = msgs[-1] if msgs else None
                raise ChatModelError(
                    f"scripted model {model!r}: no rule matches the last message {str(last)!r}"
                    " (add a rule or a default_reply)"
                )
            text, calls = self.default_reply, []
        return ChatMessage(
            MessageRole.ASSISTANT,
            text,
            tool_calls=calls,
            extra_args={
                "model_name": model,
                "promptTokens": prompt_tokens(msgs),
                "completionTokens": count_tokens(text) + _calls_tokens(calls),
            },
        )

    # -- replay ------------------------------------------------------------------------
    def _replayed(self, model: str) -> ChatMessage:
        key = CALL_KEY.get(None)
        with self._lock:
            if self._queues is None:
                self._queues = {k: deque(v) for k, v in (self.replay or {}).items()}
            queue = self._queues.get(key)
            if queue is None and key is not None:
                queue = self._queues.get(str(key))
            if queue is None:
                queue = self._queues.get(None)
            if not queue:
                raise ChatModelError(
                    f"replay: no recorded answer left for key {key!r} "
                    f"(recorded keys: {sorted(map(str, self._queues))[:10]})"
                )
            recorded = queue.popleft()
        msg = ChatMessage.from_dict(recorded["response"])
        msg.extra_args = {
            **msg.extra_args,
            "model_name": recorded.get("model") or msg.extra_args.get("model_name") or model,
            "promptTokens": int(recorded.get("promptTokens") or 0),
            "completionTokens": int(recorded.get("completionTokens") or 0),
        }
        return msg

    @classmethod
    def from_event_log(
        cls, records: str | Path | Iterable[dict[str, Any]], *, model_name: str = "replay"
    ) -> ScriptedChatModelConnection:
        """A model that answers as recorded in an event log.

        ``records`` is a JSON Lines path, an iterable of record dicts, flat (this kit) or
        nested (Apache Flink Agents 0.3.1's ``{"event": {...}}``), or a records DataFrame
        (``Run.events``: ``event_type``, ``attributes``, ``key``, ``seq`` columns).
        Answers are queued per ``key`` in record order (``seq`` when present); records
        without a key share one queue.
        """
        recorded: dict[Any, list[tuple[int, dict[str, Any]]]] = {}
        for pos, rec in enumerate(_read_records(records)):
            nested = rec.get("event")
            event: dict[str, Any] = nested if isinstance(nested, dict) else rec
            etype = event.get("eventType") or event.get("event_type") or event.get("type")
            attrs = event.get("eventAttributes") or event.get("attributes") or {}
            if not isinstance(attrs, dict):
                continue  # not a record this replay can use
            key = rec.get("key", event.get("key"))
            if isinstance(key, (list, dict)):  # a key must be hashable: its JSON text
                key = json.dumps(key, sort_keys=True)
            order = rec.get("seq", pos) if isinstance(rec.get("seq"), int) else pos
            entry = _entry(etype, attrs)
            if entry is not None:
                recorded.setdefault(key, []).append((order, entry))
        replay = {k: [e for _, e in sorted(v, key=lambda t: t[0])] for k, v in recorded.items()}
        return cls(model_name=model_name, replay=replay)


def _entry(etype: Any, attrs: dict[str, Any]) -> dict[str, Any] | None:
    if etype == "_tool_request_event":
        usage = attrs.get("call_usage") or {}
        return {
            "response": {
                "role": "assistant",
                "content": attrs.get("response_content") or "",
                "tool_calls": attrs.get("tool_calls") or [],
            },
            "model": attrs.get("model_name"),
            **usage,
        }
    if etype == "_chat_response_event":
        response = attrs.get("response") or {}
        extra = response.get("extra_args") or {} if isinstance(response, dict) else {}
        usage = attrs.get("call_usage") or {
            "promptTokens": attrs.get("promptTokens", extra.get("promptTokens", 0)),
            "completionTokens": attrs.get("completionTokens", extra.get("completionTokens", 0)),
        }
        if isinstance(response, str):
            response = {"role": "assistant", "content": response}
        return {"response": response, "model": attrs.get("model"), **usage}
    return None


def _read_records(records: str | Path | Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    to_dict = getattr(records, "to_dict", None)
    if callable(to_dict):  # a DataFrame (duck-typed: the runtime does not import pandas)
        yield from to_dict("records")
        return
    if not isinstance(records, (str, Path)):
        yield from records
        return
    path = Path(records)
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw)
            except (ValueError, RecursionError) as exc:  # bad JSON, not UTF-8, too deep
                reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
                raise ChatModelError(f"{path}:{lineno}: not a JSON record: {reason}") from None
            if isinstance(rec, dict):
                yield rec
