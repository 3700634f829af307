"""The call source: where the built-in chat and tool actions get their answers.

By default a model call goes to the chat model setup and a tool call to the tool ("live").
An :class:`ExecutionCore` built with ``call_source=`` lets something else decide, per call,
without patching anything: a replay answers from a recorded run, a fork answers with another
model after its fork point. The built-in actions describe each call as a :class:`CallSite`
and run whatever callable :meth:`CallSource.resolve` returns (through
``ctx.durable_execute(_async)`` as before, so durability and async waiting are unchanged).

The callable returns what the live call returns: for a chat call ``{"response": ChatMessage
dict, "retries": int, "waited": seconds}``, for a tool call ``{"ok": bool, "content": ...}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

Outcome = dict[str, Any]


@dataclass(frozen=True)
class CallSite:
    """One model or tool call about to be made by a built-in action.

    Attributes:
        kind: ``"chat"`` or ``"tool"``.
        key: the key of the input being processed.
        input_seq: which input of the core (arrival order of its start, from 0).
        action: the action making the call (``chat_model_action`` / ``tool_call_action``).
        name: the chat model setup's resource name, or the tool's name.
        request: JSON data of the call: chat ``{"messages", "prompt_args"}`` (the
            conversation as the action holds it, before the setup's prompt), tool
            ``{"call_id", "arguments"}``.
        resource: the setup or tool object that the live call would use.
        with_resource: ``with_resource(other)`` is the same call made with another setup
            (chat) or tool (a fork's ``model=``).
    """

    kind: str
    key: Any
    input_seq: int
    action: str
    name: str
    request: dict[str, Any]
    resource: Any = field(default=None, compare=False, repr=False)
    with_resource: Callable[[Any], Callable[[], Outcome]] | None = field(
        default=None, compare=False, repr=False
    )

    def describe(self) -> str:
        """A short text naming the call: ``chat model 'triage' (key 'ada', input 3)``."""
        what = "chat model" if self.kind == "chat" else "tool"
        extra = f", call {self.request.get('call_id')}" if self.kind == "tool" else ""
        return f"{what} {self.name!r} (key {self.key!r}, input {self.input_seq}{extra})"


class CallSource(Protocol):
    """Decides how a call is answered; called on the driver thread, once per call."""

    def resolve(self, site: CallSite, live: Callable[[], Outcome]) -> Callable[[], Outcome]:
        """The callable that answers ``site``: ``live`` itself, or another one."""


def call_source_of(ctx: Any) -> CallSource | None:
    """The call source of the core running ``ctx`` (``None``: every call is live)."""
    core = getattr(ctx, "_core", None)
    return getattr(core, "call_source", None)


def input_seq_of(ctx: Any) -> int:
    """The input sequence number of the cascade ``ctx`` serves (-1 when unknown)."""
    seq = getattr(ctx, "_input_seq", None)
    return seq if isinstance(seq, int) else -1
