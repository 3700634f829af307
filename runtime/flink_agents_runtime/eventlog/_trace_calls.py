"""The calls of the built-in chat and tool actions as Trace Log records.

Per attempt of a model call of ``chat_model_action`` an ``llm`` record pair (name: the chat
model resource; ``entityMetadata.model``: the model asked for, else the one that answered),
then per structured-output parse a ``parser`` ``structured_output`` pair; per tool call of
``tool_call_action`` a ``tool`` pair (``entityMetadata``: ``toolRequestEventId``,
``toolCallId``, the provider's ``externalId``, ``toolType``). All are children of their
action's execution. A call that succeeded has no attributes, at every detail, as upstream
reports one (``ExecutionReporters.succeeded`` takes none): what it answered is in the
event its action sent (a chat response; a tool response's ``responses``); a failed one
has :func:`~._trace_records.failure_attributes`. Each pair carries the call's own start
and end (``engine.reporting._call_times``); a call answered from the action state store
has none (nor a ``toolType``) and carries its action's.

Which calls a tool action made, and which chat model a request named, are in the request
events (:meth:`CallRecords.note_event` keeps them, bounded); what the calls answered is in
the event their action sent (:meth:`CallRecords.write` takes it; ``None`` when none came).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from flink_agents_runtime.chat._events import failed_tool_calls
from flink_agents_runtime.engine.reporting._records import ActionRecord, EventRecord
from flink_agents_runtime.eventlog._targets import OFF, TargetResolver
from flink_agents_runtime.eventlog._trace_records import (
    CHAT_ACTION,
    Execution,
    failure_attributes,
    id_template,
    own_name,
    remember,
)

_ENDED = {True: "success", False: "failed"}
#: Writes one execution's two records: ``(execution, began_ns, ended_ns, status, the
#: attributes if it failed)``.
WriteExecution = Callable[[Execution, int, int, str, Any], None]


class CallRecords:
    """Writes the calls of chat and tool actions through ``write`` (see the module docstring).

    Args:
        targets: which entities, in which detail.
        write: the sink's writer of one execution's ``started`` and ended records.
    """

    def __init__(self, targets: TargetResolver, write: WriteExecution) -> None:
        self.targets = targets
        self._write = write
        self._ids = id_template()
        self._made = itertools.count()
        self._chat_model: dict[str, Any] = {}  # chat/tool request id -> model resource
        self._tool_calls: dict[str, list[tuple[str, str, Any]]] = {}  # tool request -> calls

    def note_event(self, record: EventRecord) -> None:
        """Keep what a chat or tool request says its action's calls will be."""
        event = record.event
        own_type = own_name(event.type, record.agent)
        if own_type not in ("_chat_request_event", "_tool_request_event"):
            return
        eid, attrs = str(event.id), event.attributes
        remember(self._chat_model, eid, attrs.get("model"))
        if own_type == "_tool_request_event":
            calls = [  # (id as the tool action numbers it, name, the provider's id)
                (
                    str(c.get("id") or f"call_{i}"),
                    str((c.get("function") or {}).get("name") or c.get("name") or "unknown"),
                    c.get("original_id"),
                )
                for i, c in enumerate(attrs.get("tool_calls") or [])
                if isinstance(c, dict)
            ]
            remember(self._tool_calls, eid, calls)

    def write(self, record: ActionRecord, action: Execution, status: str, sent: Any) -> None:
        """The calls of ``record`` (a chat or tool action attempt ended with ``status``,
        execution ``action``); ``sent``: the event it sent (``None``: none came)."""
        attrs = sent.attributes if sent is not None else {}
        if own_name(record.action, record.agent) == CHAT_ACTION:
            self._model_calls(record, action, status, attrs)
            self._parses(record, action)  # parsed after the answer came
        else:
            self._tool_calls_of(record, action, status, attrs if sent is not None else None)

    def _call(
        self, detail: str, record: ActionRecord, action: Execution, entity_type: str,
        name: str, meta: dict[str, Any],
    ) -> Execution:  # fmt: skip
        """A new call execution (its own id) under ``action``."""
        execution = self._ids % next(self._made)
        return Execution(
            detail, action.run, record.key, entity_type, name, execution, action.execution,
            meta, record.agent,
        )  # fmt: skip

    def _model_calls(
        self, record: ActionRecord, action: Execution, status: str, attrs: Any
    ) -> None:
        """A chat action's model calls (``attrs``: the chat response's attributes)."""
        resource = attrs.get("chat_model") or attrs.get("model")
        resource = resource or self._chat_model.get(record.event_id) or "unknown"
        model = attrs.get("model_name") or attrs.get("model") or resource
        detail = self.targets.detail("llm", str(resource))
        if detail == OFF:
            return
        out = failure_attributes(record.error)
        timed = [c for c in getattr(record, "calls", ()) if c.kind == "llm"]
        spans = [(c.start_ns, c.end_ns, _ENDED[c.ok], c.model, c.error) for c in timed]
        start, end = record.timestamp_ns, record.timestamp_ns + record.duration_ns
        for began, ended, closing, asked, why in spans or [(start, end, status, None, None)]:
            meta = {"model": str(asked or model)}  # upstream: the model asked for
            call = self._call(detail, record, action, "llm", str(resource), meta)
            self._write(call, began, ended, closing, failure_attributes(why) if why else out)

    def _tool_calls_of(
        self, record: ActionRecord, action: Execution, status: str, attrs: Any
    ) -> None:
        """A tool action's tool calls (``attrs``: the tool response's attributes; ``None``:
        none came, every call failed). A failed attempt leaves its request's calls for a
        retry (a last failed attempt's stay until :data:`~._trace_records.MAX_PENDING`
        newer requests push them out). A failed call's error: Flink Agents 0.4's ``error``
        diagnostic for its id when given, else its answer, else the action's error."""
        if status == "success":
            calls = self._tool_calls.pop(record.event_id, [])
        else:
            calls = self._tool_calls.get(record.event_id, [])
        errors = failed_tool_calls(attrs) if attrs is not None else None
        found = (attrs or {}).get("responses")
        responses: dict[str, Any] = found if isinstance(found, dict) else {}
        found = (attrs or {}).get("error")
        diagnostics: dict[str, Any] = found if isinstance(found, dict) else {}
        times = {c.call_id: c for c in getattr(record, "calls", ()) if c.kind == "tool"}
        start, end = record.timestamp_ns, record.timestamp_ns + record.duration_ns
        for call_id, name, external in calls:
            detail = self.targets.detail("tool", name)
            if detail == OFF:
                continue
            own = times.get(call_id)
            meta = {"toolRequestEventId": record.event_id, "toolCallId": call_id}
            if external:
                meta["externalId"] = str(external)
            if own is not None and own.tool_type:  # a tool that ran (upstream: one resolved)
                meta["toolType"] = own.tool_type
            call = self._call(detail, record, action, "tool", name, meta)
            began, ended = (own.start_ns, own.end_ns) if own is not None else (start, end)
            if errors is not None and str(call_id) not in errors:  # its answer: in the response
                self._write(call, began, ended, "success", {})
                continue
            diagnostic = diagnostics.get(call_id)
            answer = diagnostic or responses.get(call_id) or record.error
            if isinstance(answer, str) and answer.startswith("Error: "):  # run_tool's answer
                answer = answer[len("Error: ") :]
            self._write(call, began, ended, "failed", failure_attributes(answer))

    def _parses(self, record: ActionRecord, action: Execution) -> None:
        """A chat action's structured-output parses (``parser`` ``structured_output``, as
        upstream's chat action reports them)."""
        parses = [c for c in getattr(record, "calls", ()) if c.kind == "parser"]
        for i, parse in enumerate(parses):
            detail = self.targets.detail("parser", parse.name)
            if detail == OFF:
                continue
            call = self._call(detail, record, action, "parser", parse.name, {})
            last = not parse.ok and i == len(parses) - 1 and record.status != "ok"
            out = failure_attributes(record.error) if last else {}
            self._write(call, parse.start_ns, parse.end_ns, _ENDED[parse.ok], out)
