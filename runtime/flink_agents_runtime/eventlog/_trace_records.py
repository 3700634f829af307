"""The parts of Trace Log records the writer's modules share: executions, failures, names.

An execution (an action attempt, a model, tool or structured-output parse call) has a
``started`` record and an ended one (``success``, ``failed``; an action replayed from the
action state store has a ``reused`` record alone); the two share every field but time,
status, problem category and attributes (:class:`Execution`). A failed execution says
Flink Agents' problem category of its entity type (:data:`PROBLEM`) and the attributes of
:func:`failure_attributes`.
"""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple

#: The built-in actions whose calls are written as ``llm`` and ``tool`` records.
CHAT_ACTION, TOOL_ACTION = "chat_model_action", "tool_call_action"
#: Flink Agents' problem categories (``ExecutionReporter.ProblemCategories``).
ACTION_FAILED, MODEL_FAILED = "action_execution_failed", "model_call_failed"
TOOL_FAILED, PARSE_FAILED = "tool_call_failed", "model_output_parse_error"
#: The problem category of a failed execution, by entity type.
PROBLEM = {"action": ACTION_FAILED, "llm": MODEL_FAILED, "tool": TOOL_FAILED}
PROBLEM["parser"] = PARSE_FAILED
#: Entity types of the calls an action makes (written as children of its execution).
CALL_TYPES = ("llm", "tool", "parser")
#: Bookkeeping entries kept at most (events waiting for their handler or their producer).
MAX_PENDING = 10_000


class Execution(NamedTuple):
    """What the records of one execution share (fields in the order
    :meth:`~flink_agents_runtime.eventlog._trace_sink.TraceLogSink._write` takes them).

    Attributes:
        detail: ``STANDARD`` or ``VERBOSE``.
        run: ``inputRunId``.
        key: the input's key (``businessKey``, as text).
        entity_type, name: ``entityType`` and ``entityName``.
        execution: ``executionId``.
        parent: ``parentExecutionId`` (a call's action execution; ``None`` for an action).
        meta: ``entityMetadata``.
        agent: ``agentName`` when a sub-agent's (``None``: the sink's agent).
    """

    detail: str
    run: str
    key: Any
    entity_type: str
    name: str
    execution: str
    parent: str | None
    meta: dict[str, Any]
    agent: str | None


def failure_attributes(error: Any) -> dict[str, Any]:
    """A failed execution's attributes as Flink Agents writes them: ``errorType`` (the
    exception's type) and ``errorMessage``, each only when known (``error`` is the kit's
    ``"ExcType: message"``; ``{}`` for none)."""
    if not error:
        return {}
    text = str(error)
    kind, sep, message = text.partition(": ")
    if sep and kind and " " not in kind:
        return {"errorType": kind, "errorMessage": message} if message else {"errorType": kind}
    return {"errorMessage": text}


def id_template() -> str:
    """A UUID-shaped id template: 20 random hex digits, then a counter (``% n``, 12 hex)."""
    h = uuid.uuid4().hex
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-%012x"


def own_name(name: str, agent: str | None) -> str:
    """A sub-agent's event type or action name without its ``<agent>/`` prefix."""
    return name[len(agent) + 1 :] if agent and name.startswith(agent + "/") else name


def remember(table: dict[Any, Any], key: Any, value: Any) -> None:
    """``table[key] = value``, the oldest entry dropped when it holds :data:`MAX_PENDING`."""
    if len(table) >= MAX_PENDING:
        table.pop(next(iter(table)))
    table[key] = value
