"""Causal lineage over an event-log frame: each input's tree, and broken links as problems.

A tree starts at an input event (an event record without ``upstream_event_id``). Under an
event hang the action records that handled it (``event_id`` = the event's id, in record
order); under an action hang the events it sent (``upstream_event_id`` = the handled event,
``upstream_action`` = the action's name; with retries, under the attempt that succeeded).
An action execution whose handled event the log does not name (pre-0.4 flat logs, for one
that sent no event) hangs under the event deduced from its input run, or, when that cannot
be told, under its run's input event with ``event_id`` ``None``.
Logs without action records (Apache Flink Agents' own) get one node per sending action,
without timing. Broken links: an event whose upstream event is not in the log, an action
whose handled event is not in the log, and upstream chains that loop (cycles).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.eventlog._handled import deduced_handled
from flink_agents_nb.eventlog.columns._arrays import is_none
from flink_agents_nb.eventlog.files._files import LogProblem
from flink_agents_nb.eventlog.ids._ids import EventCodes, Kinds
from flink_agents_runtime.eventlog._lines import encode_value


@dataclass
class CausalNode:
    """One node of a causal tree.

    Attributes:
        kind: ``"event"``, ``"action"`` or (trace logs) ``"call"``: an llm, tool or parser
            call made by the action above it, from execution ids.
        row: position of its record in the frame (``-1`` for an action known only from the
            events it sent).
        name: the event type or the action name.
        event_id: the event's id (events) or the handled event's id (actions).
        status: actions: ``ok``/``failed``/``ignored`` (``None`` when unknown).
        children: actions under an event, sent events under an action.
    """

    kind: str
    row: int
    name: str
    event_id: Any = None
    status: Any = None
    children: list[CausalNode] = field(default_factory=list)

    def walk(self) -> list[CausalNode]:
        """This node and every descendant, depth first."""
        out, stack = [], [self]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children))
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready nested dict."""
        return {
            "kind": self.kind,
            "row": self.row,
            "name": self.name,
            "event_id": self.event_id,
            "status": self.status,
            "children": [c.to_dict() for c in self.children],
        }


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def causal_trees(
    frame: pd.DataFrame, key: Any = None, input_seq: int | None = None
) -> list[CausalNode]:
    """One tree per input event of ``key`` (all keys when ``None``), in record order.

    ``key`` also matches by string form (``"7"`` finds key ``7``, as on a command line).
    """
    sub = frame
    if key is not None:
        keys = frame["key"]
        mask = (keys == key) | (keys.map(lambda k: str(k) == str(key)))
        sub = frame[mask.to_numpy(dtype=bool)]
    if input_seq is not None:
        sub = sub[(sub["input_seq"] == input_seq).fillna(False).to_numpy(dtype=bool)]
    rows = sub.index.to_numpy()
    rtype = sub["record_type"].to_numpy()
    ids = sub["event_id"].to_numpy()
    ups = sub["upstream_event_id"].to_numpy()
    up_actions = sub["upstream_action"].to_numpy()
    actions = sub["action"].to_numpy()
    statuses = sub["status"].to_numpy()
    types = sub["event_type"].to_numpy()
    by_event: dict[Any, list[int]] = defaultdict(list)
    by_parent: dict[Any, list[int]] = defaultdict(list)
    roots: list[int] = []
    open_starts = _unended(sub)  # executions the log saw start and never end (in flight)
    calls = _calls_by_execution(sub, open_starts)
    traced = "execution_id" in sub.columns and "parent_execution_id" in sub.columns
    execs = sub["execution_id"].to_numpy() if traced else None
    senders = sub["parent_execution_id"].to_numpy() if traced else None  # events: the sender
    orphans: list[int] = []  # actions whose handled event the log does not name
    for i in range(len(rows)):
        if rtype[i] == "action" or open_starts.get(i) == "action":
            if _missing(ids[i]):
                orphans.append(i)
            else:
                by_event[ids[i]].append(i)
        elif rtype[i] != "event":  # a trace log's starts and calls: under their action
            continue
        elif _missing(ups[i]):
            roots.append(i)
        else:
            by_parent[ups[i]].append(i)

    deduced = deduced_handled(frame, sub, orphans) if orphans else {}
    for i, eid in deduced.items():
        by_event[eid].append(i)
        by_event[eid].sort()  # in record order among the event's other actions
    seen: set[Any] = set()

    def action_node(j: int, eid: Any) -> CausalNode:
        act = CausalNode("action", int(rows[j]), str(actions[j]), eid, statuses[j])
        if execs is not None:
            act.children.extend(calls.get(execs[j], ()))
        return act

    def event_node(i: int) -> CausalNode:
        node = CausalNode("event", int(rows[i]), str(types[i]), ids[i])
        eid = ids[i]
        if _missing(eid) or eid in seen:
            return node
        seen.add(eid)
        owner: dict[Any, CausalNode] = {}
        by_exec: dict[Any, CausalNode] = {}
        adopted: set[Any] = set()  # senders whose calls hang under an action known by name
        for j in by_event.get(eid, ()):
            act = action_node(j, eid)
            node.children.append(act)
            if execs is not None and not _missing(execs[j]):
                by_exec[execs[j]] = act
            name = actions[j]
            if name not in owner or statuses[j] == "ok":
                owner[name] = act
        # a sent event goes under the execution that sent it when the log names one of
        # these (two actions of one name on one event), else under the action of its name
        for j in by_parent.get(eid, ()):
            known = by_exec.get(senders[j]) if senders is not None else None
            if known is None:
                name = up_actions[j]
                known = owner.get(name)
                if known is None:
                    label = "?" if _missing(name) else str(name)
                    known = owner[name] = CausalNode("action", -1, label, eid, None)
                    node.children.append(known)
                if known.row < 0 and senders is not None and senders[j] not in adopted:
                    adopted.add(senders[j])  # its calls, when the log has them but no action
                    known.children.extend(calls.get(senders[j], ()))
            known.children.append(event_node(j))
        return node

    trees = [event_node(i) for i in roots]
    unplaced = [i for i in orphans if i not in deduced]
    if unplaced and "run_id" in sub.columns:  # under their run's input event, event_id None
        runs = sub["run_id"].to_numpy()
        tree_of_run: dict[Any, CausalNode] = {}
        for i, tree in zip(roots, trees, strict=True):
            tree_of_run.setdefault(runs[i], tree)
        for j in unplaced:
            home = None if _missing(runs[j]) else tree_of_run.get(runs[j])
            if home is not None:
                home.children.append(action_node(j, None))
    return trees


