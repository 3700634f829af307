"""What the built-in chat action reads of the agent's configuration, read once.

:func:`chat_settings` builds it on first use and keeps it with the configuration
(``AgentConfiguration.derived``: kept until a value of that configuration is set), so each
agent's own configuration still applies; values do not change during a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ChatSettings", "chat_settings"]


@dataclass(frozen=True)
class ChatSettings:
    """The chat action's options: ``chat.max-turns``; ``retries``: ``max-retries`` under the
    ``retry`` error-handling strategy, else 0; ``wait_s``: ``retry-wait-interval`` (seconds);
    ``use_async``: ``chat.async``."""

    max_turns: int
    retries: int
    wait_s: float
    use_async: bool


def chat_settings(config: Any) -> ChatSettings:
    """The chat action's options of ``config`` (an ``AgentConfiguration``), read once."""
    return config.derived("chat.action", _read)


def _read(config: Any) -> ChatSettings:
    strategy = config.get("error-handling-strategy")
    return ChatSettings(
        max_turns=int(config.get("chat.max-turns")),
        retries=int(config.get("max-retries")) if strategy == "retry" else 0,
        wait_s=float(config.get("retry-wait-interval")),
        use_async=bool(config.get("chat.async")),
    )
