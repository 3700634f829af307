"""Flink Agents 0.4's input-run and component metrics, with the kit's names kept bounded.

Input runs (agent group): ``numOfInputRunsSucceeded``, ``numOfInputRunsFailed`` (counters),
``inputRunLatencyMs`` (from the input's arrival at the core, ``ExecutionCore.start``, to the
end of its cascade) and ``inputRunProcessingLatencyMs`` (from its first step to the end),
histograms in milliseconds. Per action: ``action.<a>.actionExecutionLatencyMs`` (one
attempt's run time, waits of async actions included). Per component under ``action.<a>.``:
``model_resource.<r>.`` (``numOfLlmCallsSucceeded``, ``numOfLlmCallsFailed``,
``llmCallLatencyMs``, ``retryCount``, ``retryWaitSec``) and ``tool.<t>.``
(``numOfToolCallsSucceeded``, ``numOfToolCallsFailed``, ``toolCallLatencyMs``). Component
names come from the plan's declared resources; any other name (a model asking for a tool
that does not exist) is counted under ``unknown``, so the number of metrics stays bounded.
"""

from __future__ import annotations

import time
from typing import Any

UNKNOWN = "unknown"


def input_run_ended(metrics: Any, created_ns: int, started_ns: int, ok: bool) -> None:
    """Count one finished input run and its latencies (``perf_counter_ns`` stamps)."""
    now = time.perf_counter_ns()
    metrics.get_counter("numOfInputRunsSucceeded" if ok else "numOfInputRunsFailed").inc()
    metrics.get_histogram("inputRunLatencyMs").update((now - created_ns) / 1e6)
    metrics.get_histogram("inputRunProcessingLatencyMs").update((now - (started_ns or now)) / 1e6)


def component_group(action_group: Any, kind: str, name: Any, known: Any = None) -> Any:
    """``action.<a>.<kind>.<name>`` (``kind``: ``model_resource`` or ``tool``); ``name``
    becomes ``unknown`` when empty or not in ``known`` (when given)."""
    text = str(name) if name else ""
    if not text or (known is not None and text not in known):
        text = UNKNOWN
    return action_group.get_sub_group(kind, text)


def llm_call_ended(
    group: Any, start_ns: int, ok: bool, retries: int = 0, waited: float = 0
) -> None:
    """Count one model call (its retries included) under a ``model_resource`` group."""
    group.get_counter("numOfLlmCallsSucceeded" if ok else "numOfLlmCallsFailed").inc()
    group.get_histogram("llmCallLatencyMs").update((time.perf_counter_ns() - start_ns) / 1e6)
    if retries:
        group.get_counter("retryCount").inc(retries)
        group.get_counter("retryWaitSec").inc(waited)


def tool_call_ended(group: Any, start_ns: int, ok: bool) -> None:
    """Count one tool call under a ``tool`` group."""
    group.get_counter("numOfToolCallsSucceeded" if ok else "numOfToolCallsFailed").inc()
    group.get_histogram("toolCallLatencyMs").update((time.perf_counter_ns() - start_ns) / 1e6)
