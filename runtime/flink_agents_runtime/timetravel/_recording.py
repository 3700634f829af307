"""A recorded run, cut into inputs: what replay and fork read from a record.

The record is a list of row dicts shaped like the notebook's record frame (``record_type``,
``key``, ``seq``, ``input_seq``, ``job``, ``task``, ``subtask``, ``event_id``, ``event_type``,
``upstream_event_id``, ``upstream_action``, ``action``, ``duration_ms``, ``status``,
``attempt``, ``error``, ``attributes``, ``timestamp``): :func:`rows_of_result` makes them
from a :class:`RunResult`, the notebook layer from any event log it reads.

An input is identified by its key and its *ordinal* (0 for the key's first input, ...), which
holds across drivers and subtasks (per key, inputs run in order). Records are assigned to an
input by ``(job, task, subtask, input_seq)`` when the record has input numbers, else by
following ``upstream_event_id`` back to an input event.
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from flink_agents_runtime._errors import FlinkAgentsError, NotRecordedError
from flink_agents_runtime.api._memory import MemoryNode
from flink_agents_runtime.chat._events import failed_tool_calls
from flink_agents_runtime.engine.reporting._run import RunResult

INPUT_EVENT = "_input_event"
OUTPUT_EVENT = "_output_event"
CHAT_ANSWERS = ("_tool_request_event", "_chat_response_event")
TOOL_ANSWER = "_tool_response_event"


class RecordError(FlinkAgentsError, ValueError):
    """A record cannot be replayed or forked (no inputs, no such event, ...)."""


def rows_of_result(result: RunResult) -> list[dict[str, Any]]:
    """The records of ``result`` as row dicts (see the module docstring), in ``seq`` order.

    Raises :class:`NotRecordedError` when the run kept no records (``record=False``).
    """
    if result.events is None or result.actions is None:
        raise NotRecordedError(
            f"run {result.run_id} kept no records; execute with record=True to replay or fork it"
        )
    rows: list[dict[str, Any]] = []
    for rec in result.events:
        ev = rec.event
        rows.append(
            {
                "record_type": "event",
                "timestamp": rec.timestamp_ns,
                "job": result.run_id,
                "task": rec.task,
                "subtask": rec.subtask,
                "key": rec.key,
                "seq": rec.seq,
                "input_seq": rec.input_seq,
                "event_id": ev.id,
                "event_type": ev.type,
                "upstream_event_id": ev.upstream_event_id,
                "upstream_action": ev.upstream_action_name,
                "attributes": ev.attributes,
            }
        )
    for act in result.actions:
        rows.append(
            {
                "record_type": "action",
                "timestamp": act.timestamp_ns,
                "job": result.run_id,
                "task": act.task,
                "subtask": act.subtask,
                "key": act.key,
                "seq": act.seq,
                "input_seq": act.input_seq,
                "event_id": act.event_id,
                "event_type": act.event_type,
                "action": act.action,
                "duration_ms": act.duration_ns / 1e6,
                "status": act.status,
                "attempt": act.attempt,
                "error": act.error,
                "attributes": {
                    "sentEventIds": list(act.sent_event_ids),
                    "memoryWrites": [
                        {"memory": m, "path": p, "value": v} for m, p, v in act.memory_writes
                    ],
                },
            }
        )
    rows.sort(key=lambda r: r["seq"])
    return rows


@dataclass
class RecordedInput:
    """One input of the record and everything it caused.

    Attributes:
        key, ordinal: which input (the key's ``ordinal``-th, from 0).
        input_seq: its number in the record (its position when the record has none).
        value: the input value (``attributes.input`` of its input event).
        events, actions: its event and action rows, in record order.
        chat: recorded model answers in call order: ``(setup name, outcome)``.
        tools: recorded tool answers by call id: ``(tool name, arguments, outcome)``.
    """

    key: Any
    ordinal: int
    input_seq: int
    value: Any
    events: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    chat: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)
    tools: dict[Any, deque[tuple[str, Any, dict[str, Any]]]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``key 'ada' input 1``."""
        return f"key {self.key!r} input {self.ordinal}"

    def outputs(self) -> list[Any]:
        """The outputs it emitted, in order."""
        return [
            (e.get("attributes") or {}).get("output")
            for e in self.events
            if e["event_type"] == OUTPUT_EVENT
        ]


def _order(row: dict[str, Any]) -> tuple[Any, ...]:
    """Record order: per job and subtask by ``seq`` (by time when records have none)."""
    seq = row.get("seq")
    ts = row.get("timestamp")
    at = seq if isinstance(seq, int) else (ts if isinstance(ts, int) else 0)
    return (str(row.get("job") or ""), str(row.get("task") or ""), row.get("subtask") or 0, at)


class Recording:
    """A record cut into inputs (see the module docstring).

    Attributes:
        inputs: every input in replay order (the order they started in the record).
        has_actions: whether the record holds action rows.
        has_memory: whether its action rows carry memory writes (some record none: a Flink
            job's log; then memory writes are not compared). True when the caller says the
            record holds every write (``memory_recorded``: a local run's, whose agent may
            write none), else when some action row lists a write.
    """

    def __init__(
        self, rows: list[dict[str, Any]], name: str = "record", memory_recorded: bool = False
    ) -> None:
        self.name = name
        groups: dict[Any, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
        root_of: dict[Any, Any] = {}
        self.has_actions = False
        self.has_memory = memory_recorded
        for row in sorted(rows, key=_order):
            seq = row.get("input_seq")
            if seq is not None:
                gid: Any = (row.get("job"), row.get("task"), row.get("subtask"), seq)
            elif row["record_type"] == "event":
                up = row.get("upstream_event_id")
                gid = root_of.get(up, row.get("event_id")) if up else row.get("event_id")
                root_of[row.get("event_id")] = gid
            else:
                gid = root_of.get(row.get("event_id"))
            if row["record_type"] == "action":
                self.has_actions = True
                attrs = row.get("attributes")
                if isinstance(attrs, dict) and attrs.get("memoryWrites"):
                    self.has_memory = True
            events, actions = groups.setdefault(gid, ([], []))
            (events if row["record_type"] == "event" else actions).append(row)
        self.inputs: list[RecordedInput] = []
        ordinals: dict[Any, int] = {}
        for events, actions in groups.values():
            first = next((e for e in events if e["event_type"] == INPUT_EVENT), None)
            if first is None:
                continue  # records of an input whose input event was not kept
            key = first.get("key")
            ordinal = ordinals.get(key, 0)
            ordinals[key] = ordinal + 1
            value = (first.get("attributes") or {}).get("input")
            seq = first.get("input_seq")
            seq = seq if isinstance(seq, int) else len(self.inputs)
            rec = RecordedInput(key, ordinal, seq, copy.deepcopy(value), events, actions)
            _collect_answers(rec)
            self.inputs.append(rec)
        if not self.inputs:
            raise RecordError(f"{name}: no input events ({INPUT_EVENT}) to replay")

    def input_of(self, event_id: str) -> tuple[RecordedInput, int]:
        """The input holding event ``event_id`` and the event's index in it."""
        for rec in self.inputs:
            for i, ev in enumerate(rec.events):
                if ev.get("event_id") == event_id:
                    return rec, i
        raise RecordError(f"{self.name}: no event with id {event_id!r}")

    def short_term_before(self, target: RecordedInput, before_seq: int | None = None) -> Any:
        """Short-term memory of ``target``'s key when ``target`` started (or, with
        ``before_seq``, after its actions recorded before that ``seq``), as a
        :class:`MemoryNode` tree."""
        root = MemoryNode()
        for rec in self.inputs:
            if rec.key != target.key:
                continue
            if rec is target:
                if before_seq is not None:
                    fold_writes(root, rec.actions, "short_term", before_seq)
                break
            fold_writes(root, rec.actions, "short_term")
        return root


def _collect_answers(rec: RecordedInput) -> None:
    by_id = {e.get("event_id"): e for e in rec.events}
    state_of_sent: dict[Any, dict[str, Any]] = {}
    for act in rec.actions:  # the chat state an action stored names the full answer
        attrs = act.get("attributes") or {}
        if act.get("status") not in ("ok", "replayed") or not isinstance(attrs, dict):
            continue
        for w in attrs.get("memoryWrites") or ():
            value = w.get("value") if isinstance(w, dict) else None
            if isinstance(value, dict) and isinstance(value.get("messages"), list):
                for sent in attrs.get("sentEventIds") or ():
                    state_of_sent[sent] = value
    for ev in rec.events:
        etype = ev["event_type"]
        attrs = ev.get("attributes") or {}
        if etype in CHAT_ANSWERS and ev.get("upstream_action") in (None, "chat_model_action"):
            outcome = _chat_outcome(etype, attrs, state_of_sent.get(ev.get("event_id")))
            name = attrs.get("model") if etype == CHAT_ANSWERS[0] else attrs.get("chat_model")
            rec.chat.append((name, outcome))
        elif etype == TOOL_ANSWER:
            request = by_id.get(ev.get("upstream_event_id")) or {}
            calls = (request.get("attributes") or {}).get("tool_calls") or []
            responses = attrs.get("responses") or {}
            errors = failed_tool_calls(attrs)
            for call in calls:
                cid = call.get("id")
                if cid not in responses:
                    continue
                fn = call.get("function") or {}
                outcome = {"ok": str(cid) not in errors, "content": responses[cid]}
                rec.tools.setdefault(cid, deque()).append(
                    (str(fn.get("name")), fn.get("arguments"), outcome)
                )


def _chat_outcome(etype: str, attrs: dict[str, Any], state: Any) -> dict[str, Any]:
    if etype == CHAT_ANSWERS[1]:
        response = attrs.get("response")
        if isinstance(response, str):
            response = {"role": "assistant", "content": response}
        retries = int(attrs.get("retry_count") or 0)
        waited = float(attrs.get("total_retry_wait_sec") or 0.0)
        return {"response": copy.deepcopy(response or {}), "retries": retries, "waited": waited}
    if isinstance(state, dict) and state["messages"]:
        response = state["messages"][-1]  # exactly what the model answered
    else:
        usage = attrs.get("call_usage") or {}
        response = {
            "role": "assistant",
            "content": attrs.get("response_content") or "",
            "tool_calls": attrs.get("tool_calls") or [],
            "extra_args": {"model_name": attrs.get("model_name"), **usage},
        }
    return {"response": copy.deepcopy(response), "retries": 0, "waited": 0.0}


def fold_writes(
    root: MemoryNode, actions: list[dict[str, Any]], memory: str, before_seq: int | None = None
) -> MemoryNode:
    """Apply the ``memory`` writes of successful ``actions`` (those with ``seq`` below
    ``before_seq``, if given) to ``root``, in order; returns ``root``."""
    for act in actions:
        if before_seq is not None and (act.get("seq") or 0) >= before_seq:
            break
        if act.get("status") not in ("ok", "replayed"):
            continue
        attrs = act.get("attributes") or {}
        for w in attrs.get("memoryWrites") or () if isinstance(attrs, dict) else ():
            if isinstance(w, dict) and w.get("memory") == memory:
                apply_write(root, str(w.get("path")), w.get("value"))
    return root


def apply_write(root: MemoryNode, path: str, value: Any) -> None:
    """Apply one recorded write: ``a.b{}`` makes an object node, ``a.b`` sets a value."""
    make_object = path.endswith("{}")
    parts = (path[:-2] if make_object else path).split(".")
    node = root
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, MemoryNode):
            child = node[part] = MemoryNode()
        node = child
    if make_object:
        if not isinstance(node.get(parts[-1]), MemoryNode):
            node[parts[-1]] = MemoryNode()
    else:
        node[parts[-1]] = copy.deepcopy(value)


def to_plain(node: Any) -> Any:
    """A memory tree as plain nested dicts (for comparisons and display)."""
    if isinstance(node, dict):
        return {k: to_plain(v) for k, v in node.items()}
    return node
