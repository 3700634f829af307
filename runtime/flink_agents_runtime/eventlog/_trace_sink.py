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
  ``action_execution_failed``, ``model_call_failed`` or ``tool_call_failed``, attributes
  ``errorType`` and ``errorMessage`` (:func:`failure_attributes`);
- per attempt of a model call of the built-in ``chat_model_action`` an ``llm`` record pair
  (name: the chat model resource, ``entityMetadata.model``: the model configured on it, else
  the one that answered), per tool call of ``tool_call_action`` a ``tool`` pair
  (``entityMetadata``: ``toolRequestEventId``, ``toolCallId``, the provider's
  ``externalId``, ``toolType``), per structured-output parse a ``parser``
  ``structured_output`` pair, children of the action execution. Each pair carries the
  call's own start and end (``engine.reporting._call_times``); a call answered from the
  action state store has none (nor a ``toolType``) and carries its action's;
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
import itertools
import logging
import os
import uuid
from pathlib import Path
from typing import Any

from flink_agents_runtime.api._metrics import Counter, MetricGroup
from flink_agents_runtime.engine.reporting._records import ActionRecord, EventRecord
from flink_agents_runtime.eventlog._clock import Clock
from flink_agents_runtime.eventlog._file_logger import _UNSAFE
from flink_agents_runtime.eventlog._lines import encode_value
from flink_agents_runtime.eventlog._pretty import jackson_pretty
from flink_agents_runtime.eventlog._targets import OFF, STANDARD, TargetResolver
from flink_agents_runtime.eventlog._truncate import Truncator

logger = logging.getLogger(__name__)
#: The logger SLF4J output goes to (Flink Agents' category).
TRACE_LOGGER = "org.apache.flink.agents.TraceLog"
CHAT_ACTION, TOOL_ACTION = "chat_model_action", "tool_call_action"
_ENDED = {True: "success", False: "failed"}
_STATUS = {"ok": "success", "failed": "failed", "ignored": "failed", "replayed": "reused"}
#: Flink Agents' problem categories (``ExecutionReporter.ProblemCategories``).
ACTION_FAILED, MODEL_FAILED = "action_execution_failed", "model_call_failed"
TOOL_FAILED, PARSE_FAILED = "tool_call_failed", "model_output_parse_error"
#: Bookkeeping entries kept at most (events waiting for their handler or their producer).
_MAX_PENDING = 10_000


def trace_file_name(job_id: str, task_name: str, subtask_index: int) -> str:
    """``traces-{jobId}-{taskName}-{subtaskIndex}.log``, unsafe characters as ``_``."""
    job, task = _UNSAFE.sub("_", str(job_id)), _UNSAFE.sub("_", str(task_name))
    return f"traces-{job}-{task}-{int(subtask_index)}.log"


def _own(name: str, agent: str | None) -> str:
    """A sub-agent's event type or action name without its ``<agent>/`` prefix."""
    return name[len(agent) + 1 :] if agent and name.startswith(agent + "/") else name


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


def _id_template() -> str:
    """A UUID-shaped id template: 20 random hex digits, then a counter (``% n``, 12 hex)."""
    h = uuid.uuid4().hex
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-%012x"


