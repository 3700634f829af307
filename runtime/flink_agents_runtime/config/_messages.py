"""How values and keys appear in configuration error messages: cut to a readable length,
and secret values never shown."""

from __future__ import annotations

from typing import Any

from flink_agents_runtime.config._options import ConfigOption

#: Longest value or key quoted in a config error message (characters).
MAX_QUOTED = 120


def short_text(value: Any, limit: int = MAX_QUOTED) -> str:
    """``repr(value)``, cut to ``limit`` characters with a note of the full length."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def shown_value(option: ConfigOption | None, value: Any) -> str:
    """How a value appears in a message: secrets (``openai.api-key``, URLs that may hold a
    password) as ``<hidden str of N characters>``, others by :func:`short_text`."""
    if option is not None and option.secret:
        size = f" of {len(value)} characters" if isinstance(value, (str, bytes)) else ""
        return f"<hidden {type(value).__name__}{size}>"
    return short_text(value)
