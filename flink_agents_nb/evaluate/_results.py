"""What ``fa.evaluate`` returns (:class:`Evaluation`) and ``fa.compare`` builds
(:class:`Comparison`): DataFrames, plotly charts and displays.

Scores are in [0, 1]; costs in USD (NaN for models without a price); tokens are counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb._html import STYLE, esc, table
from flink_agents_nb.evaluate._scorers import EvaluationError, Scorer
from flink_agents_runtime._display import DisplayMixin

AGGREGATE_COLUMNS = ["scorer", "mean", "min", "pass_rate", "threshold", "scored", "errors"]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if np.isnan(value) else f"{value:.3f}"
    return str(value)


class Evaluation(DisplayMixin):
    """One agent version scored on a dataset.

    Attributes:
        name: the version's name; scorers: the scorers used.
        scores: one row per dataset row: ``row`` (dataset index), ``key``, ``input``,
            ``output``, ``expected``, one column per scorer (score in [0, 1], NaN when it
            failed), ``prompt_tokens``, ``completion_tokens``, ``cost_usd`` (the agent's),
            and ``<judge>.prompt_tokens`` / ``.completion_tokens`` for LLM judges.
        errors: scorer failures (``on_error="record"``): ``row``, ``scorer``, ``error``.
        run: the agent's run (a ``Run``; from a Flink job: the job read back).
    """

    def __init__(
        self, name: str, scores: pd.DataFrame, scorers: list[Scorer], errors: pd.DataFrame, run: Any
    ) -> None:
        self.name = name
        self.scores = scores
        self.scorers = scorers
        self.errors = errors
        self.run = run

    @property
    def scorer_names(self) -> list[str]:
        """The score columns, in scorer order."""
        return [s.name for s in self.scorers]

    @cached_property
    def aggregate(self) -> pd.DataFrame:
        """Per scorer: ``mean`` and ``min`` score, ``pass_rate`` (share of scored rows at or
        above ``threshold``), ``scored`` rows and ``errors``."""
        rows = []
        for s in self.scorers:
            col = self.scores[s.name].astype(float)
            scored = col.dropna()
            rows.append(
                {
                    "scorer": s.name,
                    "mean": float(scored.mean()) if len(scored) else float("nan"),
                    "min": float(scored.min()) if len(scored) else float("nan"),
                    "pass_rate": float((scored >= s.threshold).mean())
                    if len(scored)
                    else float("nan"),
                    "threshold": float(s.threshold),
                    "scored": len(scored),
                    "errors": int(col.isna().sum()),
                }
            )
        return pd.DataFrame(rows, columns=AGGREGATE_COLUMNS)

    @cached_property
    def totals(self) -> dict[str, Any]:
        """Rows, the agent's prompt/completion tokens and cost in USD, judges' tokens."""
        t = self.scores
        out: dict[str, Any] = {
            "rows": len(t),
            "prompt_tokens": int(t["prompt_tokens"].sum()),
            "completion_tokens": int(t["completion_tokens"].sum()),
            "cost_usd": float(t["cost_usd"].sum(min_count=1)),
        }
        judged = [c for c in t.columns if c.endswith(".prompt_tokens")]
        out["judge_tokens"] = int(sum(t[c].sum() for c in judged)) + int(
            sum(t[c.replace(".prompt_", ".completion_")].sum() for c in judged)
        )
        return out

    def failures(self, scorer: str | None = None) -> pd.DataFrame:
        """Rows that did not pass ``scorer`` (any scorer when ``None``)."""
        names = [scorer] if scorer else self.scorer_names
        for n in names:
            if n not in self.scores.columns:
                raise EvaluationError(f"no scorer {n!r}; scorers are {self.scorer_names}")
        thresholds = {s.name: s.threshold for s in self.scorers}
        mask = np.zeros(len(self.scores), dtype=bool)
        for n in names:
            col = self.scores[n].astype(float)
            mask |= ~(col >= thresholds[n]).to_numpy()
        return self.scores[mask]

    def plot(self) -> Any:
        """Mean score per scorer (bars, 0-1) and the score of every row (heatmap)."""
        from flink_agents_nb.evaluate._charts import evaluation_figure

        return evaluation_figure(self)

    def summary(self) -> str:
        """A few lines: rows, tokens, cost, then each scorer's mean and pass rate."""
        t = self.totals
        cost = "n/a" if np.isnan(t["cost_usd"]) else f"${t['cost_usd']:.6f}"
        lines = [
            f"evaluation {self.name}: {t['rows']} rows, {t['prompt_tokens']} prompt + "
            f"{t['completion_tokens']} completion tokens, cost {cost}"
        ]
        for r in self.aggregate.to_dict("records"):
            lines.append(
                f"{r['scorer']}: mean {_fmt(r['mean'])}, pass rate {_fmt(r['pass_rate'])}"
                + (f", {r['errors']} errors" if r["errors"] else "")
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Evaluation {self.summary().splitlines()[0]}>"

    def _mimebundle(self) -> dict[str, Any]:
        lines = self.summary().splitlines()
        agg = self.aggregate.to_dict("records")
        body = [
            STYLE,
            f"<div class='fanb-eval'><b>{esc(lines[0])}</b>",
            table([{k: _fmt(v) for k, v in r.items()} for r in agg], AGGREGATE_COLUMNS),
            "</div>",
        ]
        return {"text/plain": "\n".join(lines), "text/html": "".join(body)}


class Comparison(DisplayMixin):
    """Evaluations of several agent versions on one dataset, side by side.

    Attributes:
        evaluations: by version name, in the order given.
    """

    def __init__(self, evaluations: Mapping[str, Evaluation]) -> None:
        self.evaluations = dict(evaluations)

    @cached_property
    def table(self) -> pd.DataFrame:
        """One row per version: each scorer's mean, then tokens and cost (USD)."""
        rows = []
        for name, ev in self.evaluations.items():
            row: dict[str, Any] = {"version": name}
            for r in ev.aggregate.to_dict("records"):
                row[r["scorer"]] = r["mean"]
            row.update(
                {k: ev.totals[k] for k in ("prompt_tokens", "completion_tokens", "cost_usd")}
            )
            rows.append(row)
        return pd.DataFrame(rows).set_index("version")

    @cached_property
    def per_row(self) -> pd.DataFrame:
        """One row per dataset row, one column ``<version>.<scorer>`` per score, plus
        ``<version>.output``."""
        parts = []
        for name, ev in self.evaluations.items():
            cols = ["output", *ev.scorer_names]
            part = ev.scores.set_index("row")[cols]
            part.columns = [f"{name}.{c}" for c in cols]
            parts.append(part)
        return pd.concat(parts, axis=1)

    @cached_property
    def changes(self) -> pd.DataFrame:
        """Scores that moved from the first version to each other one: ``row``,
        ``scorer``, ``version``, ``before``, ``after``, ``change`` (``regressed`` or
        ``improved``)."""
        names = list(self.evaluations)
        base = self.evaluations[names[0]].scores.set_index("row")
        rows = []
        for name in names[1:]:
            other = self.evaluations[name].scores.set_index("row")
            for scorer in self.evaluations[name].scorer_names:
                if scorer not in base.columns:
                    continue
                for idx in base.index.intersection(other.index):
                    a, b = float(base.at[idx, scorer]), float(other.at[idx, scorer])
                    if a == b or (np.isnan(a) and np.isnan(b)):
                        continue
                    change = "improved" if b > a else "regressed"
                    rows.append(
                        {
                            "row": idx,
                            "scorer": scorer,
                            "version": name,
                            "before": a,
                            "after": b,
                            "change": change,
                        }
                    )
        cols = ["row", "scorer", "version", "before", "after", "change"]
        return pd.DataFrame(rows, columns=cols)

    def plot(self) -> Any:
        """Mean score per scorer and version (0-1), and cost per version (USD)."""
        from flink_agents_nb.evaluate._charts import comparison_figure

        return comparison_figure(self)

    def summary(self) -> str:
        """One line per version (scorer means, tokens), then regressions per version."""
        lines = [f"comparison of {len(self.evaluations)} versions: {', '.join(self.evaluations)}"]
        for name, row in self.table.iterrows():
            scores = ", ".join(
                f"{c} {_fmt(row[c])}"
                for c in row.index
                if c not in ("prompt_tokens", "completion_tokens", "cost_usd")
            )
            tokens = int(row["prompt_tokens"]) + int(row["completion_tokens"])
            lines.append(f"{name}: {scores}; {tokens} tokens")
        ch = self.changes
        for name in list(self.evaluations)[1:]:
            mine = ch[ch["version"] == name]
            lines.append(
                f"{name} vs {next(iter(self.evaluations))}: "
                f"{int((mine['change'] == 'regressed').sum())} scores regressed, "
                f"{int((mine['change'] == 'improved').sum())} improved"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Comparison {self.summary().splitlines()[0]}>"

    def _mimebundle(self) -> dict[str, Any]:
        lines = self.summary().splitlines()
        t = self.table.reset_index()
        rows = [{k: _fmt(v) for k, v in r.items()} for r in t.to_dict("records")]
        body = [
            STYLE,
            f"<div class='fanb-compare'><b>{esc(lines[0])}</b>",
            table(rows, [str(c) for c in t.columns]),
            "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in lines[1 + len(t) :]) + "</ul>",
            "</div>",
        ]
        return {"text/plain": "\n".join(lines), "text/html": "".join(body)}


def compare(evaluations: Sequence[Evaluation] | Mapping[str, Evaluation]) -> Comparison:
    """Compare evaluations of agent versions (the first is the baseline of ``changes``).

    Raises :class:`EvaluationError` for fewer than two evaluations or clashing names.
    """
    if isinstance(evaluations, Mapping):
        named = dict(evaluations)
    else:
        evs = list(evaluations)
        names = [e.name for e in evs]
        if len(set(names)) != len(names):
            raise EvaluationError(
                f"evaluations share a name ({names}); pass evaluate(name=...) or a dict"
            )
        named = dict(zip(names, evs, strict=True))
    if len(named) < 2:
        raise EvaluationError(f"compare needs two evaluations or more, got {len(named)}")
    for name, ev in named.items():
        if not isinstance(ev, Evaluation):
            raise EvaluationError(f"{name!r} is a {type(ev).__name__}, not an Evaluation")
    return Comparison(named)
