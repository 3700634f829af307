"""Token prices for the charts: reuse ``flink_agents_nb._costs`` when present, else a table.

A price table maps a model name to USD per million prompt and completion tokens:
``{"gpt-4o": {"input": 2.5, "output": 10.0}}`` (``prompt``/``completion`` are accepted too, or
a ``(input, output)`` pair). Without an explicit table, ``conf/prices.yaml`` in the working
directory is read if it exists (a ``models:`` or ``prices:`` mapping, or a plain mapping).
Cost is derived here and never logged.
"""

from __future__ import annotations

import logging
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _table_from_file(path: str) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        return {}
    import yaml

    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        logger.warning("could not read prices from %s: %s", path, exc)
        return {}
    for section in ("models", "prices"):
        if isinstance(data.get(section), dict):
            return dict(data[section])
    return dict(data) if isinstance(data, dict) else {}


def _per_million(entry: Any) -> tuple[float, float] | None:
    if isinstance(entry, (list, tuple)) and len(entry) == 2:
        return float(entry[0]), float(entry[1])
    if isinstance(entry, dict):
        inp = next((entry[k] for k in ("input", "prompt", "input_per_1m") if k in entry), None)
        out = next(
            (entry[k] for k in ("output", "completion", "output_per_1m") if k in entry), None
        )
        if inp is not None and out is not None:
            return float(inp), float(out)
    return None


def cost_of(model: Any, prompt: int, completion: int, prices: Any = None) -> float:
    """USD cost of ``prompt`` and ``completion`` tokens of ``model``; NaN when unpriced.

    ``prices``: a table as in the module docstring; ``None`` uses ``_costs`` (issue 4) when it
    exists, else ``conf/prices.yaml``.
    """
    if prices is None:
        try:
            from flink_agents_nb import _costs  # type: ignore[attr-defined]

            fn = getattr(_costs, "cost_of", None) or getattr(_costs, "cost", None)
            if callable(fn):
                value = fn(model, int(prompt), int(completion))
                return math.nan if value is None else float(value)
        except ImportError:
            pass
        except Exception as exc:  # their API may differ: fall back to the table
            logger.debug("flink_agents_nb._costs did not price %r: %s", model, exc)
        prices = _table_from_file(str(Path("conf/prices.yaml").resolve()))
    entry = _per_million(prices.get(str(model))) if isinstance(prices, dict) else None
    if entry is None:
        return math.nan
    return (prompt * entry[0] + completion * entry[1]) / 1e6
