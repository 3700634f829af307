"""The spans of a Flink Agents 0.4 trace log's frame, built column-wise.

Same spans, ids, order and attributes as the general per-run builder in :mod:`._spans`
(see its docstring for the mapping), for frames with ``run_id``: per input run a root span,
then a span per ended action, then a span per ended call (llm, tool, parser, ...), runs in
order of first record. What differs is how: the per-run aggregates (start, end, token
totals, last action's status) come from ``np.minimum/maximum/add.reduceat`` over the rows
sorted by run; rows are picked by masks; the Python left per span is its id (MD5, as in
:func:`._spans._id`) and its attribute dict.

The agent: a run's root is named after the ``agent_name`` its records carry (0.4's
``agentName``; the first one given in the run) unless ``agent_name=`` is passed, else as
the per-run builder names it (task, job); an action or call span whose row names another
agent (a sub-agent's work inside the run) says so in its own ``gen_ai.agent.name``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.eventlog.columns._arrays import codes as codes_of
from flink_agents_nb.eventlog.ids._ids import Kinds, id_codes
from flink_agents_nb.otel._names import (
    CHAT,
    ENTITY_TYPE,
    ERROR_TYPE,
    EXECUTE_TOOL,
    EXECUTION_ID,
    GEN_AI_AGENT_NAME,
    GEN_AI_OPERATION_NAME,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_TOOL_NAME,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    MODEL_RESOURCE,
)
from flink_agents_nb.otel._span_spec import (
    SpanSpec,
    _error_type,
    _none,
    action_attrs,
    agent_label,
    mark_execution,
    one_model,
    root_span,
    run_where,
    status_message,
)
from flink_agents_nb.otel._trace_events import attach_events, under_parent

_NAT = np.iinfo(np.int64).min


def _ids(bits: int, texts: list[str]) -> list[int]:
    """:func:`._spans._id` of each text (its parts already joined by ``\\x1f``)."""
    md5, size = hashlib.md5, bits // 8
    return [
        int.from_bytes(md5(t.encode(), usedforsecurity=False).digest()[:size], "big") or 1
        for t in texts
    ]


class _Rows:
    """A trace frame's rows sorted by run (each run's rows in frame order), with what every
    kind of span needs: columns in that order, times, the runs' trace and root span ids,
    and execution ids as integer keys ``run * width + code`` (one per run and id)."""

    def __init__(self, frame: pd.DataFrame, order: np.ndarray, codes: np.ndarray) -> None:
        self.frame, self.order = frame, order
        self.run_of = codes[order]
        self.taken: dict[str, np.ndarray] = {}
        self.stamps = frame["timestamp"].to_numpy(dtype="datetime64[ns]").view(np.int64)[order]
        self.dur = dur = self.floats("duration_ms")  # ms, NaN: none
        self.dur_ns = np.where(np.isnan(dur), 0.0, np.round(dur * 1e6)).astype(np.int64)
        self.failed = Kinds(self.col("status")).of("failed")
        exec_code, parent_code = id_codes(
            self.col("execution_id"), self.col("parent_execution_id"), by_object=(False, True)
        )
        width = int(max(exec_code.max(initial=-1), parent_code.max(initial=-1))) + 2
        run = self.run_of.astype(np.int64) * width
        # -1 (no id) gives run * width - 1: no key of a real code (at most width - 2)
        self.exec_key, self.parent_key = run + exec_code, run + parent_code
        self.has_exec, self.has_parent = exec_code >= 0, parent_code >= 0

    def col(self, name: str) -> np.ndarray:
        """A column's objects in run order (``None``s when the frame lacks it)."""
        if name not in self.taken:
            if name in self.frame.columns:
                self.taken[name] = self.frame[name].to_numpy()[self.order]
            else:
                self.taken[name] = np.full(len(self.order), None, dtype=object)
        return self.taken[name]

    def floats(self, name: str) -> np.ndarray:
        return self.frame[name].to_numpy(dtype=float, na_value=np.nan)[self.order]


