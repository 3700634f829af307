"""``fa.evaluate(agent, df, expected=..., scorers=[...])``: an agent over a dataset, scored.

The agent runs over the dataset's rows through the one core (locally, or as a MiniCluster
job with ``on="flink"``); each row's output is scored by every scorer. Per row: the output,
the expected value, one score column per scorer, tokens and cost; in aggregate: mean, pass
rate and errors per scorer, tokens and cost in total (:class:`Evaluation`).

Outputs are matched to rows by key and order (per key, inputs run in order): a row's output
is its only output, a list when it emitted several, ``None`` when it emitted none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.evaluate._results import Evaluation
from flink_agents_nb.evaluate._scorers import EvaluationError, Scorer, as_scorer
from flink_agents_nb.run._costs import load_prices
from flink_agents_nb.run._environment import frame_to_records, local
from flink_agents_nb.run._run import Run
from flink_agents_runtime import ChatResponseEvent, RunResult

ROW_KEY = "_row"  # the key given to each row when the dataset has no key column


def _expected_values(data: pd.DataFrame, expected: Any, needed: bool) -> list[Any]:
    if expected is None:
        if needed:
            raise EvaluationError(
                "scorers that compare with an expected value were given, but expected=None; "
                "pass expected='column' (or a list of values)"
            )
        return [None] * len(data)
    if isinstance(expected, str):
        if expected not in data.columns:
            raise EvaluationError(
                f"expected column {expected!r} is not in the dataset; its columns are "
                f"{[str(c) for c in data.columns]}"
            )
        return [None if _isna(v) else v for v in data[expected].tolist()]
    values = list(expected.tolist() if isinstance(expected, pd.Series) else expected)
    if len(values) != len(data):
        raise EvaluationError(
            f"expected has {len(values)} values for a dataset of {len(data)} rows"
        )
    return values


def _isna(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _inputs(
    data: pd.DataFrame, key: str | None, input: str | Sequence[str] | None, expected: Any
) -> list[dict[str, Any]]:
    drop = {expected} if isinstance(expected, str) else set()
    if isinstance(input, str):
        return frame_to_records(data, key=key, value=input)
    columns = list(input) if input is not None else None
    if columns is None:
        columns = [c for c in data.columns if c not in drop]  # the key too, as from_pandas
    return frame_to_records(data, key=key, columns=columns)


Ran = tuple[Any, int] | None  # (key, input_seq) of a row's input; input_seq is per subtask


def _row_inputs(result: RunResult, keys: list[Any]) -> list[Ran]:
    """The ``(key, input_seq)`` each row ran as: per key, inputs run in order, so the key's
    n-th row is the key's n-th input (``None`` when it did not run)."""
    started: dict[Any, list[int]] = {}
    if result.events is not None:
        for rec in result.events:
            if rec.event.type == "_input_event":
                started.setdefault(rec.key, []).append(rec.input_seq)
    else:  # an unrecorded run: only inputs with outputs are known
        for seq, k in sorted({(o.input_seq, o.key) for o in result.outputs}, key=lambda t: t[0]):
            started.setdefault(k, []).append(seq)
    position: dict[Any, int] = {}
    seqs: list[Ran] = []
    for k in keys:
        n = position.get(k, 0)
        position[k] = n + 1
        order = sorted(started.get(k, []))
        seqs.append((k, order[n]) if n < len(order) else None)
    return seqs


def _outputs_by_row(result: RunResult, seqs: list[Ran]) -> list[Any]:
    """Each row's output: the only one, a list of several, or ``None``."""
    per_input: dict[Ran, list[Any]] = {}
    for o in result.outputs:
        per_input.setdefault((o.key, o.input_seq), []).append(o.value)
    outputs: list[Any] = []
    for seq in seqs:
        values = per_input.get(seq, [])
        outputs.append(values[0] if len(values) == 1 else (values or None))
    return outputs


def _tokens_by_row(result: RunResult, seqs: list[Ran], prices: Any) -> pd.DataFrame:
    """Tokens and USD cost of each row's input (NaN cost when a model is unpriced)."""
    table = load_prices(prices)
    usage: dict[Ran, list[Any]] = {}
    for rec in result.events or ():
        if rec.event.type == ChatResponseEvent.EVENT_TYPE:
            attrs = rec.event.attributes
            u = usage.setdefault((rec.key, rec.input_seq), [0, 0, 0.0])
            p, c = int(attrs.get("promptTokens") or 0), int(attrs.get("completionTokens") or 0)
            u[0] += p
            u[1] += c
            pair = table.get(str(attrs.get("model")))
            u[2] = u[2] + (p * pair[0] + c * pair[1]) / 1e6 if pair else float("nan")
    rows = []
    for seq in seqs:
        u = usage.get(seq, [0, 0, 0.0])
        rows.append({"prompt_tokens": u[0], "completion_tokens": u[1], "cost_usd": float(u[2])})
    return pd.DataFrame(rows, columns=["prompt_tokens", "completion_tokens", "cost_usd"])


