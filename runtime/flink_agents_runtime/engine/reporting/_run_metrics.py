"""Flink Agents 0.4's input-run and component metrics, with the kit's names kept bounded.

Input runs (agent group): ``numOfInputRunsSucceeded``, ``numOfInputRunsFailed`` (counters),
``inputRunLatencyMs`` (from the input's arrival at the core, ``ExecutionCore.start``, to the
end of its cascade) and ``inputRunProcessingLatencyMs`` (from its first step to the end),
histograms in milliseconds. Per action: ``action.<a>.actionExecutionLatencyMs`` (one
attempt's run time, waits of async actions included). Per component under ``action.<a>.``:
``model_resource.<r>.`` (``numOfLlmCallsSucceeded``, ``numOfLlmCallsFailed``,
``llmCallLatencyMs``, ``retryCount``, ``retryWaitSec``) and ``tool.<t>.``
(``numOfToolCallsSucceeded``, ``numOfToolCallsFailed``, ``toolCallLatencyMs``); a tool
call of an MCP tool is counted again under ``mcp_server.<server>.`` and a ``load_skill`` call
under ``skill.<skill>.``, with the tool names (``chat.tools._tool_metrics``); a sub-agent call under
``subagent.<name>.`` (``numOfSubagentCallsSucceeded``, ``numOfSubagentCallsFailed``,
``subagentCallLatencyMs``: Flink Agents 0.4 has the scope but names no metric in it, so these
follow its pattern). Component names come from the plan's declared resources; any other name
(a model asking for a tool that does not exist) is counted under ``unknown``, so the number
of metrics stays bounded.
"""

from __future__ import annotations

import time
from typing import Any

UNKNOWN = "unknown"
_perf_ns = time.perf_counter_ns


def input_run_ended(metrics: Any, created_ns: int, started_ns: int, ok: bool) -> None:
    """Count one finished input run and its latencies (``perf_counter_ns`` stamps)."""
    now = time.perf_counter_ns()
    metrics.get_counter("numOfInputRunsSucceeded" if ok else "numOfInputRunsFailed").inc()
    metrics.get_histogram("inputRunLatencyMs").update((now - created_ns) / 1e6)
    metrics.get_histogram("inputRunProcessingLatencyMs").update((now - (started_ns or now)) / 1e6)


class InputRunMetrics:
    """:func:`input_run_ended` for one core, its metrics looked up on first use only (it
    runs once per input: on Flink each lookup by name also checks Flink's mirror)."""

    __slots__ = ("_failed", "_latency", "_metrics", "_processing", "_succeeded")

    def __init__(self, metrics: Any) -> None:
        self._metrics = metrics
        self._succeeded: Any = None
        self._failed: Any = None
        self._latency: Any = None
        self._processing: Any = None

    def ended(self, created_ns: int, started_ns: int, ok: bool) -> None:
        """As :func:`input_run_ended` (same metrics, created in the same order)."""
        now = _perf_ns()
        counter = self._succeeded if ok else self._failed
        if counter is None:
            counter = self._counter(ok)
        counter.count += 1
        latency = self._latency
        if latency is None:
            latency = self._latency = self._metrics.get_histogram("inputRunLatencyMs")
            self._processing = self._metrics.get_histogram("inputRunProcessingLatencyMs")
        latency.update((now - created_ns) / 1e6)
        self._processing.update((now - (started_ns or now)) / 1e6)

    def _counter(self, ok: bool) -> Any:
        if ok:
            self._succeeded = self._metrics.get_counter("numOfInputRunsSucceeded")
            return self._succeeded
        self._failed = self._metrics.get_counter("numOfInputRunsFailed")
        return self._failed


def component_group(action_group: Any, kind: str, name: Any, known: Any = None) -> Any:
    """``action.<a>.<kind>.<name>`` (``kind``: ``model_resource``, ``tool``, ``mcp_server``,
    ``skill`` or ``subagent``); ``name``
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


def subagent_call_ended(group: Any, start_ns: int, ok: bool) -> None:
    """Count one sub-agent call under a ``subagent`` group."""
    group.get_counter("numOfSubagentCallsSucceeded" if ok else "numOfSubagentCallsFailed").inc()
    group.get_histogram("subagentCallLatencyMs").update((time.perf_counter_ns() - start_ns) / 1e6)
