"""Inputs as ``(key, value)`` pairs: what the execution core takes, end to end.

Both drivers hand the core one ``(key, value)`` per input. ``from_list`` takes Flink Agents'
dicts (``{"key": k, "value": v}``, also ``k``/``v``), turned into pairs once by
:func:`dict_pairs`; a DataFrame or ``promote`` gives :class:`Pairs` directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from flink_agents_runtime._errors import InputError

__all__ = ["Pairs", "dict_pairs"]


class Pairs(list[tuple[Any, Any]]):
    """Inputs already as ``(key, value)`` pairs (a list, so runs know their size)."""


def dict_pairs(inputs: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
    """``(key, value)`` of each ``{"key": k, "value": v}`` dict (``k``/``v`` too); a missing
    key is the input's position. Raises :class:`InputError` naming the input that is not a
    dict or has no value."""
    for index, item in enumerate(inputs):
        if not isinstance(item, dict):
            raise InputError(
                f"input {index} is a {type(item).__name__}; from_list takes dicts like "
                "{'key': ..., 'value': ...}"
            )
        if "value" in item:
            value = item["value"]
        elif "v" in item:
            value = item["v"]
        else:
            raise InputError(
                f"input {index} has no 'value' (or 'v') field; its fields are {sorted(item)}"
            )
        key = item["key"] if "key" in item else item.get("k", index)
        yield key, value
