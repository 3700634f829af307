"""Inputs the kit feeds to a Flink job carry their position in the input.

A local run numbers inputs by arrival (``input_seq`` 0, 1, ...); on Flink the inputs of one
key go to one subtask and several subtasks run at once, so the number travels with the input
instead: both drivers then give an input the same ``input_seq``.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class InputPair(NamedTuple):
    """An input the kit feeds to a Flink job: key, value and its position in the input
    (the Flink function uses it as ``input_seq``, the number a local run gives the same
    input, so that both drivers number inputs alike)."""

    key: Any
    value: Any
    seq: int


def input_pairs(pairs: Any) -> list[InputPair]:
    """``(key, value)`` pairs as :class:`InputPair` elements numbered from 0."""
    return [InputPair(k, v, i) for i, (k, v) in enumerate(pairs)]
