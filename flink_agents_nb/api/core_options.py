"""``flink_agents.api.core_options`` (the kit's declared options; ``error-handling-strategy``
is kept as the kit's extension; Flink Agents keys the kit does not act on are accepted)."""

from __future__ import annotations

from flink_agents_runtime.compat._names import (
    AgentConfigOptions,
    AgentExecutionOptions,
    ConditionEvaluationFailureStrategy,
    ErrorHandlingStrategy,
    EventLogLevel,
    LoggerType,
    MemoryEventOptions,
    ShortTermMemoryTtlUpdate,
    ShortTermMemoryTtlVisibility,
)

__all__ = [
    "AgentConfigOptions",
    "AgentExecutionOptions",
    "ConditionEvaluationFailureStrategy",
    "ErrorHandlingStrategy",
    "EventLogLevel",
    "LoggerType",
    "MemoryEventOptions",
    "ShortTermMemoryTtlUpdate",
    "ShortTermMemoryTtlVisibility",
]
