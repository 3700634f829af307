"""The spans of a Flink Agents 0.4 trace log's frame, built column-wise.

Same spans, ids, order and attributes as the general per-run builder in :mod:`._spans`
(see its docstring for the mapping), for frames with ``run_id``: per input run a root span,
then a span per ended action, then a span per ended call (llm, tool, parser, ...), runs in
order of first record. What differs is how: the per-run aggregates (start, end, token
totals, last action's status) come from ``np.minimum/maximum/add.reduceat`` over the rows
sorted by run; rows are picked by masks; each kind of span is a
:class:`~._span_table.SpanTable` of attribute columns, laid out as SpanSpecs
(:meth:`TracedTables.specs`) or straight as OTLP JSON (:meth:`TracedTables.lines`). The
Python left per span is its id (MD5, as in :func:`._spans._id`) and the values of its
attribute columns.

The agent: a run's root is named after the ``agent_name`` its records carry (0.4's
``agentName``; the first one given in the run) unless ``agent_name=`` is passed, else as
the per-run builder names it (task, job); an action or call span whose row names another
agent (a sub-agent's work inside the run) says so in its own ``gen_ai.agent.name``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.eventlog.columns._arrays import codes as codes_of
from flink_agents_nb.eventlog.ids._ids import Kinds
from flink_agents_nb.otel._json_lines import BATCH, Fragments, lines_of
from flink_agents_nb.otel._names import (
    ACTION_ATTEMPT,
    ACTION_NAME,
    CHAT,
    ENTITY_TYPE,
    ERROR_TYPE,
    EVENT_TYPE,
    EXECUTE_TOOL,
    GEN_AI_AGENT_NAME,
    GEN_AI_CONVERSATION_ID,
    GEN_AI_OPERATION_NAME,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_TOOL_NAME,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    INPUT_RUN_ID,
    INPUT_SEQ,
    INVOKE_AGENT,
    JOB_ID,
    MODEL_RESOURCE,
    SUBTASK_INDEX,
    TASK_NAME,
)
from flink_agents_nb.otel._span_spec import (
    NAT,
    SpanSpec,
    _error_type,
    _given,
    agent_label,
    given_texts,
)
from flink_agents_nb.otel._span_table import SpanTable, TableJson, object_array, specs_of
from flink_agents_nb.otel._trace_events import attach_events, under_parent
from flink_agents_nb.otel._trace_rows import (
    Rows,
    call_usage,
    derived_ids,
    execution_columns,
    run_agents,
    run_models,
    sub_agents,
)


@dataclass
class TracedTables:
    """A trace frame's spans as the root, action and call span tables, and their order:
    per span, its table (0, 1, 2: ``kinds``) and row there (``rows``)."""

    tables: list[SpanTable]
    kinds: np.ndarray
    rows: np.ndarray

    def __len__(self) -> int:
        return len(self.kinds)

    @property
    def traces(self) -> int:
        """How many traces (input runs) the spans make."""
        return len(set(self.tables[0].trace_ids))

    def specs(self) -> list[SpanSpec]:
        """The spans as SpanSpecs, in order."""
        specs = [specs_of(t) for t in self.tables]
        return [specs[k][r] for k, r in zip(self.kinds.tolist(), self.rows.tolist(), strict=True)]

    def lines(self, service_name: str) -> Iterator[bytes]:
        """The OTLP JSON lines of the spans, laid out straight from the tables: the same
        bytes as :func:`._json_lines.json_lines` of :meth:`specs`."""
        fragments = Fragments()
        laid = [TableJson(t, fragments) for t in self.tables]

        def batches() -> Iterator[list[bytes]]:
            for start in range(0, len(self.kinds), BATCH):
                k, r = self.kinds[start : start + BATCH], self.rows[start : start + BATCH]
                out: list[Any] = [None] * len(k)
                for kind, table in enumerate(laid):
                    mine = np.flatnonzero(k == kind)
                    for place, obj in zip(mine.tolist(), table.objects(r[mine]), strict=True):
                        out[place] = obj
                yield out

        return lines_of(batches(), service_name)


def traced_tables(frame: pd.DataFrame, agent_name: str | None) -> TracedTables | None:
    """The span tables of a trace log's ``frame`` (``None`` when no row has a run id; rows
    without one are left out)."""
    run_ids = frame["run_id"].to_numpy()
    codes = codes_of(run_ids)  # as pd.factorize (first appearance, None -1), by object first
    order = np.argsort(codes, kind="stable")
    order = order[codes[order] >= 0]  # rows by run, each run's rows in frame order
    if not len(order):
        return None
    rows = Rows(frame, order, codes)
    run_of = rows.run_of
    n_runs = int(run_of[-1]) + 1
    firsts = np.searchsorted(run_of, np.arange(n_runs))  # each run's first sorted row
    runs = [str(u) for u in run_ids[order[firsts]].tolist()]
    record = Kinds(rows.col("record_type"))
    stamps, dur_ns = rows.stamps, rows.dur_ns
    valid = stamps != NAT
    # Per run: start (earliest valid time, else 0), end (latest time + duration, at least
    # the start), token totals of its events, its last action.
    big = np.iinfo(np.int64).max
    start = np.minimum.reduceat(np.where(valid, stamps, big), firsts)
    start = np.where(start == big, 0, start)
    end = np.maximum(np.maximum.reduceat(np.where(valid, stamps + dur_ns, NAT), firsts), start)
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
    trace_ids = derived_ids(128, runs)
    root_ids = derived_ids(64, [f"{r}\x1froot" for r in runs])
    agents = run_agents(rows, n_runs)
    roots = _root_table(
        rows, runs, firsts, (start.tolist(), end.tolist()), tokens, last_action.tolist(),
        (trace_ids, root_ids), agent_name, (agents, run_models(rows, is_event, n_runs)),
    )  # fmt: skip
    action_table, action_keys, keyed = _action_table(rows, runs, actions, trace_ids, root_ids)
    calls = np.flatnonzero(record.of("call"))
    action_ids = [action_table.span_ids[j] for j in keyed.tolist()]
    call_table = _call_table(
        rows, runs, calls, is_event, trace_ids, root_ids, action_keys, action_ids
    )
    attach_events(rows, firsts, is_event, roots, (actions, action_table), (action_keys, keyed))
    for table, at in ((action_table, actions), (call_table, calls)):
        table.columns.append((GEN_AI_AGENT_NAME, sub_agents(rows, at, agents)))
    # Per run: its root, its actions, its calls (each in frame order).
    n_act = np.bincount(run_of[actions], minlength=n_runs)
    n_call = np.bincount(run_of[calls], minlength=n_runs)
    base = np.concatenate([[0], np.cumsum(1 + n_act + n_call)[:-1]])
    total = int(n_runs + len(actions) + len(calls))
    kinds, where = np.zeros(total, dtype=np.int64), np.zeros(total, dtype=np.int64)
    where[base] = np.arange(n_runs)
    for kind, at in ((1, actions), (2, calls)):
        if len(at):
            rank = np.arange(len(at)) - np.searchsorted(run_of[at], run_of[at])
            place = base[run_of[at]] + 1 + rank + (n_act[run_of[at]] if kind == 2 else 0)
            kinds[place], where[place] = kind, np.arange(len(at))
    return TracedTables([roots, action_table, call_table], kinds, where)


def _root_table(
    rows: Rows,
    runs: list[str],
    firsts: np.ndarray,
    times: tuple[list[int], list[int]],
    tokens: list[list[int]],
    last_action: list[int],
    ids: tuple[list[int], list[int]],
    agent_name: str | None,
    agents_models: tuple[list[Any], list[Any]],
) -> SpanTable:
    """Each run's ``invoke_agent`` span (as :func:`._span_spec.root_span` and
    :func:`._span_spec.run_where` give it): its whole time, key, agent, token totals, their
    model (``agents_models``: per run, the agent its rows name and that model), the error of
    its last action when that failed, and where it ran."""
    recorded, models = agents_models
    keys, tasks, jobs, subtasks, seqs, types, records = (
        rows.col(c)[firsts].tolist()
        for c in ("key", "task", "job", "subtask", "input_seq", "event_type", "record_type")
    )
    errors, categories, failed = rows.col("error"), rows.col("problem_category"), rows.failed
    agents = [  # (recorded: given or None already)
        agent_label(agent_name, t if _given(t) else None, j if _given(j) else None, a)
        for t, j, a in zip(tasks, jobs, recorded, strict=True)
    ]
    error_types = [
        _error_type(errors[last], categories[last]) if last >= 0 and failed[last] else None
        for last in last_action
    ]
    prompt, completion = tokens
    counted = [bool(p or q) for p, q in zip(prompt, completion, strict=True)]
    columns: list[tuple[str, list[Any]]] = [
        (GEN_AI_OPERATION_NAME, [INVOKE_AGENT] * len(runs)),
        (GEN_AI_AGENT_NAME, agents),
        (INPUT_RUN_ID, runs),
        (GEN_AI_CONVERSATION_ID, given_texts(keys)),
        (
            GEN_AI_USAGE_INPUT_TOKENS,
            [p if c else None for p, c in zip(prompt, counted, strict=True)],
        ),
        (
            GEN_AI_USAGE_OUTPUT_TOKENS,
            [q if c else None for q, c in zip(completion, counted, strict=True)],
        ),
        (
            GEN_AI_REQUEST_MODEL,
            [str(m) if c and _given(m) else None for m, c in zip(models, counted, strict=True)],
        ),
        (ERROR_TYPE, error_types),
        (JOB_ID, [str(j) if _given(j) else None for j in jobs]),
        (TASK_NAME, [str(t) if _given(t) else None for t in tasks]),
        (SUBTASK_INDEX, [int(s) if _given(s) else None for s in subtasks]),
        (INPUT_SEQ, [int(s) if _given(s) else None for s in seqs]),
        (
            EVENT_TYPE,
            [
                str(t) if r == "event" and _given(t) else None
                for t, r in zip(types, records, strict=True)
            ],
        ),
    ]
    trace_ids, root_ids = ids
    return SpanTable(
        trace_ids, root_ids, [0] * len(runs), [f"invoke_agent {a}" for a in agents],
        times[0], times[1], error_types, [(k, object_array(v)) for k, v in columns],
    )  # fmt: skip


def _action_table(
    rows: Rows, runs: list[str], actions: np.ndarray, trace_ids: list[int], root_ids: list[int]
) -> tuple[SpanTable, np.ndarray, np.ndarray]:
    """A span per ended action row (sorted positions ``actions``), as
    :func:`._span_spec.action_attrs` gives it; the sorted keys of their (run, execution id)
    and the table row of each."""
    run_codes = rows.run_of[actions].tolist()
    names = [str(n) for n in rows.col("action")[actions].tolist()]
    execution, exec_ids, messages = execution_columns(rows, actions)
    ids = derived_ids(
        64,
        [
            f"{runs[c]}\x1faction\x1f{e if _given(e) else r}"
            for c, e, r in zip(run_codes, exec_ids, rows.order[actions].tolist(), strict=True)
        ],
    )
    keyed = np.flatnonzero(rows.has_exec[actions])
    keys = rows.exec_key[actions][keyed]
    by_key = np.argsort(keys, kind="stable")
    types = rows.col("event_type")[actions].tolist()
    attempts = rows.col("attempt")[actions].tolist()
    columns: list[tuple[str, list[Any]]] = [
        (ACTION_NAME, names),
        (EVENT_TYPE, given_texts(types)),
        (
            ACTION_ATTEMPT,
            [int(a) if _given(a) else None for a in attempts],
        ),
        *execution,
    ]
    table = SpanTable(
        [trace_ids[c] for c in run_codes], ids, [root_ids[c] for c in run_codes], names,
        rows.stamps[actions].tolist(), (rows.stamps[actions] + rows.dur_ns[actions]).tolist(),
        messages, [(k, object_array(v)) for k, v in columns],
    )  # fmt: skip
    return table, keys[by_key], keyed[by_key]


def _call_table(
    rows: Rows,
    runs: list[str],
    calls: np.ndarray,
    is_event: np.ndarray,
    trace_ids: list[int],
    root_ids: list[int],
    action_keys: np.ndarray,
    action_ids: list[int],
) -> SpanTable:
    """A span per ended call row (sorted positions ``calls``), under the span of the action
    execution around it in its run (else the run's root); the last llm call that answered in
    an execution with the token totals of the events it sent (when any has a count)."""
    at, under = under_parent(action_keys, rows, calls)
    run_codes = rows.run_of[calls].tolist()
    parents = [
        action_ids[a] if u else root_ids[c]
        for a, u, c in zip(at.tolist(), under.tolist(), run_codes, strict=True)
    ]
    usage = call_usage(rows, calls, is_event)
    kinds = [str(k) for k in rows.col("entity_type")[calls].tolist()]
    names = [str(n) for n in rows.col("entity_name")[calls].tolist()]
    execution, exec_ids, messages = execution_columns(rows, calls)
    ids = derived_ids(
        64,
        [
            f"{runs[c]}\x1fcall\x1f{e if _given(e) and e else r}"
            for c, e, r in zip(run_codes, exec_ids, rows.order[calls].tolist(), strict=True)
        ],
    )
    models = rows.col("model")[calls].tolist()
    bad = rows.failed[calls].tolist()
    parent_keys = rows.parent_key[calls].tolist()
    # the events' tokens are the answer's: the last llm call that answered (not a retried
    # attempt or an earlier call of the same action execution) gets them
    answered = {key: j for j, key in enumerate(parent_keys) if kinds[j] == "llm" and not bad[j]}
    n = len(calls)
    blank: list[Any] = [None] * n
    op, request, resource, prompt, completion, response, tool, entity = (
        blank.copy() for _ in range(8)
    )
    labels = []
    for j, (kind, name) in enumerate(zip(kinds, names, strict=True)):
        if kind == "llm":
            model = models[j] if _given(models[j]) and models[j] else name
            labels.append(f"chat {model}")
            op[j], request[j], resource[j] = CHAT, str(model), name
            used = usage[j] if answered.get(parent_keys[j]) == j else None
            if used is not None:
                prompt[j], completion[j] = used[0], used[1]
                if used[2] is not None and used[2] != model:  # the model that answered
                    response[j] = str(used[2])
        elif kind == "tool":
            labels.append(f"execute_tool {name}")
            op[j], tool[j] = EXECUTE_TOOL, name
        else:
            labels.append(f"{kind} {name}")
            entity[j] = kind
    columns: list[tuple[str, list[Any]]] = [
        (GEN_AI_OPERATION_NAME, op),
        (GEN_AI_REQUEST_MODEL, request),
        (MODEL_RESOURCE, resource),
        (GEN_AI_USAGE_INPUT_TOKENS, prompt),
        (GEN_AI_USAGE_OUTPUT_TOKENS, completion),
        (GEN_AI_RESPONSE_MODEL, response),
        (GEN_AI_TOOL_NAME, tool),
        (ENTITY_TYPE, entity),
        *execution,
    ]
    return SpanTable(
        [trace_ids[c] for c in run_codes], ids, parents, labels,
        rows.stamps[calls].tolist(), (rows.stamps[calls] + rows.dur_ns[calls]).tolist(),
        messages, [(k, object_array(v)) for k, v in columns],
    )  # fmt: skip
