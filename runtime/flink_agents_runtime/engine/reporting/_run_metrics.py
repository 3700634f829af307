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

When each metric exists (what a dashboard or an alert finds on a healthy job):

- the input-run counters and latency histograms exist from the core's construction (a Flink
  subtask's ``open``), at 0, as in Flink Agents' ``BuiltInInputRunMetrics`` (apache/flink-agents
  PR #955), so ``numOfInputRunsFailed`` reads 0 rather than missing;
- a component group (``model_resource.<r>``, ``tool.<t>``, ...) appears at its first ended
  call, with both outcome counters and the latency histogram: the failed counter reads 0
  beside its succeeded twin. (PR #955 creates only the outcome that occurred; the kit creates
  the pair so an alert on a failed counter finds it once the component is in use.)
  ``retryCount``/``retryWaitSec`` appear at the first retry, as upstream documents.
"""

from __future__ import annotations

import time
from typing import Any

UNKNOWN = "unknown"
_perf_ns = time.perf_counter_ns


class InputRunMetrics:
    """One core's input-run metrics, all created at construction (see the module docstring);
    :meth:`ended` counts a run through handles held here, with no lookup by name per input."""

    __slots__ = ("_failed", "_latency", "_processing", "_succeeded")

    def __init__(self, metrics: Any) -> None:
        self._succeeded = metrics.get_counter("numOfInputRunsSucceeded")
        self._failed = metrics.get_counter("numOfInputRunsFailed")
        self._latency = metrics.get_histogram("inputRunLatencyMs")
        self._processing = metrics.get_histogram("inputRunProcessingLatencyMs")

    def ended(self, created_ns: int, started_ns: int, ok: bool) -> None:
        """Count one finished input run and its latencies in milliseconds: from ``created_ns``
        (its arrival) and from ``started_ns`` (its first step; 0: never stepped) to now, all
        ``perf_counter_ns`` stamps."""
        now = _perf_ns()
        (self._succeeded if ok else self._failed).count += 1
        self._latency.update((now - created_ns) / 1e6)
        self._processing.update((now - (started_ns or now)) / 1e6)


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
    """Count one model call (its retries included) under a ``model_resource`` group (both
    outcome counters exist after it)."""
    _outcome(group, "numOfLlmCallsSucceeded", "numOfLlmCallsFailed", ok)
    group.get_histogram("llmCallLatencyMs").update((time.perf_counter_ns() - start_ns) / 1e6)
    if retries:
        group.get_counter("retryCount").inc(retries)
        group.get_counter("retryWaitSec").inc(waited)


def tool_call_ended(group: Any, start_ns: int, ok: bool) -> None:
    """Count one tool call under a ``tool`` group (both outcome counters exist after it)."""
    _outcome(group, "numOfToolCallsSucceeded", "numOfToolCallsFailed", ok)
    group.get_histogram("toolCallLatencyMs").update((time.perf_counter_ns() - start_ns) / 1e6)


def subagent_call_ended(group: Any, start_ns: int, ok: bool) -> None:
    """Count one sub-agent call under a ``subagent`` group (both outcome counters exist
    after it)."""
    _outcome(group, "numOfSubagentCallsSucceeded", "numOfSubagentCallsFailed", ok)
    group.get_histogram("subagentCallLatencyMs").update((time.perf_counter_ns() - start_ns) / 1e6)


def _outcome(group: Any, succeeded: str, failed: str, ok: bool) -> None:
    """Count one call's outcome, creating both counters (succeeded first) so the one that
    did not occur reads 0."""
    counter = group.get_counter(succeeded)
    other = group.get_counter(failed)
    (counter if ok else other).inc()