def traced_spans(frame: pd.DataFrame, agent_name: str | None) -> list[SpanSpec]:
    """The spans of a trace log's ``frame`` (``run_id`` given somewhere); rows without a
    run id are left out."""
    run_ids = frame["run_id"].to_numpy()
    codes = codes_of(run_ids)  # as pd.factorize (first appearance, None -1), by object first
    order = np.argsort(codes, kind="stable")
    order = order[codes[order] >= 0]  # rows by run, each run's rows in frame order
    if not len(order):
        return []
    rows = _Rows(frame, order, codes)
    run_of = rows.run_of
    n_runs = int(run_of[-1]) + 1
    firsts = np.searchsorted(run_of, np.arange(n_runs))  # each run's first sorted row
    runs = [str(u) for u in run_ids[order[firsts]].tolist()]
    record = Kinds(rows.col("record_type"))
    stamps, dur_ns = rows.stamps, rows.dur_ns
    valid = stamps != _NAT
    # Per run: start (earliest valid time, else 0), end (latest time + duration, at least
    # the start), token totals of its events, its last action.
    big = np.iinfo(np.int64).max
    start = np.minimum.reduceat(np.where(valid, stamps, big), firsts)
    start = np.where(start == big, 0, start)
    end = np.maximum(np.maximum.reduceat(np.where(valid, stamps + dur_ns, _NAT), firsts), start)
    is_event = record.of("event")
    tokens = []
    for name in ("prompt_tokens", "completion_tokens"):
        values = rows.floats(name)
        whole = np.where(is_event & ~np.isnan(values), np.trunc(values), 0).astype(np.int64)
        tokens.append(np.add.reduceat(whole, firsts).tolist())
    actions = np.flatnonzero(record.of("action"))
    last_action = np.full(n_runs, -1, dtype=np.int64)  # each run's last action row
    if len(actions):
        ends_at = np.searchsorted(run_of[actions], np.arange(n_runs), side="right") - 1
        at = np.maximum(ends_at, 0)
        has_action = (ends_at >= 0) & (run_of[actions][at] == np.arange(n_runs))
        last_action = np.where(has_action, actions[at], -1)
    trace_ids = _ids(128, runs)
    root_ids = _ids(64, [f"{r}\x1froot" for r in runs])
    run_agents = _run_agents(rows, n_runs)
    models = _run_models(rows, is_event, n_runs)
    roots = _root_spans(
        rows, runs, firsts, start.tolist(), end.tolist(), tokens, last_action.tolist(),
        trace_ids, root_ids, agent_name, (run_agents, models),
    )  # fmt: skip
    action_spans, action_keys, keyed = _action_spans(rows, runs, actions, trace_ids, root_ids)
    calls = np.flatnonzero(record.of("call"))
    action_ids = [span.span_id for span in keyed]
    call_spans = _call_spans(
        rows, runs, calls, is_event, trace_ids, root_ids, action_keys, action_ids
    )
    attach_events(rows, firsts, is_event, roots, (actions, action_spans), (action_keys, keyed))
    _name_sub_agents(rows, actions, action_spans, run_agents)
    _name_sub_agents(rows, calls, call_spans, run_agents)
    # Per run: its root, its actions, its calls (each in frame order).
    n_act = np.bincount(run_of[actions], minlength=n_runs)
    n_call = np.bincount(run_of[calls], minlength=n_runs)
    base = np.concatenate([[0], np.cumsum(1 + n_act + n_call)[:-1]])
    out: list[Any] = [None] * int(n_runs + len(actions) + len(calls))
    _place(out, base, roots)
    if len(actions):
        rank = np.arange(len(actions)) - np.searchsorted(run_of[actions], run_of[actions])
        _place(out, base[run_of[actions]] + 1 + rank, action_spans)
    if len(calls):
        rank = np.arange(len(calls)) - np.searchsorted(run_of[calls], run_of[calls])
        _place(out, base[run_of[calls]] + 1 + n_act[run_of[calls]] + rank, call_spans)
    return out


