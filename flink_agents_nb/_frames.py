"""The record frame: one DataFrame shape for a run's records and for event-log files.

A :class:`~flink_agents_nb.Run` and an :class:`~flink_agents_nb.EventLog` both expose their
records as a frame with exactly :data:`RECORD_COLUMNS`, so the stepper, the charts and the
inspector work on either. One row per record:

- ``record_type``: ``"event"`` (an event was sent) or ``"action"`` (an action attempt ended);
- ``timestamp``: UTC ``datetime64[ns, UTC]`` (send time; start time for actions);
- ``job``, ``task``, ``subtask``: where it ran (a local run: run id, ``"local"``, 0);
- ``key``, ``seq`` (order among records), ``input_seq`` (which input caused it);
- ``event_id``, ``event_type``: the event (for an action row: the event it handled);
- ``upstream_event_id``, ``upstream_action``: lineage of an event row;
- ``action``, ``duration_ms``, ``status``, ``attempt``, ``error``: an action row;
- ``prompt_tokens``, ``completion_tokens``, ``model``: token usage on chat-response events;
- ``attributes``: the event's attributes (dict) or, for an action row, ``{"sentEventIds":
  [...], "memoryWrites": [...]}``;
- ``file``, ``line``: where a record was read from (``None`` for in-memory runs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

RECORD_COLUMNS: tuple[str, ...] = (
    "record_type",
    "timestamp",
    "job",
    "task",
    "subtask",
    "key",
    "seq",
    "input_seq",
    "event_id",
    "event_type",
    "upstream_event_id",
    "upstream_action",
    "action",
    "duration_ms",
    "status",
    "attempt",
    "error",
    "prompt_tokens",
    "completion_tokens",
    "model",
    "attributes",
    "file",
    "line",
)

_PROMPT_NAMES = ("promptTokens", "gen_ai.usage.input_tokens", "prompt_tokens", "input_tokens")
_COMPLETION_NAMES = (
    "completionTokens",
    "gen_ai.usage.output_tokens",
    "completion_tokens",
    "output_tokens",
)
_MODEL_NAMES = ("model", "gen_ai.request.model", "gen_ai.response.model", "modelName")


def _first(attrs: Mapping[str, Any], names: Iterable[str]) -> Any:
    for name in names:
        if name in attrs and attrs[name] is not None:
            return attrs[name]
    return None


def token_usage_of(attributes: Any) -> tuple[Any, Any, Any]:
    """``(prompt_tokens, completion_tokens, model)`` found in event attributes, else Nones.

    Looks at the top level and one level down (``response``, ``extra_args``, ``usage``), under
    Flink Agents' names (``promptTokens``/``completionTokens``) and OpenTelemetry GenAI names
    (``gen_ai.usage.input_tokens``/``output_tokens``).
    """
    if not isinstance(attributes, Mapping):
        return None, None, None
    scopes = [attributes]
    for nested in ("usage", "extra_args", "response"):
        inner = attributes.get(nested)
        if isinstance(inner, Mapping):
            scopes.append(inner)
            extra = inner.get("extra_args")
            if isinstance(extra, Mapping):
                scopes.append(extra)
    prompt = completion = model = None
    for scope in scopes:
        prompt = prompt if prompt is not None else _first(scope, _PROMPT_NAMES)
        completion = completion if completion is not None else _first(scope, _COMPLETION_NAMES)
        model = model if model is not None else _first(scope, _MODEL_NAMES)
    return prompt, completion, model


def record_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A frame with exactly :data:`RECORD_COLUMNS` from row dicts (missing fields: NA)."""
    frame = pd.DataFrame.from_records(rows, columns=list(RECORD_COLUMNS))
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    for col in ("duration_ms",):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    for col in ("prompt_tokens", "completion_tokens", "seq", "input_seq", "subtask", "attempt"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    return frame