def run_dataset(
    agent: Any, records: list[dict[str, Any]], on: str, config: Mapping[str, Any] | None
) -> Any:
    """Run ``agent`` over ``records`` locally (a Run) or on the MiniCluster (a RunResult)."""
    if on == "local":
        return local(config=dict(config or {})).from_list(records).apply(agent).execute()
    if on == "flink":
        import tempfile

        from flink_agents_nb.flink._promote import input_pairs, run_on_minicluster
        from flink_agents_runtime import AgentConfiguration

        conf = AgentConfiguration.resolve(overrides=dict(config or {}))
        logs = conf.get("baseLogDir") or tempfile.mkdtemp(prefix="flink-agents-eval-")
        return run_on_minicluster(agent, input_pairs(records), conf, str(logs))
    raise EvaluationError(f"evaluate(on=...) is 'local' or 'flink', got {on!r}")


def score_rows(
    scorers: list[Scorer],
    outputs: list[Any],
    expected: list[Any],
    rows: list[dict[str, Any]],
    on_error: str,
) -> tuple[dict[str, list[float]], list[dict[str, Any]]]:
    """Scores per scorer name, and the failures (``row``, ``scorer``, ``error``)."""
    scores: dict[str, list[float]] = {}
    errors: list[dict[str, Any]] = []
    cases = list(zip(outputs, expected, rows, strict=True))
    for scorer in scorers:
        try:
            results = scorer.score_all(cases)
        except Exception as exc:  # the whole batch failed
            results = [exc] * len(cases)
        column: list[float] = []
        for row, value in zip(rows, results, strict=True):
            problem = None
            if isinstance(value, BaseException):
                problem = f"{type(value).__name__}: {value}"
            elif isinstance(value, (bool, int, float, np.bool_, np.number)):
                value = float(value)
            else:
                problem = f"returned {type(value).__name__} {value!r}, not a number or bool"
            if problem is not None:
                if on_error == "raise":
                    raise EvaluationError(
                        f"scorer {scorer.name!r} failed on row {row['row']!r} "
                        f"(key {row['key']!r}): {problem}"
                    ) from (value if isinstance(value, BaseException) else None)
                errors.append({"row": row["row"], "scorer": scorer.name, "error": problem})
                column.append(float("nan"))
            else:
                column.append(value)
        scores[scorer.name] = column
    return scores, errors


def evaluate(
    agent: Any,
    data: pd.DataFrame,
    *,
    expected: Any = "expected",
    scorers: Sequence[Any] = (),
    key: str | None = None,
    input: str | Sequence[str] | None = None,
    name: str | None = None,
    on: str = "local",
    on_error: str = "raise",
    config: Mapping[str, Any] | None = None,
    prices: Any = None,
) -> Evaluation:
    """Run ``agent`` over ``data`` and score every output.

    Args:
        expected: the column of expected values (default ``"expected"``), a list or Series
            of them (one per row), or ``None`` when no scorer needs one.
        scorers: :class:`Scorer` objects or functions ``f(output, expected[, row])``.
        key: the key column (default: each row its own key).
        input: the value column, or columns making a dict value (default: every column but
            the expected one, the key included, as ``from_pandas``).
        name: the evaluation's name (default: the agent's class name).
        on: ``"local"`` or ``"flink"`` (a MiniCluster job; needs Java).
        on_error: ``"raise"`` (a failing scorer stops the evaluation, naming scorer and
            row) or ``"record"`` (its score is NaN and the failure is in ``errors``).
        config: agent options for the run; prices: a price table for cost.

    Raises :class:`EvaluationError` naming a missing column, a bad scorer or a failing one.
    """
    if not isinstance(data, pd.DataFrame):
        raise EvaluationError(f"evaluate takes a DataFrame, got {type(data).__name__}")
    if on_error not in ("raise", "record"):
        raise EvaluationError(f"on_error is 'raise' or 'record', got {on_error!r}")
    if key is not None and key not in data.columns:
        raise EvaluationError(f"key column {key!r} is not in the dataset")
    chosen = [as_scorer(s) for s in scorers]
    names = [s.name for s in chosen]
    if len(set(names)) != len(names):
        raise EvaluationError(f"scorer names must differ (got {names}); pass name=...")
    exp = _expected_values(data, expected, any(s.needs_expected for s in chosen))
    records = _inputs(data, key, input, expected)
    keys = [r["key"] for r in records]
    run = run_dataset(agent, records, on, config)
    if isinstance(run, RunResult):  # a Flink job's result: a Run like a local one
        run = Run(run, agent)
    result: RunResult = run.result
    seqs = _row_inputs(result, keys)
    outputs = _outputs_by_row(result, seqs)
    rows = [
        {"row": idx, "key": k, "input": r["value"]}
        for idx, k, r in zip(data.index.tolist(), keys, records, strict=True)
    ]
    scores, errors = score_rows(chosen, outputs, exp, rows, on_error)
    table = pd.DataFrame(
        {
            "row": [r["row"] for r in rows],
            "key": keys,
            "input": [r["input"] for r in rows],
            "output": outputs,
            "expected": exp,
            **scores,
        }
    )
    tokens = _tokens_by_row(result, seqs, prices)
    table = pd.concat([table, tokens], axis=1)
    for scorer in chosen:
        usage = getattr(scorer, "usage", None)
        if usage and len(usage) == len(table):
            table[f"{scorer.name}.prompt_tokens"] = [u[0] for u in usage]
            table[f"{scorer.name}.completion_tokens"] = [u[1] for u in usage]
    return Evaluation(
        name or result.agent,
        table,
        chosen,
        pd.DataFrame(errors, columns=["row", "scorer", "error"]),
        run,
    )
