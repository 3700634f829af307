"""Built-in agents (Flink Agents' ``flink_agents.api.agents``): :class:`ReActAgent`, and
sub-agents (:class:`SubagentSetup`)."""

from __future__ import annotations

from flink_agents_runtime.agents._react import ReActAgent
from flink_agents_runtime.agents._subagent import (
    SubagentError,
    SubagentHandle,
    SubagentResult,
    SubagentSetup,
)
from flink_agents_runtime.chat._structured import (
    STRUCTURED_OUTPUT,
    OutputSchema,
    StructuredOutputError,
)

__all__ = [
    "STRUCTURED_OUTPUT",
    "OutputSchema",
    "ReActAgent",
    "StructuredOutputError",
    "SubagentError",
    "SubagentHandle",
    "SubagentResult",
    "SubagentSetup",
]
