"""Fast paths of the reader for two common record shapes, giving the general code's results.

- :func:`nested_plain`: Flink Agents 0.3.1 nested records whose event holds only the fields
  the general conversion does not copy into the attributes, converted column-wise;
- :func:`chat_response_usage`: Flink Agents' chat-response token usage
  (``response.extra_args.promptTokens``) read directly instead of searched for.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas._libs.lib import to_object_array_tuples

from flink_agents_nb.eventlog._files import MISSING, RECORD_FIELDS
from flink_agents_nb.run._frames import _COMPLETION as _COMPLETION_NAMES
from flink_agents_nb.run._frames import _MODEL as _MODEL_NAMES
from flink_agents_nb.run._frames import _PROMPT as _PROMPT_NAMES

#: The fields of a 0.3.1 nested event that are not copied into its attributes.
NESTED_SKIP = frozenset({"eventType", "eventClass", "id", "attributes", "type", "sourceTimestamp"})
_F = {name: j for j, name in enumerate(RECORD_FIELDS)}

#: What a plain nested event holds (anything else is copied into its attributes, one by one).
_PLAIN_EVENT = NESTED_SKIP
#: Top-level fields a nested record keeps (the rest become missing, as in _from_nested).
_NESTED_KEEPS = {"timestamp", "jobId", "taskName", "subtaskIndex", "subtaskId", "key", "eventType"}
_NESTED_CLEAR = [j for name, j in _F.items() if name not in _NESTED_KEEPS]


def nested_plain(table: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Convert the nested records at ``rows`` whose event holds only the fields
    :func:`~._columns._from_nested` does not copy (the common 0.3.1 shape) in place, column-wise, to
    what :func:`~._columns._from_nested` would give; returns which of ``rows`` were converted."""
    events = table[rows, _F["event"]].tolist()
    plain = np.fromiter(
        (
            type(e) is dict and e.keys() <= _PLAIN_EVENT and type(e.get("attributes")) is dict
            for e in events
        ),
        bool,
        len(events),
    )
    done = rows[plain]
    if not len(done):
        return plain
    picked = [e for e, ok in zip(events, plain.tolist(), strict=True) if ok]
    top_types = table[done, _F["eventType"]]
    values = to_object_array_tuples(
        [(e.get("id"), e.get("eventType") or e.get("type"), e["attributes"]) for e in picked]
    ).reshape(len(picked), 3)
    types = values[:, 1]
    fallback = pd.isna(types) | (types == "")
    types[fallback] = top_types[fallback]
    upstream_id = table[done, _F["upstreamEventId"]]
    upstream_action = table[done, _F["upstreamActionName"]]
    for j in _NESTED_CLEAR:
        table[done, j] = MISSING
    table[done, _F["recordType"]] = "event"
    table[done, _F["eventId"]] = values[:, 0]
    table[done, _F["eventType"]] = types
    table[done, _F["eventAttributes"]] = values[:, 2]
    table[done, _F["upstreamEventId"]] = upstream_id
    table[done, _F["upstreamActionName"]] = upstream_action
    return plain


_USAGE_KEYS = frozenset(
    ("promptTokens", "prompt_tokens", "gen_ai.usage.input_tokens", "input_tokens",
     "completionTokens", "completion_tokens", "gen_ai.usage.output_tokens", "output_tokens",
     "model", "model_name", "modelName", "gen_ai.response.model", "gen_ai.request.model")
)  # fmt: skip


def _plain_before(node: dict[str, Any], key: str) -> bool:
    """Whether ``node`` has no usage or model names and no nested value before ``key``
    (so the general search would reach ``node[key]`` first)."""
    if not _USAGE_KEYS.isdisjoint(node):
        return False
    for name, value in node.items():
        if name == key:
            return True
        if type(value) is dict or type(value) is list:
            return False
    return False


def chat_response_usage(attrs: Any) -> tuple[Any, Any, Any] | None:
    """Flink Agents' chat response shape (``response.extra_args.promptTokens``) read
    directly; ``None`` for any other shape (then :func:`find_token_usage` searches). Gives
    what :func:`find_token_usage` would."""
    if type(attrs) is not dict or not _plain_before(attrs, "response"):
        return None
    response = attrs["response"]
    if type(response) is not dict or not _plain_before(response, "extra_args"):
        return None
    extra = response["extra_args"]
    if type(extra) is not dict:
        return None
    return find_token_usage_flat(extra)


def find_token_usage_flat(node: dict[str, Any]) -> tuple[Any, Any, Any] | None:
    """Usage keys of one dict (no search below it), as :func:`find_token_usage` reads them."""
    prompt = completion = model = None
    for n in _PROMPT_NAMES:  # loops, not generators: this runs per chat response
        if n in node:
            prompt = node[n]
            break
    for n in _COMPLETION_NAMES:
        if n in node:
            completion = node[n]
            break
    if prompt is None and completion is None:
        return None
    for n in _MODEL_NAMES:
        if type(v := node.get(n)) is str:
            model = v
            break
    return prompt, completion, model