def _remember(table: dict[Any, Any], key: Any, value: Any) -> None:
    if len(table) >= _MAX_PENDING:
        table.pop(next(iter(table)))
    table[key] = value


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
        self._slf4j = logging.getLogger(TRACE_LOGGER) if base_dir is None else None
        self._pending: list[bytes] = []
        self._clock = Clock()
        self._run_ids, self._action_ids, self._call_ids = (_id_template() for _ in range(3))
        self._calls_made = itertools.count()
        self._producer: dict[str, str] = {}  # sent event id -> execution id
        self._chat_model: dict[str, Any] = {}  # chat/tool request id -> model resource
        self._tool_calls: dict[str, list[tuple[str, str, Any]]] = {}  # tool request -> calls
        self._calls_of: dict[str, Any] = {}  # sent event id -> calls waiting for it
        self._closed = False

    # -- records -------------------------------------------------------------------------
    def _run_id(self, input_seq: int) -> str:
        return self._run_ids % input_seq

    def _call_id(self) -> str:
        return self._call_ids % next(self._calls_made)

    def _write(
        self,
        ns: int,
        detail: str,
        run: str,
        key: Any,
        entity_type: str,
        name: str,
        execution: str | None,
        parent: str | None,
        meta: dict[str, Any],
        status: str,
        problem: str | None,
        attributes: Any,
        agent: str | None = None,
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

    def on_event(self, record: EventRecord) -> None:
        """Write one event record (and the calls of the action that sent it)."""
        event = record.event
        eid = str(event.id)
        attrs = event.attributes
        own_type = _own(event.type, record.agent)
        if own_type in ("_chat_request_event", "_tool_request_event"):
            _remember(self._chat_model, eid, attrs.get("model"))
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
            _remember(self._tool_calls, eid, calls)
        waiting = self._calls_of.pop(eid, None)
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
            record.timestamp_ns, detail, self._run_id(record.input_seq), record.key, "event",
            event.type, None, None, meta, "created", None, attrs, record.agent,
        )  # fmt: skip

    def on_action(self, record: ActionRecord) -> None:
        """Write one action attempt: its started record, the calls it made, its ended record
        (upstream's order). The calls of a built-in chat or tool action that sent an event
        are written when that event comes (its attributes tell the answers), and the ended
        record after them."""
        execution = self._action_ids % record.seq
        for sent in record.sent_event_ids:
            _remember(self._producer, sent, execution)
        run = self._run_id(record.input_seq)
        status = _STATUS.get(record.status, "failed")
        start, end = record.timestamp_ns, record.timestamp_ns + record.duration_ns
        detail = self.targets.detail("action", record.action)
        if detail != OFF and status != "reused":
            self._write(start, detail, run, record.key, "action", record.action, execution,
                        None, {"triggerEventId": record.event_id}, "started", None, {},
                        record.agent)  # fmt: skip
        call = (record, execution, run, start, end, status, detail)
        if _own(record.action, record.agent) in (CHAT_ACTION, TOOL_ACTION) and status != "reused":
            if status == "success" and record.sent_event_ids:
                if len(self._calls_of) >= _MAX_PENDING:  # the oldest waits no longer
                    self._write_waiting(self._calls_of.pop(next(iter(self._calls_of))), None)
                self._calls_of[record.sent_event_ids[0]] = call
                return
            self._write_calls(call, None)  # failed: no event will tell more
        self._write_ended(call)

    def _write_waiting(self, call: Any, sent: Any) -> None:
        self._write_calls(call, sent)
        self._write_ended(call)

    def _write_ended(self, call: Any) -> None:
        record, execution, run, _, end, status, detail = call
        if detail == OFF:
            return
        problem, attrs = (
            (ACTION_FAILED, failure_attributes(record.error)) if status == "failed" else (None, {})
        )
        self._write(end, detail, run, record.key, "action", record.action, execution, None,
                    {"triggerEventId": record.event_id}, status, problem, attrs,
                    record.agent)  # fmt: skip

    def _write_calls(self, call: Any, sent: Any) -> None:
        record, execution, run, start, end, status, _ = call
        attrs = sent.attributes if sent is not None else {}
        agent = record.agent
        if _own(record.action, agent) == CHAT_ACTION:
            resource = attrs.get("chat_model") or attrs.get("model")
            resource = resource or self._chat_model.get(record.event_id) or "unknown"
            model = attrs.get("model_name") or attrs.get("model") or resource
            detail = self.targets.detail("llm", str(resource))
            if detail == OFF:
                self._write_parses(record, execution, run)
                return
            out = failure_attributes(record.error)
            timed = [c for c in getattr(record, "calls", ()) if c.kind == "llm"]
            spans = [(c.start_ns, c.end_ns, _ENDED[c.ok], c.model, c.error) for c in timed]
            for began, ended, closing, asked, why in spans or [(start, end, status, None, None)]:
                meta = {"model": str(asked or model)}  # upstream: the model asked for
                failure = failure_attributes(why) if why else out
                llm_exec = self._call_id()
                for ns, st in ((began, "started"), (ended, closing)):
                    failed = st == "failed"
                    self._write(ns, detail, run, record.key, "llm", str(resource), llm_exec,
                                execution, meta, st, MODEL_FAILED if failed else None,
                                failure if failed else {}, agent)  # fmt: skip
            self._write_parses(record, execution, run)  # parsed after the answer came
            return
        calls = self._tool_calls.pop(record.event_id, [])
        errors = set(attrs.get("errors") or ()) if sent is not None else None
        found = attrs.get("responses")
        responses: dict[str, Any] = found if isinstance(found, dict) else {}
        times = {c.call_id: c for c in getattr(record, "calls", ()) if c.kind == "tool"}
        for call_id, name, external in calls:
            detail = self.targets.detail("tool", name)
            if detail == OFF:
                continue
            failed = errors is None or call_id in errors
            st = "failed" if failed else "success"
            own = times.get(call_id)
            meta = {"toolRequestEventId": record.event_id, "toolCallId": call_id}
            if external:
                meta["externalId"] = str(external)
            if own is not None and own.tool_type:  # a tool that ran (upstream: one resolved)
                meta["toolType"] = own.tool_type
            tool_exec = self._call_id()
            began, ended = (own.start_ns, own.end_ns) if own is not None else (start, end)
            self._write(began, detail, run, record.key, "tool", name, tool_exec, execution,
                        meta, "started", None, {}, agent)  # fmt: skip
            result = {"result": responses.get(call_id)} if call_id in responses else {}
            if failed:  # its answer is its error, as run_tool gives it: "Error: Type: msg"
                answer = result.get("result") or record.error
                if isinstance(answer, str) and answer.startswith("Error: "):
                    answer = answer[len("Error: ") :]
                result = failure_attributes(answer)
            self._write(ended, detail, run, record.key, "tool", name, tool_exec, execution, meta,
                        st, TOOL_FAILED if failed else None, result, agent)  # fmt: skip

    def _write_parses(self, record: ActionRecord, execution: str, run: str) -> None:
        """The structured-output parses of a chat action (``parser`` ``structured_output``,
        as upstream's chat action reports them), children of its execution."""
        parses = [c for c in getattr(record, "calls", ()) if c.kind == "parser"]
        for i, parse in enumerate(parses):
            detail = self.targets.detail("parser", parse.name)
            if detail == OFF:
                continue
            ex = self._call_id()
            closing = "success" if parse.ok else "failed"
            last = not parse.ok and i == len(parses) - 1 and record.status != "ok"
            out = failure_attributes(record.error) if last else {}
            for ns, st in ((parse.start_ns, "started"), (parse.end_ns, closing)):
                ended_bad = st == "failed"
                self._write(ns, detail, run, record.key, "parser", parse.name, ex, execution,
                            {}, st, PARSE_FAILED if ended_bad else None,
                            out if ended_bad else {}, record.agent)  # fmt: skip

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
        for waiting in list(self._calls_of.values()):  # their event never came
            self._write_waiting(waiting, None)
        self._calls_of.clear()
        self.flush()
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
