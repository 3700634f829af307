"""Budgets of agent loops: how many model calls, tokens and how much wall time one chat
request (its tool loop) may spend.

A budget comes from, most specific first: the request (``ChatRequestEvent(budget=...)``),
the chat model setup (``budget.setup.<name>.*`` options), the agent (``budget.*``
options). Each limit is taken from the most specific source that sets it. Besides, the
``budget.input.*`` options limit all chat requests of one input together (their model
calls, tokens, and the wall time since the input's first request); their limits are named
``input_turns``, ``input_tokens``, ``input_wall_time``.

Before each model call the built-in chat action checks the request's spending:

- turns: soft: the call would be the ``max_turns``-th; hard: ``max_turns`` calls were made;
- tokens: prompt + completion tokens so far reached ``max_tokens``;
- wall time: ``max_wall_time_ms`` have passed since the request was first handled.

Then, in ``soft`` mode the call becomes the final answer: it is made without tools, after a
user message saying the budget is spent (tool calls in that answer are dropped); in
``hard`` mode (or once a soft final answer was already given) no call is made and the
request ends with a failed ``ChatResponseEvent`` (``status: "failed"``, ``error``). Either
way the response carries ``budget``: the limits, what was spent and which limit stopped it,
and the chat action counts ``budget.<limit>.softStops`` / ``hardStops``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from functools import cached_property, partial
from typing import Any

from flink_agents_runtime._errors import ArgumentTypeError, ArgumentValueError

MODES = ("soft", "hard")
_FIELDS = {
    "max_turns": "max-turns",
    "max_tokens": "max-tokens",
    "max_wall_time_ms": "max-wall-time-ms",
}


@dataclass(frozen=True)
class Budget:
    """Limits of one chat request (``None``: no limit); ``mode`` ``soft`` or ``hard``."""

    max_turns: int | None = None
    max_tokens: int | None = None
    max_wall_time_ms: int | None = None
    mode: str | None = None

    def __post_init__(self) -> None:
        if self.mode is not None and self.mode not in MODES:
            raise ArgumentValueError(f"budget mode must be one of {MODES}, got {self.mode!r}")
        for name in _FIELDS:
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ArgumentValueError(f"budget {name} must be a non-negative int, got {value!r}")

    @classmethod
    def coerce(cls, value: Budget | dict[str, Any] | None) -> Budget | None:
        """A budget from a budget, a dict of its fields, or ``None``."""
        if value is None or isinstance(value, Budget):
            return value
        if isinstance(value, dict):
            return cls(**{k: v for k, v in value.items() if v is not None})
        raise ArgumentTypeError(f"a budget is a Budget or a dict, got {type(value).__name__}")

    def to_json(self) -> dict[str, Any]:
        """The set fields."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @cached_property
    def limited(self) -> bool:
        """Whether any limit is set (the budget is frozen: worked out once)."""
        return any(getattr(self, name) is not None for name in _FIELDS)


def resolve_budget(config: Any, setup_name: str, request: dict[str, Any] | None) -> Budget:
    """The request's budget merged over the setup's and the agent's options (those two are
    read once per configuration and setup: ``AgentConfiguration.derived``)."""
    base = config.derived(("budget.setup", setup_name), partial(_configured, setup_name=setup_name))
    if not request:
        return base
    merged = {k: v for k, v in asdict(base).items() if v is not None}
    merged.update({k: v for k, v in dict(request).items() if v is not None})
    return Budget(**merged)


def _configured(config: Any, setup_name: str) -> Budget:
    """The setup's budget options merged over the agent's."""
    merged: dict[str, Any] = {}
    layers = [
        {name: config.get(f"budget.{key}") for name, key in _FIELDS.items()}
        | {"mode": config.get("budget.mode")},
        {name: config.get(f"budget.setup.{setup_name}.{key}") for name, key in _FIELDS.items()}
        | {"mode": config.get(f"budget.setup.{setup_name}.mode")},
    ]
    for layer in layers:
        merged.update({k: v for k, v in layer.items() if v is not None})
    return Budget(**merged)


def input_budget(config: Any) -> Budget:
    """The budget of all chat requests of one input together (``budget.input.*``; read once
    per configuration)."""
    return config.derived("budget.input", _input_budget)


def _input_budget(config: Any) -> Budget:
    values = {name: config.get(f"budget.input.{key}") for name, key in _FIELDS.items()}
    return Budget(
        **{k: v for k, v in values.items() if v is not None}, mode=config.get("budget.mode")
    )


def spent(state: dict[str, Any], now_ns: int | None = None) -> dict[str, int]:
    """What the request has spent: ``turns``, ``tokens``, ``wall_time_ms``."""
    now = time.time_ns() if now_ns is None else now_ns
    return {
        "turns": int(state["turns"]),
        "tokens": int(state["prompt_tokens"]) + int(state["completion_tokens"]),
        "wall_time_ms": max(0, (now - int(state.get("started_ns") or now)) // 1_000_000),
    }


def exceeded(budget: Budget, used: dict[str, int]) -> str | None:
    """The first limit that stops another normal model call (``turns``, ``tokens``,
    ``wall_time``), or ``None``. Soft turns: the ``max_turns``-th call is the final answer;
    hard turns: no call after the ``max_turns``-th."""
    if budget.max_turns is not None:
        last = budget.max_turns if budget.mode == "hard" else budget.max_turns - 1
        if used["turns"] >= last:
            return "turns"
    if budget.max_tokens is not None and used["tokens"] >= budget.max_tokens:
        return "tokens"
    if budget.max_wall_time_ms is not None and used["wall_time_ms"] >= budget.max_wall_time_ms:
        return "wall_time"
    return None


FINAL_ANSWER_PROMPT = (
    "The budget of this request is spent ({limit}). Do not call tools; answer now with what "
    "you have."
)
