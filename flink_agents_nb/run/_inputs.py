"""The inputs a notebook gives ``promote``, ``submit`` and ``export``, as ``(key, value)``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from flink_agents_nb.run._environment import frame_to_pairs
from flink_agents_runtime import InputError
from flink_agents_runtime.engine._inputs import Pairs, dict_pairs


def input_pairs(
    data: Any, key: str | None = None, value: str | None = None, columns: Any = None
) -> Pairs:
    """``(key, value)`` per input from a DataFrame (see ``frame_to_pairs``), a list of
    ``{"key": ..., "value": ...}`` dicts (a missing key is the position), or pairs (kept)."""
    if isinstance(data, pd.DataFrame):
        return frame_to_pairs(data, key, value, columns)
    if key is not None or value is not None or columns is not None:
        raise InputError("key=/value=/columns= name DataFrame columns; pass a DataFrame")
    if isinstance(data, Pairs):
        return data
    if not isinstance(data, Sequence):
        raise InputError(f"promote takes a DataFrame or a list of dicts, got {type(data).__name__}")
    if data and all(isinstance(item, tuple) and len(item) == 2 for item in data):
        return Pairs(data)
    return Pairs(dict_pairs(data))