def _unended(frame: pd.DataFrame) -> dict[int, str]:
    """A trace log's executions that started and never ended in it (the job stopped, or
    the log was cut, while they ran): their first ``start`` row (position in ``frame``) ->
    ``"action"`` or ``"call"``. Such a row stands for its execution, status ``started``."""
    if "execution_id" not in frame.columns:
        return {}
    rtype = frame["record_type"].to_numpy()
    starts = np.flatnonzero(rtype == "start")
    if not len(starts):
        return {}
    execs, kinds = frame["execution_id"].to_numpy(), frame["entity_type"].to_numpy()
    ended = set(execs[(rtype == "action") | (rtype == "call")].tolist())
    out: dict[int, str] = {}
    seen: set[Any] = set()
    for r in starts.tolist():
        ex = execs[r]
        if _missing(ex) or ex in ended or ex in seen:
            continue
        seen.add(ex)
        out[r] = "action" if kinds[r] == "action" else "call"
    return out


def _calls_by_execution(
    frame: pd.DataFrame, open_starts: dict[int, str] | None = None
) -> dict[Any, list[CausalNode]]:
    """A trace log's calls (llm, tool, parser records that ended, and those of
    ``open_starts`` that never did) by the execution id of the action around them, as
    ``call`` nodes (name: ``"<entity type> <entity name>"``)."""
    if "parent_execution_id" not in frame.columns:
        return {}
    rows = np.flatnonzero((frame["record_type"] == "call").to_numpy())
    if open_starts:
        more = [r for r, kind in open_starts.items() if kind == "call"]
        rows = np.sort(np.concatenate([rows, np.asarray(more, dtype=rows.dtype)]))
    out: dict[Any, list[CausalNode]] = defaultdict(list)
    parents = frame["parent_execution_id"].to_numpy()
    kinds, names = frame["entity_type"].to_numpy(), frame["entity_name"].to_numpy()
    statuses, ids, index = frame["status"].to_numpy(), frame["event_id"].to_numpy(), frame.index
    for r in rows.tolist():
        if not _missing(parents[r]):
            node = CausalNode("call", int(index[r]), f"{kinds[r]} {names[r]}", ids[r], statuses[r])
            out[parents[r]].append(node)
    return out


