"""The attribute names and values the OTLP export writes and the import reads: one set of
names both sides use, so a name spelled differently on one side cannot break the round trip.

- OpenTelemetry's own names come from its semantic-convention package
  (``opentelemetry-semantic-conventions``, installed with the SDK): ``error.type`` and
  ``service.name`` from its stable set; the GenAI names (``gen_ai.*``) and operation names
  from its incubating set, where the GenAI conventions live in Python (all of those used
  here are there from 0.55b0 on; the package marks them as moved to the GenAI conventions'
  own repository, which publishes no Python package).
- The kit's own (``flink_agents.*``) name what those conventions have no name for: where a
  run ran, Flink Agents' actions, events and executions.
"""

from __future__ import annotations

from typing import Final

from opentelemetry.semconv._incubating.attributes.gen_ai_attributes import (
    GEN_AI_AGENT_NAME,
    GEN_AI_CONVERSATION_ID,
    GEN_AI_OPERATION_NAME,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_TOOL_CALL_ID,
    GEN_AI_TOOL_NAME,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    GenAiOperationNameValues,
)
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.service_attributes import SERVICE_NAME

__all__ = [
    "ACTION_ATTEMPT",
    "ACTION_NAME",
    "CHAT",
    "DURATION_MISSING",
    "ENTITY_TYPE",
    "ERROR_TYPE",
    "EVENT_ID",
    "EVENT_TYPE",
    "EVENT_UPSTREAM_ACTION",
    "EVENT_UPSTREAM_ID",
    "EXECUTE_TOOL",
    "EXECUTION_ID",
    "EXECUTION_STATUS",
    "GEN_AI_AGENT_NAME",
    "GEN_AI_CONVERSATION_ID",
    "GEN_AI_OPERATION_NAME",
    "GEN_AI_REQUEST_MODEL",
    "GEN_AI_RESPONSE_MODEL",
    "GEN_AI_TOOL_CALL_ID",
    "GEN_AI_TOOL_NAME",
    "GEN_AI_USAGE_INPUT_TOKENS",
    "GEN_AI_USAGE_OUTPUT_TOKENS",
    "INPUT_RUN_ID",
    "INPUT_SEQ",
    "INVOKE_AGENT",
    "JOB_ID",
    "MODEL_RESOURCE",
    "SERVICE_NAME",
    "SUBTASK_INDEX",
    "TASK_NAME",
    "TEXT_COMPLETION",
    "UPSTREAM_IMPLIED",
]

#: ``gen_ai.operation.name`` values.
CHAT: Final = GenAiOperationNameValues.CHAT.value
TEXT_COMPLETION: Final = GenAiOperationNameValues.TEXT_COMPLETION.value
EXECUTE_TOOL: Final = GenAiOperationNameValues.EXECUTE_TOOL.value
INVOKE_AGENT: Final = GenAiOperationNameValues.INVOKE_AGENT.value

# Where a run ran, on its root span.
#: The input run a trace is (only our export writes it: it marks a trace as ours).
INPUT_RUN_ID: Final = "flink_agents.input_run.id"
JOB_ID: Final = "flink_agents.job.id"
TASK_NAME: Final = "flink_agents.task.name"
SUBTASK_INDEX: Final = "flink_agents.subtask.index"
INPUT_SEQ: Final = "flink_agents.input_seq"

# Actions, calls and their executions.
#: An action span's action (marks a span as our action's).
ACTION_NAME: Final = "flink_agents.action.name"
ACTION_ATTEMPT: Final = "flink_agents.action.attempt"
#: A trace log's own execution id of an action or call (span ids are derived from it).
EXECUTION_ID: Final = "flink_agents.execution.id"
#: A status other than ok/failed (``replayed``, ``ignored``): OTLP's status cannot say it.
EXECUTION_STATUS: Final = "flink_agents.execution.status"
#: ``True`` when the record had no duration (an OTLP span always ends).
DURATION_MISSING: Final = "flink_agents.duration.missing"
#: A 0.4 call's entity type when it is neither a model nor a tool call (``parser``, ...).
ENTITY_TYPE: Final = "flink_agents.entity.type"
#: A chat call's model resource, as a 0.4 trace log names it.
MODEL_RESOURCE: Final = "flink_agents.model_resource"

# Events.
#: The id of an event: a span event's own, an action span's handled one, a root's input.
EVENT_ID: Final = "flink_agents.event.id"
#: The type of the event an action span handled, or a root's input event.
EVENT_TYPE: Final = "flink_agents.event.type"
#: A span event's upstream event id and action (when they are not its span's own, see
#: :func:`._span_spec.span_event`).
EVENT_UPSTREAM_ID: Final = "flink_agents.event.upstream_id"
EVENT_UPSTREAM_ACTION: Final = "flink_agents.event.upstream_action"
#: On the kit's instrumentation scope (``True``): a span event on an action's span that
#: names no upstream event id or action has the span's own (``flink_agents.event.id``,
#: ``flink_agents.action.name``; ``""``: none). Exports before it, and other tools' spans,
#: lack it: there a missing upstream is none.
UPSTREAM_IMPLIED: Final = "flink_agents.event.upstream_implied"
