"""Input keys checked at the edge: a key must be hashable, and keys that Python treats as
equal (``1``, ``1.0``, ``True``) are one key, which is worth a warning."""

from __future__ import annotations

import logging
from typing import Any

from flink_agents_runtime._errors import InputError

logger = logging.getLogger(__name__)


class _Warned:
    """Marker in :func:`check_key`'s ``seen``: this key's type mix was reported."""


def check_key(key: Any, seen: dict[Any, type]) -> None:
    """Refuse an unhashable key (:class:`InputError` naming it); warn once when ``key``
    equals a key seen before with another type (``1`` after ``True``: they share one key's
    memory and input order). ``seen`` maps each key to the type it was first seen with."""
    try:
        first = seen.setdefault(key, type(key))
    except TypeError:
        raise InputError(
            f"input key {short_repr(key)} is a {type(key).__name__}, which cannot be a key "
            "(keys must be hashable: str, int, a tuple ...); convert it, e.g. "
            "tuple(key) or str(key)"
        ) from None
    if first is not type(key) and first is not _Warned:
        seen[key] = _Warned
        logger.warning(
            "input keys %r (%s) and an earlier key of type %s are equal in Python, so they "
            "are one key: they share short-term memory and input order; use one type for "
            "keys (e.g. str) to keep them apart",
            key,
            type(key).__name__,
            first.__name__,
        )


def short_repr(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