def _run_agents(rows: _Rows, n_runs: int) -> list[Any]:
    """Per run: the first ``agent_name`` its rows give (``None``: none gives one)."""
    agents = rows.col("agent_name")
    named = np.flatnonzero(~pd.isna(agents))
    if not len(named):
        return [None] * n_runs
    runs = np.arange(n_runs)
    at = np.minimum(np.searchsorted(rows.run_of[named], runs), len(named) - 1)
    own = rows.run_of[named][at] == runs  # (else the run has none: a later run's row)
    return [a if o else None for a, o in zip(agents[named[at]].tolist(), own.tolist(), strict=True)]


def _run_models(rows: _Rows, is_event: np.ndarray, n_runs: int) -> list[Any]:
    """Per run: the one model its events with token counts name (:func:`one_model`)."""
    counted = ~np.isnan(rows.floats("prompt_tokens")) | ~np.isnan(rows.floats("completion_tokens"))
    at = np.flatnonzero(is_event & counted)
    per: list[list[Any]] = [[] for _ in range(n_runs)]
    for run, model in zip(rows.run_of[at].tolist(), rows.col("model")[at].tolist(), strict=True):
        per[run].append(model)
    return [one_model(models) for models in per]


def _name_sub_agents(
    rows: _Rows, at: np.ndarray, spans: list[SpanSpec], run_agents: list[Any]
) -> None:
    """``gen_ai.agent.name`` on each of ``spans`` (of the rows at sorted positions ``at``)
    whose row names an agent other than its run's: a sub-agent's work."""
    if not len(at) or run_agents == [None] * len(run_agents):
        return
    agents = rows.col("agent_name")[at].tolist()
    for span, agent, run in zip(spans, agents, rows.run_of[at].tolist(), strict=True):
        if agent is not None and agent == agent and agent != run_agents[run]:  # (NaN: none)
            span.attributes[GEN_AI_AGENT_NAME] = str(agent)


def _place(out: list[Any], at: np.ndarray, spans: list[SpanSpec]) -> None:
    """``out[at[j]] = spans[j]`` (a list: numpy would probe each span for a sequence)."""
    for j, span in zip(at.tolist(), spans, strict=True):
        out[j] = span


def _root_spans(
    rows: _Rows,
    runs: list[str],
    firsts: np.ndarray,
    start: list[int],
    end: list[int],
    tokens: list[list[int]],
    last_action: list[int],
    trace_ids: list[int],
    root_ids: list[int],
    agent_name: str | None,
    agents_models: tuple[list[Any], list[Any]],
) -> list[SpanSpec]:
    """Each run's ``invoke_agent`` span: its whole time, key, agent, token totals, their
    model (``agents_models``: per run, the agent its rows name and that model), and the
    error of its last action when that failed."""
    run_agents, models = agents_models
    keys, tasks, jobs, subtasks, seqs, types, records = (
        rows.col(c)[firsts].tolist()
        for c in ("key", "task", "job", "subtask", "input_seq", "event_type", "record_type")
    )
    errors, categories = rows.col("error"), rows.col("problem_category")
    failed = rows.failed
    out = []
    for i, run in enumerate(runs):
        key, task = _none(keys[i]), _none(tasks[i])
        agent = agent_label(agent_name, task, _none(jobs[i]), _none(run_agents[i]))
        error = None
        last = last_action[i]
        if last >= 0 and failed[last]:
            error = _error_type(errors[last], categories[last])
        times, tokens_i = (start[i], end[i]), (tokens[0][i], tokens[1][i])
        ids = (trace_ids[i], root_ids[i])
        out.append(root_span(*ids, run, agent, key, *times, tokens_i, error, models[i]))
        first_type = types[i] if records[i] == "event" else None
        out[-1].attributes.update(run_where(jobs[i], task, subtasks[i], seqs[i], first_type))
    return out


