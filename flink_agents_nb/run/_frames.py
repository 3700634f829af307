"""The record frame: one DataFrame shape for a run's records and for event-log files.

A :class:`~flink_agents_nb.Run` and an :class:`~flink_agents_nb.EventLog` both expose their
records as a frame with exactly :data:`RECORD_COLUMNS`, so the stepper, the charts and the
inspector work on either. One row per record:

- ``record_type``: ``"event"`` (an event was sent) or ``"action"`` (an action attempt ended);
  Flink Agents 0.4 trace logs also have ``"call"`` (an llm/tool/parser call ended) and
  ``"start"`` (a ``started`` record), and seven more columns (``run_id``, ``entity_type``,
  ..., ``agent_name``; see ``flink_agents_nb.eventlog.trace._trace``);
- ``timestamp``: UTC ``datetime64[ns, UTC]`` (send time; start time for actions);
- ``job``, ``task``, ``subtask``: where it ran (a local run: run id, ``"local"``, 0);
- ``key``, ``seq`` (order among records), ``input_seq`` (which input caused it);
- ``event_id``, ``event_type``: the event (for an action row: the event it handled);
- ``upstream_event_id``, ``upstream_action``: lineage of an event row;
- ``action``, ``duration_ms``, ``status``, ``attempt``, ``error``: an action row;
- ``prompt_tokens``, ``completion_tokens``, ``model``: token usage on chat-response events;
- ``attributes``: the event's attributes (a ``Mapping``: a dict, or for logs read from
  files lazily decoded, see ``flink_agents_nb.eventlog._reader``) or, for an action row,
  ``{"sentEventIds": [...], "memoryWrites": [...]}``;
- ``file``, ``line``: where a record was read from (``None`` for in-memory runs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from flink_agents_runtime.timetravel import rows_of_result

if TYPE_CHECKING:
    from flink_agents_runtime import RunResult

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

#: Names of token counts and model, in order of preference: Flink Agents' (``promptTokens``),
#: OpenTelemetry GenAI (``gen_ai.usage.input_tokens``) and common client spellings.
PROMPT_NAMES = ("promptTokens", "prompt_tokens", "gen_ai.usage.input_tokens", "input_tokens")
COMPLETION_NAMES = (
    "completionTokens",
    "completion_tokens",
    "gen_ai.usage.output_tokens",
    "output_tokens",
)
MODEL_NAMES = ("model", "model_name", "modelName", "gen_ai.response.model", "gen_ai.request.model")
#: Usage that is not the record's own, so never searched: per-call usage that a chat
#: response's total already includes (a tool request carries the call that asked for the
#: tools), and a chat request's history (``messages``: in a tool-calling loop, Flink Agents'
#: next request carries the earlier answers, each with its ``extra_args`` counts, which were
#: counted on their own responses). Counting either would count those tokens twice.
_PART_OF_A_TOTAL = frozenset({"call_usage", "messages"})


#: The rule's names, to tell at C speed that a dict holds none of them (most do not; the
#: shorter of the two is iterated).
_COUNT_NAMES = frozenset((*PROMPT_NAMES, *COMPLETION_NAMES))
_MODEL_NAMES = frozenset(MODEL_NAMES)
#: Values the search never looks into (it looks into mappings and lists only).
_LEAVES = frozenset({str, int, float, bool, type(None)})


def _find_usage(node: Any, model: Any, depth: int) -> tuple[Any, Any, Any] | None:
    if not isinstance(node, dict):
        if not isinstance(node, Mapping):
            return None
        node = dict(node)  # lazily decoded attributes (eventlog._attributes)
    plain = type(node) is dict  # (a dict subclass may answer ``in`` its own way)
    if not plain or not node.keys().isdisjoint(_MODEL_NAMES):
        for name in MODEL_NAMES:
            value = node.get(name)
            if isinstance(value, str):
                model = value
                break
    if not plain or not node.keys().isdisjoint(_COUNT_NAMES):
        prompt = completion = None
        for name in PROMPT_NAMES:  # loops, not generators: this runs per record of a log read
            if name in node:
                prompt = node[name]
                break
        for name in COMPLETION_NAMES:
            if name in node:
                completion = node[name]
                break
        if prompt is not None or completion is not None:
            return prompt, completion, model
    if depth <= 0:
        return None
    for name, value in node.items():
        kind = type(value)
        if kind in _LEAVES or name in _PART_OF_A_TOTAL:  # nothing to find in a leaf
            continue
        if kind is not list:
            found = _find_usage(value, model, depth - 1)
            if found is not None:
                return found
            if not isinstance(value, list):
                continue
        for item in value[:20]:
            if type(item) in _LEAVES:
                continue
            found = _find_usage(item, model, depth - 1)
            if found is not None:
                return found
    return None


def find_token_usage(attributes: Any) -> tuple[Any, Any, Any] | None:
    """``(prompt_tokens, completion_tokens, model)`` in event attributes, or ``None``.

    Searches up to four levels down (``response``, ``extra_args``, ``usage``, ...), the
    model name being the nearest one above or beside the counts. The one rule of the kit:
    the log reader applies it column-wise (:mod:`flink_agents_nb.eventlog._usage`, which
    must follow any change here; ``tests/notebook/test_lazy_attributes.py`` compares them).
    """
    return _find_usage(attributes, None, 4)


def token_usage_of(attributes: Any) -> tuple[Any, Any, Any]:
    """Like :func:`find_token_usage`, with ``(None, None, None)`` when there is none."""
    return find_token_usage(attributes) or (None, None, None)


def record_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A frame with exactly :data:`RECORD_COLUMNS` from row dicts (missing fields: NA)."""
    frame = pd.DataFrame.from_records(rows, columns=list(RECORD_COLUMNS))
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    for col in ("duration_ms",):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    for col in ("prompt_tokens", "completion_tokens", "seq", "input_seq", "subtask", "attempt"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    return frame


def result_rows(result: RunResult) -> list[dict[str, Any]]:
    """Row dicts (for :func:`record_frame`) of a run's recorded events and actions, in
    ``seq`` order (none when the run kept no records): the replay record's rows
    (:func:`~flink_agents_runtime.timetravel.rows_of_result`) with each event's token usage."""
    if result.events is None or result.actions is None:
        return []
    rows = rows_of_result(result)
    for row in rows:
        if row["record_type"] == "event":
            row["prompt_tokens"], row["completion_tokens"], row["model"] = token_usage_of(
                row["attributes"]
            )
    return rows