def _preview(value: Any, width: int = 60) -> str:
    try:
        text = encode_value(value).decode()
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def render_trees(frame: pd.DataFrame, trees: list[CausalNode]) -> str:
    """Draw ``trees`` as indented text: events with an attribute preview, actions with
    status and duration."""
    out: list[str] = []
    for tree in trees:
        _render(frame, tree, "", "", out)
    return "\n".join(out)


def _render(frame: pd.DataFrame, node: CausalNode, lead: str, rest: str, out: list[str]) -> None:
    if node.kind == "event":
        row = frame.iloc[node.row]
        text = f"{node.name} {_preview(row['attributes'])}"
        if _missing(row["upstream_event_id"]):
            text = f"{text}  (key {row['key']!r})"
    elif node.kind == "action" and node.row >= 0:
        row = frame.iloc[node.row]
        ms = row["duration_ms"]
        timing = "" if pd.isna(ms) else f" {ms:.3f} ms"
        text = f"action {node.name} [{node.status}]{timing}"
        error = row["error"]  # (0.4 and pre-0.4 trace logs: only here)
        if _missing(error) or not error:
            error = (row["attributes"] or {}).get("error")
        if error:
            text = f"{text}: {error}"
        if _missing(node.event_id):
            text = f"{text}  (handled event not recorded)"
    elif node.kind == "call":
        row = frame.iloc[node.row]
        ms = row["duration_ms"]
        timing = "" if pd.isna(ms) else f" {ms:.3f} ms"
        model = row["model"]
        text = f"{node.name} [{node.status}]{timing}" + (f" ({model})" if model else "")
        if row["error"]:
            text = f"{text}: {row['error']}"
    else:
        text = f"action {node.name}"
    out.append(lead + text)
    for index, child in enumerate(node.children):
        last = index == len(node.children) - 1
        _render(
            frame, child, rest + ("└─ " if last else "├─ "), rest + ("   " if last else "│  "), out
        )


