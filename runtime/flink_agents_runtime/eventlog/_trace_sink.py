"""The Trace Log writer: the core's records as Apache Flink Agents 0.4 Trace Log records.

One JSON object a line (fields: ``flink_agents_nb.eventlog._trace``), written to
``{trace-log.base-dir}/traces-{jobId}-{taskName}-{subtaskId}.log`` (``FILE``; without a base
dir into ``flink-agents`` in the temporary directory, as upstream) or to the Python logger
``org.apache.flink.agents.TraceLog`` (``SLF4J``: on Flink, the TaskManager's log; each
record then also says ``jobId``, ``taskName`` and ``subtaskId``, after ``detail``, as
upstream's). Per entity (``trace-log.targets``, see :mod:`._targets`), in upstream's order:

- an ``event`` record per event (``status`` ``created``), ``entityMetadata`` with
  ``eventId``, ``producerExecutionId`` (the action execution that sent it),
  ``upstreamEventId``, ``upstreamActionName``; after the end of the execution that sent it;
- per action attempt a ``started`` record and an ended one (``success``, ``failed``;
  ``reused`` alone for one replayed from the action state store), ``entityMetadata``
  ``triggerEventId`` = the handled event; the records of its calls between them;
- a failed execution as Flink Agents reports one: ``problemCategory``
  ``action_execution_failed``, ``model_call_failed``, ``tool_call_failed`` or
  ``model_output_parse_error``, attributes ``errorType`` and ``errorMessage``
  (:func:`failure_attributes`; :mod:`._trace_records`);
- the calls of the built-in ``chat_model_action`` and ``tool_call_action`` (``llm``,
  ``tool`` and ``parser`` record pairs, children of the action execution; see
  :mod:`._trace_calls`);
- a sub-agent's records inside a call (``engine.reporting._nested``) have the sub-agent as
  ``agentName`` and keep their ``<name>/`` entity names.

``businessKey`` is the key's text (``str(key)``, as Java's ``String.valueOf``).
``inputRunId`` and ``executionId`` are unique per occurrence and UUID-shaped, as upstream's
random UUIDs: a random prefix per sink (input runs, actions, calls) and a counter. Runs
appending to one file (one ``job-identifier``; a restarted Flink task) must not share them:
readers and exporters make a trace per input run and a span per execution. ``STANDARD``
detail truncates ``attributes`` by ``trace-log.standard.*`` (counted in
``traceLogTruncatedRecords``); a failed write drops the pending records and counts them in
``traceLogWriteFailures``. Records are written every ``flush_every`` records (Flink: 1) and
on close. :func:`~flink_agents_runtime.eventlog._trace_setup.trace_sink_for_task` makes the
sink a configuration asks for.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any

from flink_agents_runtime.api._metrics import Counter, MetricGroup
from flink_agents_runtime.engine.reporting._records import ActionRecord, EventRecord
from flink_agents_runtime.eventlog._clock import Clock
from flink_agents_runtime.eventlog._file_logger import _UNSAFE
from flink_agents_runtime.eventlog._lines import encode_value
from flink_agents_runtime.eventlog._pretty import jackson_pretty
from flink_agents_runtime.eventlog._targets import OFF, STANDARD, TargetResolver
from flink_agents_runtime.eventlog._trace_calls import CallRecords
from flink_agents_runtime.eventlog._trace_records import (
    CALL_TYPES,
    CHAT_ACTION,
    MAX_PENDING,
    PROBLEM,
    TOOL_ACTION,
    Execution,
    failure_attributes,
    id_template,
    own_name,
    remember,
)
from flink_agents_runtime.eventlog._truncate import Truncator

__all__ = ["TRACE_LOGGER", "TraceLogSink", "failure_attributes", "trace_file_name"]

logger = logging.getLogger(__name__)
#: The logger SLF4J output goes to (Flink Agents' category).
TRACE_LOGGER = "org.apache.flink.agents.TraceLog"
_STATUS = {"ok": "success", "failed": "failed", "ignored": "failed", "replayed": "reused"}


def trace_file_name(job_id: str, task_name: str, subtask_index: int) -> str:
    """``traces-{jobId}-{taskName}-{subtaskIndex}.log``, unsafe characters as ``_``."""
    job, task = _UNSAFE.sub("_", str(job_id)), _UNSAFE.sub("_", str(task_name))
    return f"traces-{job}-{task}-{int(subtask_index)}.log"


class TraceLogSink:
    """A record sink writing 0.4 Trace Log records (see the module docstring).

    Args:
        targets: which entities, in which detail.
        truncator: STANDARD limits (``trace-log.standard.*``).
        job_id, task_name, subtask_index: the file name and run ids.
        base_dir: the directory (``None``: SLF4J output).
        agent_name: ``agentName`` of every record.
        pretty: indent records (``trace-log.pretty-print``).
        flush_every: records per write.
        metrics: where ``traceLogTruncatedRecords`` and ``traceLogWriteFailures`` count.
    """

    def __init__(
        self,
        targets: TargetResolver,
        truncator: Truncator,
        job_id: str,
        task_name: str,
        subtask_index: int,
        base_dir: str | os.PathLike[str] | None,
        agent_name: str = "agent",
        pretty: bool = False,
        flush_every: int = 1,
        metrics: MetricGroup | None = None,
    ) -> None:
        self.targets = targets
        self.truncator = truncator if truncator.enabled else None
        self.job, self.task, self.subtask = str(job_id), str(task_name), int(subtask_index)
        self.agent_name = agent_name
        self.pretty = pretty
        self.flush_every = max(1, int(flush_every))
        self.truncated_records = (
            metrics.get_counter("traceLogTruncatedRecords") if metrics else Counter()
        )
        self.write_failures = metrics.get_counter("traceLogWriteFailures") if metrics else Counter()
        self.path: Path | None = None
        self._file: Any = None
        if base_dir is not None:
            self.path = Path(base_dir) / trace_file_name(job_id, task_name, subtask_index)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = open(self.path, "ab")  # noqa: SIM115 - closed by close()
            except OSError as exc:
                self._file = None
                logger.warning("trace log %s cannot be opened (%s); not written", self.path, exc)
        #: the file written (a one-element list; empty: SLF4J output, or it could not open)
        self.files: list[str] = [str(self.path)] if self._file is not None else []
        self._slf4j = logging.getLogger(TRACE_LOGGER) if base_dir is None else None
        self._pending: list[bytes] = []
        self._clock = Clock()
        self._run_ids, self._action_ids = id_template(), id_template()
        # Per-call work (request bookkeeping, actions waiting for the event that tells their
        # calls' answers) only when some target writes call or action records: the default
        # targets (EVENT_ONLY) write neither.
        calls_on = any(targets.may_write(kind) for kind in CALL_TYPES)
        self._calls = CallRecords(targets, self._execution) if calls_on else None
        self._actions_on = calls_on or targets.may_write("action")
        self._events_on = targets.may_write("event")
        self._producer: dict[str, str] = {}  # sent event id -> execution id
        self._waiting: dict[str, Any] = {}  # sent event id -> action waiting for it
        self._closed = False

    # -- records -------------------------------------------------------------------------
    def _write(
        self,
        ns: int,
        status: str,
        problem: str | None,
        attributes: Any,
        detail: str,
        run: str,
        key: Any,
        entity_type: str,
        name: str,
        execution: str | None,
        parent: str | None,
        meta: dict[str, Any],
        agent: str | None,
    ) -> None:
        if detail == STANDARD and self.truncator is not None and attributes:
            cut = self.truncator.value(attributes)
            if cut is not attributes:
                self.truncated_records.count += 1
                attributes = cut
        record: dict[str, Any] = {"timestamp": self._clock.iso(ns), "detail": detail}
        if self._slf4j is not None:  # one TaskManager file for all subtasks: say whose
            record.update(jobId=self.job, taskName=self.task, subtaskId=self.subtask)
        record.update({
            "inputRunId": run,
            "businessKey": key if key is None or type(key) is str else str(key),
            "agentName": agent or self.agent_name,
            "entityType": entity_type,
            "entityName": name,
            "executionId": execution,
            "parentExecutionId": parent,
            "entityMetadata": meta,
            "status": status,
            "problemCategory": problem,
            "attributes": attributes if attributes is not None else {},
        })  # fmt: skip
        data = encode_value(record)
        if self.pretty:
            data = jackson_pretty(data)
        if self._slf4j is not None:
            self._slf4j.info(data.decode("utf-8", errors="replace"))
            return
        self._pending.append(data + b"\n")
        if len(self._pending) >= self.flush_every:
            self.flush()

    def _started(self, ex: Execution, ns: int) -> None:
        """``ex``'s ``started`` record (no attributes)."""
        self._write(ns, "started", None, {}, *ex)

    def _ended(self, ex: Execution, ns: int, status: str, failure: Any) -> None:
        """``ex``'s ended record: ``failed`` with its entity type's problem category and
        the ``failure`` attributes; any other status without attributes."""
        if status == "failed":
            self._write(ns, status, PROBLEM[ex.entity_type], failure, *ex)
        else:
            self._write(ns, status, None, {}, *ex)

    def _execution(self, ex: Execution, began: int, ended: int, status: str, failure: Any) -> None:
        """A call's records: ``started`` at ``began``, then ended at ``ended``."""
        self._started(ex, began)
        self._ended(ex, ended, status, failure)

    def on_event(self, record: EventRecord) -> None:
        """Write one event record (and the calls of the action that sent it)."""
        if self._calls is not None:
            self._calls.note_event(record)
        event = record.event
        eid = str(event.id)
        if self._waiting:
            waiting = self._waiting.pop(eid, None)
            if waiting is not None:  # the calls of the action that sent it, then its end
                self._write_waiting(waiting, event)
        producer = self._producer.pop(eid, None)
        detail = self.targets.detail("event", event.type)
        if detail == OFF:
            return
        meta = {
            "eventId": eid,
            "producerExecutionId": producer,
            "upstreamEventId": event.upstream_event_id,
            "upstreamActionName": event.upstream_action_name,
        }
        self._write(
            record.timestamp_ns, "created", None, event.attributes, detail,
            self._run_ids % record.input_seq, record.key, "event", event.type, None, None,
            meta, record.agent,
        )  # fmt: skip

    def on_action(self, record: ActionRecord) -> None:
        """Write one action attempt: its started record, the calls it made, its ended record
        (upstream's order). The calls of a built-in chat or tool action that sent an event
        are written when that event comes (its attributes tell the answers), and the ended
        record after them. Nothing but the sent events' producer when no target writes
        action or call records."""
        execution = self._action_ids % record.seq
        if self._events_on:
            for sent in record.sent_event_ids:
                remember(self._producer, sent, execution)
        if not self._actions_on:
            return
        status = _STATUS.get(record.status, "failed")
        action = Execution(
            self.targets.detail("action", record.action), self._run_ids % record.input_seq,
            record.key, "action", record.action, execution, None,
            {"triggerEventId": record.event_id}, record.agent,
        )  # fmt: skip
        if action.detail != OFF and status != "reused":
            self._started(action, record.timestamp_ns)
        ended = (record, action, status)
        own = own_name(record.action, record.agent)
        if own in (CHAT_ACTION, TOOL_ACTION) and status != "reused":
            if status == "success" and record.sent_event_ids:
                if len(self._waiting) >= MAX_PENDING:  # the oldest waits no longer
                    self._write_waiting(self._waiting.pop(next(iter(self._waiting))), None)
                self._waiting[record.sent_event_ids[0]] = ended
                return
            if self._calls is not None:  # failed: no event will tell more
                self._calls.write(record, action, status, None)
        self._write_ended(ended)

    def _write_waiting(self, ended: Any, sent: Any) -> None:
        """A chat or tool action's calls (``sent``: the event it sent, ``None``: none came),
        then its ended record."""
        record, action, status = ended
        if self._calls is not None:
            self._calls.write(record, action, status, sent)
        self._write_ended(ended)

    def _write_ended(self, ended: Any) -> None:
        record, action, status = ended
        if action.detail != OFF:
            end = record.timestamp_ns + record.duration_ns
            self._ended(action, end, status, failure_attributes(record.error))

    # -- output --------------------------------------------------------------------------
    def flush(self) -> None:
        """Write the pending records (a failure drops them and counts them)."""
        if not self._pending:
            return
        data, count = b"".join(self._pending), len(self._pending)
        self._pending = []
        if self._file is None:
            self.write_failures.count += count
            return
        try:
            self._file.write(data)
            self._file.flush()
        except OSError as exc:
            self.write_failures.count += count
            logger.warning("trace log %s: %d records not written (%s)", self.path, count, exc)

    def close(self) -> None:
        """Flush and close (idempotent)."""
        if self._closed:
            return
        self._closed = True
        for waiting in list(self._waiting.values()):  # their event never came
            self._write_waiting(waiting, None)
        self._waiting.clear()
        self.flush()
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