def _action_spans(
    rows: _Rows, runs: list[str], actions: np.ndarray, trace_ids: list[int], root_ids: list[int]
) -> tuple[list[SpanSpec], np.ndarray, list[SpanSpec]]:
    """A span per ended action row (sorted positions ``actions``); the sorted keys of
    their (run, execution id) and the span of each."""
    run_codes = rows.run_of[actions].tolist()
    exec_ids = rows.col("execution_id")[actions].tolist()
    ids = _ids(
        64,
        [
            f"{runs[c]}\x1faction\x1f{e if e is not None else r}"
            for c, e, r in zip(run_codes, exec_ids, rows.order[actions].tolist(), strict=True)
        ],
    )
    keyed = np.flatnonzero(rows.has_exec[actions])
    keys = rows.exec_key[actions][keyed]
    by_key = np.argsort(keys, kind="stable")
    names = rows.col("action")[actions].tolist()
    types = rows.col("event_type")[actions].tolist()
    bad = rows.failed[actions].tolist()
    errors = rows.col("error")[actions].tolist()
    categories = rows.col("problem_category")[actions].tolist()
    statuses, durations = rows.col("status")[actions].tolist(), rows.dur[actions].tolist()
    attempts = rows.col("attempt")[actions].tolist()
    begin = rows.stamps[actions].tolist()
    ends = (rows.stamps[actions] + rows.dur_ns[actions]).tolist()
    spans = []
    for j, c in enumerate(run_codes):
        name = str(names[j])
        attrs = action_attrs(name, types[j], statuses[j], durations[j], attempts[j])
        if _none(exec_ids[j]) is not None:
            attrs[EXECUTION_ID] = str(exec_ids[j])
        err = None
        if bad[j]:
            attrs[ERROR_TYPE] = _error_type(errors[j], categories[j])
            err = status_message(errors[j], attrs[ERROR_TYPE])
        spans.append(
            SpanSpec(trace_ids[c], ids[j], root_ids[c], name, begin[j], ends[j], attrs, err)
        )
    return spans, keys[by_key], [spans[j] for j in keyed[by_key].tolist()]