def check_links(
    frame: pd.DataFrame, codes: EventCodes | None = None, record: Kinds | None = None
) -> list[LogProblem]:
    """Broken causal links: missing upstream events, actions on missing events, cycles.
    A trace log holding no event at all (``trace-log.targets`` left them out) has no
    action's handled event to find: that is not checked.

    The checks run on numbers: event ids, upstream ids and handled ids numbered together,
    record types told apart by object (:class:`.ids._ids.Kinds`). ``codes``: the frame's ids
    numbered already (by the reader's processes as they read, see :mod:`.ids._numbering`, or
    by the trace linking): no id is hashed here; else every id is hashed once
    (``pd.factorize``: strings alone, pandas' table of encoded strings). ``record``: the
    frame's ``record_type`` as :class:`.ids._ids.Kinds` already (the trace linking's).
    """
    if frame.empty:
        return []
    problems: list[LogProblem] = []
    if record is None:
        record = Kinds(frame["record_type"].to_numpy())
    is_event = record.of("event")
    ids = frame["event_id"].to_numpy()
    ups = frame["upstream_event_id"].to_numpy()
    if codes is None:
        has_id = ~is_none(ids)  # the frame holds None for missing (its contract): by address
        ev_rows = (is_event & has_id).nonzero()[0]
        up_rows = (is_event & ~is_none(ups)).nonzero()[0]
        act_rows = (record.of("action") & has_id).nonzero()[0]
        found, uniques = pd.factorize(np.concatenate([ids[ev_rows], ups[up_rows], ids[act_rows]]))
        ev_codes = found[: len(ev_rows)]
        up_codes = found[len(ev_rows) : len(ev_rows) + len(up_rows)]
        act_codes = found[len(ev_rows) + len(up_rows) :]
        n = len(uniques)
    else:
        has_code = codes.event >= 0
        ev_rows = (is_event & has_code).nonzero()[0]
        up_rows = (is_event & (codes.upstream >= 0)).nonzero()[0]
        act_rows = (record.of("action") & has_code).nonzero()[0]
        ev_codes, up_codes = codes.event[ev_rows], codes.upstream[up_rows]
        act_codes = codes.event[act_rows]
        n = int(max(codes.event.max(initial=-1), codes.upstream.max(initial=-1))) + 1
    known = np.zeros(n, dtype=bool)
    known[ev_codes] = True
    files, lines = frame["file"].to_numpy(), frame["line"].to_numpy()
    for row in up_rows[~known[up_codes]]:
        problems.append(
            LogProblem(
                str(files[row]),
                int(lines[row]),
                f"event {ids[row]} ({frame['event_type'].iat[row]}): upstream event "
                f"{ups[row]} is not in the log (missing parent)",
            )
        )
    if not len(ev_rows) and "entity_type" in frame.columns:
        act_rows, act_codes = act_rows[:0], act_codes[:0]  # written without events: by design
    for row in act_rows[~known[act_codes]]:
        problems.append(
            LogProblem(
                str(files[row]),
                int(lines[row]),
                f"action {frame['action'].iat[row]} handled event {ids[row]}, "
                "which is not in the log",
            )
        )
    problems.extend(_cycles(frame, n, known, ev_rows, ev_codes, up_rows, up_codes))
    return problems


def _cycles(
    frame: pd.DataFrame,
    n: int,
    known: np.ndarray,
    ev_rows: np.ndarray,
    ev_codes: np.ndarray,
    up_rows: np.ndarray,
    up_codes: np.ndarray,
) -> list[LogProblem]:
    """Events whose upstream chain never reaches an input event (pointer doubling over the
    ``n`` id numbers of :func:`check_links`)."""
    if not len(ev_rows):
        return []
    code_of_row = np.full(len(frame), -1, dtype=np.int64)
    code_of_row[ev_rows] = ev_codes
    node_of = code_of_row[up_rows]
    linked = (node_of >= 0) & known[up_codes]
    parent = np.full(n + 1, n, dtype=np.int64)  # n: no (known) parent
    parent[node_of[linked]] = up_codes[linked]
    for _ in range(max(1, int(n).bit_length() + 1)):
        further = parent[parent]
        if np.array_equal(further, parent):  # every chain reached its end (or a loop)
            break
        parent = further
    looping = (parent[:n] != n).nonzero()[0]
    if len(looping) == 0:
        return []
    first_row = np.full(n, -1, dtype=np.int64)
    numbered, first = np.unique(ev_codes, return_index=True)
    first_row[numbered] = ev_rows[first]  # the first event row of each id
    files, lines = frame["file"].to_numpy(), frame["line"].to_numpy()
    ids = frame["event_id"].to_numpy()
    out = []
    # a looping id has a parent: it is an event's id; in order of its first event row
    for row in np.sort(first_row[looping]).tolist():
        out.append(
            LogProblem(
                str(files[row]),
                int(lines[row]),
                f"event {ids[row]}: its upstream chain loops (cycle) and never reaches "
                "an input event",
            )
        )
    return out
