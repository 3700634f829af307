"""A trace log frame's rows sorted by input run (:class:`Rows`) and what the span builder
(:mod:`._trace_spans`) derives from them column-wise: derived ids, per-run agents and
models, per-call token totals, the execution attributes of action and call spans, the
sub-agents that name their spans."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.eventlog.ids._ids import Kinds, id_codes
from flink_agents_nb.otel._json_lines import utf8
from flink_agents_nb.otel._names import (
    DURATION_MISSING,
    ERROR_TYPE,
    EXECUTION_ID,
    EXECUTION_STATUS,
)
from flink_agents_nb.otel._span_spec import (
    _error_type,
    given_texts,
    one_model,
    status_message,
)


def derived_ids(bits: int, texts: list[str]) -> list[int]:
    """:func:`._span_spec._id` of each text (its parts already joined by ``\\x1f``)."""
    md5, size = hashlib.md5, bits // 8
    try:
        encoded = [t.encode() for t in texts]
    except UnicodeEncodeError:  # a lone surrogate: as _id hashes it
        encoded = [utf8(t) for t in texts]
    return [
        int.from_bytes(md5(t, usedforsecurity=False).digest()[:size], "big") or 1 for t in encoded
    ]


class Rows:
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


def run_agents(rows: Rows, n_runs: int) -> list[Any]:
    """Per run: the first ``agent_name`` its rows give (``None``: none gives one)."""
    agents = rows.col("agent_name")
    named = np.flatnonzero(~pd.isna(agents))
    if not len(named):
        return [None] * n_runs
    runs = np.arange(n_runs)
    at = np.minimum(np.searchsorted(rows.run_of[named], runs), len(named) - 1)
    own = rows.run_of[named][at] == runs  # (else the run has none: a later run's row)
    return [a if o else None for a, o in zip(agents[named[at]].tolist(), own.tolist(), strict=True)]


def run_models(rows: Rows, is_event: np.ndarray, n_runs: int) -> list[Any]:
    """Per run: the one model its events with token counts name (:func:`one_model`)."""
    counted = ~np.isnan(rows.floats("prompt_tokens")) | ~np.isnan(rows.floats("completion_tokens"))
    at = np.flatnonzero(is_event & counted)
    per: dict[int, list[Any]] = {}
    for run, model in zip(rows.run_of[at].tolist(), rows.col("model")[at].tolist(), strict=True):
        per.setdefault(run, []).append(model)
    out: list[Any] = [None] * n_runs  # (a run without counted events names none)
    for run, models in per.items():
        out[run] = one_model(models)
    return out


def call_usage(
    rows: Rows, calls: np.ndarray, is_event: np.ndarray
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
    model = {code: one_model(models) for code, models in named.items()}
    return [
        (p, q, model.get(t)) if h else None
        for p, q, h, t in zip(prompt, completion, has.tolist(), theirs.tolist(), strict=True)
    ]


def sub_agents(rows: Rows, at: np.ndarray, agents: list[Any]) -> np.ndarray:
    """``gen_ai.agent.name`` of the spans of the rows at sorted positions ``at`` whose row
    names an agent other than its run's (a sub-agent's work), else ``None``."""
    out = np.full(len(at), None, dtype=object)
    if not len(at) or agents == [None] * len(agents):
        return out
    named = rows.col("agent_name")[at]
    missing = pd.isna(named).tolist()  # (as _given, column-wise)
    runs = rows.run_of[at].tolist()
    for j, (agent, run, m) in enumerate(zip(named.tolist(), runs, missing, strict=True)):
        if not m and agent != agents[run]:
            out[j] = str(agent)
    return out


def execution_columns(
    rows: Rows, at: np.ndarray
) -> tuple[list[tuple[str, list[Any]]], list[Any], list[str | None]]:
    """What an action or call span's status and times cannot carry (as
    :func:`._span_spec.mark_execution`), its execution id and ``error.type``; and each
    one's error type and status message (``None``: not failed)."""
    statuses, durations = rows.col("status")[at].tolist(), rows.dur[at].tolist()
    exec_ids = rows.col("execution_id")[at].tolist()
    bad = rows.failed[at].tolist()
    errors = rows.col("error")[at].tolist()
    categories = rows.col("problem_category")[at].tolist()
    types = [
        _error_type(e, c) if b else None for e, c, b in zip(errors, categories, bad, strict=True)
    ]
    messages = [
        status_message(e, t) if t is not None else None for e, t in zip(errors, types, strict=True)
    ]
    columns: list[tuple[str, list[Any]]] = [
        (
            EXECUTION_STATUS,
            [s if isinstance(s, str) and s not in ("ok", "failed") else None for s in statuses],
        ),
        (DURATION_MISSING, [True if d is None or d != d else None for d in durations]),
        (EXECUTION_ID, given_texts(exec_ids)),
        (ERROR_TYPE, types),
    ]
    return columns, exec_ids, messages
