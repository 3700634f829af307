"""Where a replay departs from its record: the first differing event of each input.

Events are compared per input, in order, by type, lineage (the upstream event's position in
the input, the upstream action) and attributes; event ids are replaced by positions
(``@3``: the input's fourth event) and numbers under keys ending in ``_ns`` or
``timestamp`` by 0, so ids and times never count as differences. When the
events agree, action records are compared (action, handled event, status, memory writes).
A sub-agent's own records (``<name>/...``) are not compared: the caller's events already
hold what each call answered.

The reason given for an input's first divergence:

- ``call not in the record``: the replay made a model or tool call the record could not
  answer (a different request count, model or tool arguments);
- ``memory differed``: the key's short-term memory differed when the input started (an
  earlier input of the key diverged, or a fork edited it);
- ``code changed``: same input, memory and answers, different events: the agent's code,
  prompt or configuration changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flink_agents_runtime.api._memory import MemoryNode
from flink_agents_runtime.engine.reporting._nested import without_nested
from flink_agents_runtime.timetravel._difference import first_difference
from flink_agents_runtime.timetravel._recording import RecordedInput, Recording, fold_writes
from flink_agents_runtime.timetravel._sources import Miss

CALL_MISSING = "call not in the record"
MEMORY_DIFFERED = "memory differed"
CODE_CHANGED = "code changed"


@dataclass(frozen=True)
class Divergence:
    """The first difference of one input between record and replay.

    Attributes:
        key, ordinal: the input (the key's ``ordinal``-th).
        position: index of the first differing event in the input (-1: the events agree
            and an action record differs).
        event_type: that event's type in the record (``None`` if the record has fewer).
        replay_event_type: its type in the replay (``None`` if the replay has fewer).
        reason: one of :data:`CALL_MISSING`, :data:`MEMORY_DIFFERED`, :data:`CODE_CHANGED`.
        detail: what differs, as text.
    """

    key: Any
    ordinal: int
    position: int
    event_type: str | None
    replay_event_type: str | None
    reason: str
    detail: str


#: Numbers under these keys are times (``started_ns``, ``timestamp``): never a difference.
_TIMES = re.compile(r'("[^"]*(?:_ns|timestamp)"): -?\d+(?:\.\d+)?')


def _norm(value: Any, ids: dict[str, str]) -> str:
    """``value`` as canonical JSON text with every event id replaced by its position and
    times zeroed (compared as text: fast; parsed back only to describe a difference)."""
    text = _TIMES.sub(r"\1: 0", json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))
    for old, new in ids.items():
        if old in text:
            text = text.replace(old, new)
    return text


def _parsed(sig: dict[str, Any]) -> dict[str, Any]:
    """A signature with its JSON text fields parsed (for :func:`first_difference`)."""
    return {k: json.loads(v) if k in _TEXT_FIELDS else v for k, v in sig.items()}


_TEXT_FIELDS = ("attributes", "memory_writes")


def signatures(
    events: list[dict[str, Any]], actions: list[dict[str, Any]], with_memory: bool = True
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Id-free descriptions of an input's events and action records (see module docstring)."""
    ids = {str(e.get("event_id")): f"@{i}" for i, e in enumerate(events) if e.get("event_id")}
    evs = [
        {
            "type": e["event_type"],
            "upstream": ids.get(str(e.get("upstream_event_id"))),
            "upstream_action": e.get("upstream_action"),
            "attributes": _norm(e.get("attributes") or {}, ids),
        }
        for e in events
    ]
    acts = []
    for a in actions:
        attrs = a.get("attributes") or {}
        sig = {
            "action": a.get("action"),
            "event": ids.get(str(a.get("event_id")), a.get("event_type")),
            "status": a.get("status"),
            "sent": [ids.get(str(s), "?") for s in attrs.get("sentEventIds") or ()],
        }
        if with_memory:
            sig["memory_writes"] = _norm(attrs.get("memoryWrites") or [], ids)
        acts.append(sig)
    return evs, acts


def _event_detail(i: int, a: list[dict[str, Any]], b: list[dict[str, Any]]) -> str:
    if i >= len(a):
        return f"the replay sent an extra event {i} ({b[i]['type']}); the record ends at {i}"
    if i >= len(b):
        return f"the replay stopped after {i} events; the record goes on with {a[i]['type']}"
    if a[i]["type"] != b[i]["type"]:
        return f"event {i}: {a[i]['type']} in the record, {b[i]['type']} in the replay"
    where = first_difference(_parsed(a[i]), _parsed(b[i])) or "?"
    return f"event {i} ({a[i]['type']}) differs at {where}"


_CALLERS = ("chat_model_action", "tool_call_action")


def _answer_missing(i: int, a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    """Whether event ``i`` differs because an answer differs (or the replay stopped)."""
    if i < 0 or i >= len(b):
        return True
    return any(i < len(x) and x[i]["upstream_action"] in _CALLERS for x in (a, b))


def compare_input(
    recorded: RecordedInput,
    events: list[dict[str, Any]],
    actions: list[dict[str, Any]],
    *,
    with_actions: bool,
    with_memory: bool,
    memory_differs: bool,
    misses: list[Miss],
    error: BaseException | None,
) -> Divergence | None:
    """The first divergence of one replayed input from its record, or ``None``. The rows
    of sub-agent calls are left out on both sides (``engine.reporting._nested.without_nested``)."""
    ra, rb = signatures(*without_nested(recorded.events, recorded.actions), with_memory)
    pa, pb = signatures(*without_nested(events, actions), with_memory)
    position = next(
        (i for i, (x, y) in enumerate(zip(ra, pa, strict=False)) if x != y),
        min(len(ra), len(pa)),
    )
    detail = None
    if position < max(len(ra), len(pa)):
        detail = _event_detail(position, ra, pa)
    elif with_actions and rb != pb:
        j = next(
            (i for i, (x, y) in enumerate(zip(rb, pb, strict=False)) if x != y),
            min(len(rb), len(pb)),
        )
        position = -1
        if j >= len(rb) or j >= len(pb):
            detail = f"action records: {len(rb)} in the record, {len(pb)} in the replay"
        else:
            detail = f"action record {j} ({rb[j]['action']}) differs at "
            detail += first_difference(_parsed(rb[j]), _parsed(pb[j])) or "?"
    if detail is None:
        return None
    if error is not None and not misses:  # (a miss's error repeats the miss)
        detail += f"; the replay failed: {type(error).__name__}: {error}"
    if misses and _answer_missing(position, ra, pa):
        reason = CALL_MISSING
        detail = f"{misses[0].site}: {misses[0].reason}; {detail}"
    elif memory_differs:
        reason = MEMORY_DIFFERED
    else:
        reason = CODE_CHANGED
    return Divergence(
        recorded.key,
        recorded.ordinal,
        position,
        ra[position]["type"] if 0 <= position < len(ra) else None,
        pa[position]["type"] if 0 <= position < len(pa) else None,
        reason,
        detail,
    )


def divergences(
    recording: Recording,
    replay_rows: Iterable[dict[str, Any]],
    replayed: dict[int, RecordedInput],
    misses: list[Miss],
    errors: dict[int, BaseException],
) -> list[Divergence]:
    """The first divergence of every replayed input (inputs that agree are left out)."""
    by_seq: dict[int, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
    for row in replay_rows:
        events, actions = by_seq.setdefault(row["input_seq"], ([], []))
        (events if row["record_type"] == "event" else actions).append(row)
    memory_a: dict[Any, MemoryNode] = {}
    memory_b: dict[Any, MemoryNode] = {}
    found = []
    for seq, rec in replayed.items():
        events, actions = by_seq.get(seq, ([], []))
        before_a = memory_a.setdefault(rec.key, MemoryNode())
        before_b = memory_b.setdefault(rec.key, MemoryNode())
        differs = recording.has_memory and before_a != before_b
        div = compare_input(
            rec,
            events,
            actions,
            with_actions=recording.has_actions,
            with_memory=recording.has_memory,
            memory_differs=differs,
            misses=[m for m in misses if m.input_seq == seq],
            error=errors.get(seq),
        )
        if div is not None:
            found.append(div)
        fold_writes(before_a, rec.actions, "short_term")
        fold_writes(before_b, actions, "short_term")
    return found
