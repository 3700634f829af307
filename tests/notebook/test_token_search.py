"""The token search (``run/_frames.find_token_usage``) skips leaves and dicts that hold none
of its names at C speed; it must find what the plain rule finds in any JSON tree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from flink_agents_nb.eventlog._attributes import Attributes
from flink_agents_nb.run._frames import (
    _PART_OF_A_TOTAL,
    COMPLETION_NAMES,
    MODEL_NAMES,
    PROMPT_NAMES,
    find_token_usage,
)


def _plain_rule(node: Any, model: Any, depth: int) -> tuple[Any, Any, Any] | None:
    """The rule as written before the shortcuts: every name looked up, every value visited."""
    if not isinstance(node, dict):
        if not isinstance(node, Mapping):
            return None
        node = dict(node)
    for name in MODEL_NAMES:
        if isinstance(node.get(name), str):
            model = node[name]
            break
    prompt = next((node[n] for n in PROMPT_NAMES if n in node), None)
    completion = next((node[n] for n in COMPLETION_NAMES if n in node), None)
    if prompt is not None or completion is not None:
        return prompt, completion, model
    if depth <= 0:
        return None
    for name, value in node.items():
        if name in _PART_OF_A_TOTAL:
            continue
        found = _plain_rule(value, model, depth - 1)
        if found is not None:
            return found
        if isinstance(value, list):
            for item in value[:20]:
                found = _plain_rule(item, model, depth - 1)
                if found is not None:
                    return found
    return None


_NAMES = [
    *PROMPT_NAMES,
    *COMPLETION_NAMES,
    *MODEL_NAMES,
    "call_usage",
    "messages",
    "x",
    "y",
    "usage",
]
_LEAVES: list[Any] = [None, True, 0, 7, 2.5, "m", "", 10**30]


class _Subclass(dict[str, Any]):
    """A dict subclass (not a plain dict: the search takes no shortcut with it)."""


def _tree(rng: np.random.Generator, depth: int) -> Any:
    roll = rng.random()
    if depth <= 0 or roll < 0.35:
        return _LEAVES[int(rng.integers(len(_LEAVES)))]
    if roll < 0.4:  # past the 20 items looked at: nothing found there
        return [0] * 20 + [{"promptTokens": 1}, _tree(rng, depth - 1)]
    if roll < 0.55:
        return [_tree(rng, depth - 1) for _ in range(int(rng.integers(0, 4)))]
    names = rng.choice(_NAMES, size=int(rng.integers(0, 5)), replace=False)
    node = {str(n): _tree(rng, depth - 1) for n in names}
    return _Subclass(node) if roll > 0.97 else node


def test_the_search_finds_what_the_plain_rule_finds() -> None:
    rng = np.random.default_rng(15)
    found = 0
    for _ in range(4000):
        tree = _tree(rng, 7)
        want = _plain_rule(tree, None, 4)
        assert find_token_usage(tree) == want, tree
        found += want is not None
    assert 400 < found < 3600  # both outcomes exercised
    lazy = Attributes(b'{"a": [{"b": {"promptTokens": 3, "model": "m"}}]}')
    assert find_token_usage(lazy) == (3, None, "m") == _plain_rule(lazy, None, 4)
