"""Where two JSON values first differ, as text (for divergence details)."""

from __future__ import annotations

import json
from typing import Any


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """The first place where ``a`` and ``b`` differ, as ``path: a -> b``; ``None`` if equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            sub = f"{path}.{k}" if path else str(k)
            if k not in a:
                return f"{sub}: absent -> {_short(b[k])}"
            if k not in b:
                return f"{sub}: {_short(a[k])} -> absent"
            found = first_difference(a[k], b[k], sub)
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        if len(a) != len(b):
            return f"{path}: {len(a)} items -> {len(b)} items"
        return None
    if a != b:
        return f"{path or 'value'}: {_short(a)} -> {_short(b)}"
    return None