def _call_spans(
    rows: _Rows,
    runs: list[str],
    calls: np.ndarray,
    is_event: np.ndarray,
    trace_ids: list[int],
    root_ids: list[int],
    action_keys: np.ndarray,
    action_ids: list[int],
) -> list[SpanSpec]:
    """A span per ended call row (sorted positions ``calls``), under the span of the action
    execution around it in its run (else the run's root); the last llm call that answered in
    an execution with the token totals of the events it sent (when any has a count)."""
    if not len(calls):
        return []
    at, under = under_parent(action_keys, rows, calls)
    run_codes = rows.run_of[calls].tolist()
    parent_spans = [
        action_ids[a] if u else root_ids[c]
        for a, u, c in zip(at.tolist(), under.tolist(), run_codes, strict=True)
    ]
    usage = _usage(rows, calls, is_event)
    exec_ids = rows.col("execution_id")[calls].tolist()
    ids = _ids(
        64,
        [
            f"{runs[c]}\x1fcall\x1f{e or r}"
            for c, e, r in zip(run_codes, exec_ids, rows.order[calls].tolist(), strict=True)
        ],
    )
    kinds = rows.col("entity_type")[calls].tolist()
    names = rows.col("entity_name")[calls].tolist()
    models = rows.col("model")[calls].tolist()
    bad = rows.failed[calls].tolist()
    errors = rows.col("error")[calls].tolist()
    categories = rows.col("problem_category")[calls].tolist()
    statuses, durations = rows.col("status")[calls].tolist(), rows.dur[calls].tolist()
    begin = rows.stamps[calls].tolist()
    ends = (rows.stamps[calls] + rows.dur_ns[calls]).tolist()
    # the events' tokens are the answer's: the last llm call that answered (not a retried
    # attempt or an earlier call of the same action execution) gets them
    answered = {
        key: j
        for j, key in enumerate(rows.parent_key[calls].tolist())
        if kinds[j] == "llm" and not bad[j]
    }
    spans = []
    for j, c in enumerate(run_codes):
        kind, name = str(kinds[j]), str(names[j])
        attrs: dict[str, Any]
        if kind == "llm":
            model = _none(models[j]) or name
            label = f"chat {model}"
            attrs = {GEN_AI_OPERATION_NAME: CHAT, GEN_AI_REQUEST_MODEL: str(model)}
            attrs[MODEL_RESOURCE] = name
            used = usage[j] if answered.get(rows.parent_key[calls[j]]) == j else None
            if used is not None:
                attrs[GEN_AI_USAGE_INPUT_TOKENS] = used[0]
                attrs[GEN_AI_USAGE_OUTPUT_TOKENS] = used[1]
                if used[2] is not None and used[2] != model:  # the model that answered
                    attrs[GEN_AI_RESPONSE_MODEL] = str(used[2])
        elif kind == "tool":
            label = f"execute_tool {name}"
            attrs = {GEN_AI_OPERATION_NAME: EXECUTE_TOOL, GEN_AI_TOOL_NAME: name}
        else:
            label = f"{kind} {name}"
            attrs = {ENTITY_TYPE: kind}
        mark_execution(attrs, statuses[j], durations[j])
        if _none(exec_ids[j]) is not None:
            attrs[EXECUTION_ID] = str(exec_ids[j])
        err = None
        if bad[j]:
            attrs[ERROR_TYPE] = _error_type(errors[j], categories[j])
            err = status_message(errors[j], attrs[ERROR_TYPE])
        spans.append(
            SpanSpec(trace_ids[c], ids[j], parent_spans[j], label, begin[j], ends[j], attrs, err)
        )
    return spans


def _usage(
    rows: _Rows, calls: np.ndarray, is_event: np.ndarray
) -> list[tuple[int, int, Any] | None]:
    """Per call: the token totals (prompt, completion) of the events of its run whose parent
    is the call's parent execution and the one model those events name (else ``None``);
    ``None`` when none of them has a count."""
    events = np.flatnonzero(is_event & rows.has_parent)
    if not len(events):
        return [None] * len(calls)
    keys = np.concatenate([rows.parent_key[events], rows.parent_key[calls]])
    codes, distinct = pd.factorize(keys)
    mine, theirs = codes[: len(events)], codes[len(events) :]
    totals, counted = [], np.zeros(len(distinct), dtype=bool)
    given_any = np.zeros(len(events), dtype=bool)
    for name in ("prompt_tokens", "completion_tokens"):
        values = rows.floats(name)[events]
        given = ~np.isnan(values)
        given_any |= given
        whole = np.where(given, np.trunc(values), 0).astype(np.int64)
        totals.append(np.bincount(mine, weights=whole, minlength=len(distinct)).astype(np.int64))
        counted |= np.bincount(mine, weights=given, minlength=len(distinct)) > 0
    named: dict[int, list[Any]] = {}  # code -> the models of its counted events
    at = np.flatnonzero(given_any)
    for code, model in zip(mine[at].tolist(), rows.col("model")[events[at]].tolist(), strict=True):
        named.setdefault(code, []).append(model)
    has = counted[theirs] & rows.has_parent[calls]
    prompt, completion = totals[0][theirs].tolist(), totals[1][theirs].tolist()
    return [
        (p, q, one_model(named.get(t, ()))) if h else None
        for p, q, h, t in zip(prompt, completion, has.tolist(), theirs.tolist(), strict=True)
    ]
