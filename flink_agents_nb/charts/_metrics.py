"""Flink Agents 0.4's built-in metrics, from any record frame, and their chart.

A run's metric registry has them as they were counted (``run.metrics``); an event log or a
trace log read back has only records, so :func:`builtin_metrics` derives the same names from
them:

- ``numOfInputRunsSucceeded`` / ``numOfInputRunsFailed``: input runs (``run_id`` in a trace
  log, else job, subtask and ``input_seq``) whose last ended action failed count as failed;
- ``inputRunLatencyMs``: mean time from a run's first record to the end of its last action;
- ``action.<a>.actionExecutionLatencyMs``: mean duration of the action's ended attempts;
- per call (trace logs: ``call`` rows) ``action.<a>.model_resource.<r>.numOfLlmCalls
  Succeeded|Failed`` and ``llmCallLatencyMs`` (a model call retried in place is one call,
  its retries in ``retryCount`` and ``retryWaitSec``), ``action.<a>.tool.<t>.numOfToolCalls
  Succeeded|Failed`` and ``toolCallLatencyMs`` (means, in milliseconds).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.run._source import record_frame_of

_COMPONENT = {"llm": ("model_resource", "Llm"), "tool": ("tool", "Tool")}


def builtin_metrics(source: Any) -> dict[str, float]:
    """The 0.4 metric names and values derived from ``source``'s records (see above)."""
    frame = record_frame_of(source)
    out: dict[str, float] = {}
    if frame.empty:
        return out
    rtype = frame["record_type"].to_numpy()
    if "run_id" in frame.columns and frame["run_id"].notna().any():
        runs = frame["run_id"].astype(object).where(frame["run_id"].notna(), None)
    else:
        runs = (
            frame["job"].astype(str)
            + "/"
            + frame["subtask"].astype(str)
            + "/"
            + frame["input_seq"].astype(str)
        )
    ends = frame["timestamp"] + pd.to_timedelta(frame["duration_ms"].fillna(0), unit="ms")
    table = pd.DataFrame({"run": runs, "start": frame["timestamp"], "end": ends})
    table = table[table["run"].notna()]
    acts = frame[(rtype == "action")]
    last_status = (
        acts.assign(run=runs[rtype == "action"]).groupby("run", sort=False)["status"].last()
    )
    n_runs = table["run"].nunique()
    failed = int((last_status == "failed").sum())
    out["numOfInputRunsSucceeded"] = float(n_runs - failed)
    out["numOfInputRunsFailed"] = float(failed)
    spans = table.groupby("run", sort=False).agg(start=("start", "min"), end=("end", "max"))
    if len(spans):
        ms = (spans["end"] - spans["start"]).dt.total_seconds() * 1000
        out["inputRunLatencyMs"] = float(ms.mean())
    for name, ms in acts.groupby("action", sort=True)["duration_ms"]:
        if ms.notna().any():
            out[f"action.{name}.actionExecutionLatencyMs"] = float(ms.mean())
    if "entity_type" in frame.columns:
        calls = frame[(rtype == "call") & frame["entity_type"].isin(list(_COMPONENT)).to_numpy()]
        for (action, kind, name), rows in calls.groupby(
            ["action", "entity_type", "entity_name"], sort=True, dropna=False
        ):
            group, word = _COMPONENT[str(kind)]
            prefix = f"action.{action or 'unknown'}.{group}.{name or 'unknown'}."
            if kind == "llm" and "parent_execution_id" in rows.columns:
                oks, ms, retries, waited = _model_calls(rows)
                if retries:
                    out[prefix + "retryCount"] = float(retries)
                    out[prefix + "retryWaitSec"] = waited
            else:
                oks, ms = (rows["status"] == "ok").tolist(), rows["duration_ms"]
            out[prefix + f"numOf{word}CallsSucceeded"] = float(sum(oks))
            out[prefix + f"numOf{word}CallsFailed"] = float(len(oks) - sum(oks))
            if ms.notna().any():
                out[prefix + f"{word.lower()}CallLatencyMs"] = float(ms.mean())
    return out


def _model_calls(rows: pd.DataFrame) -> tuple[list[bool], pd.Series, int, float]:
    """A trace log's ``llm`` rows of one action and resource as the runtime counts them:
    the attempts of a call retried in place (an ``llm`` pair each, upstream's form: a failed
    attempt followed by another under the same action execution) are one call, its latency
    from the first attempt's start to the last one's end. Returns per call whether it
    succeeded and its latency (ms), and the retries and seconds waited between attempts."""
    ms = rows["duration_ms"].to_numpy(dtype=float)
    table = pd.DataFrame(
        {
            "parent": rows["parent_execution_id"].to_numpy(dtype=object),
            "start": rows["timestamp"].to_numpy(dtype="datetime64[ns]"),
            "ms": ms,
            "ok": (rows["status"] == "ok").to_numpy(),
        }
    )
    # each execution's attempts together, in start order (the sorts are stable)
    table = table.sort_values("start", kind="stable")
    table = table.sort_values("parent", kind="stable", na_position="last")
    table["end"] = table["start"] + pd.to_timedelta(
        np.nan_to_num(table["ms"].to_numpy()), unit="ms"
    )
    parent, ok = table["parent"].to_numpy(), table["ok"].to_numpy()
    alone = pd.isna(parent)  # no execution around it: a call of its own
    retry = np.r_[False, (parent[1:] == parent[:-1]) & ~ok[:-1]] & ~alone  # of the row before
    # a call's latency is known when its last attempt's is, or it ended failing in place
    table["known"] = ~np.isnan(table["ms"].to_numpy()) | ~(ok | alone)
    calls = table.groupby(np.cumsum(~retry), sort=False)
    latency = (calls["end"].last() - calls["start"].first()).dt.total_seconds() * 1000
    gaps = (table["start"] - table["end"].shift()).dt.total_seconds().clip(lower=0)[retry]
    return (
        calls["ok"].last().tolist(),
        latency.where(calls["known"].last()).reset_index(drop=True),
        int(retry.sum()),
        float(gaps.sum()),
    )


def metrics_figure(source: Any) -> Any:
    """Counts (input runs, calls per component) and mean latencies (ms) as two bar panels,
    one above the other (metric names are long: side by side, a panel's names ran over
    the other's bars).

    Uses the run's own metrics when ``source`` is a ``Run`` that counted them, else
    :func:`builtin_metrics`."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    values = _values_of(source)
    counts = {k: v for k, v in values.items() if k.rsplit(".", 1)[-1].startswith("numOf")}
    latencies = {k: v for k, v in values.items() if k.endswith("LatencyMs")}
    n_counts, n_lat = max(len(counts), 1), max(len(latencies), 1)
    height = 260 + 24 * (n_counts + n_lat)
    fig = make_subplots(
        rows=2,
        cols=1,
        subplot_titles=("counts", "mean latency (ms)"),
        row_heights=[n_counts, n_lat],
        # in pixels: the upper panel's tick labels and axis title, then the lower panel's
        # title (a fraction of the height let them touch once there were a dozen rows)
        vertical_spacing=_GAP_PX / (height - _MARGINS_PX),
    )
    fig.add_trace(
        go.Bar(x=list(counts.values()), y=list(counts), orientation="h", name="count"), 1, 1
    )
    fig.add_trace(
        go.Bar(x=list(latencies.values()), y=list(latencies), orientation="h", name="ms"), 2, 1
    )
    top = max(counts.values(), default=0.0)
    # whole numbers: plotly's own ticks of a count below 5 are 0.5 apart
    fig.update_xaxes(title_text="count", dtick=1 if top < 10 else None, row=1, col=1)
    fig.update_xaxes(title_text="milliseconds", row=2, col=1)
    fig.update_yaxes(title_text="metric", automargin=True, row=1, col=1)
    fig.update_yaxes(title_text="metric", automargin=True, row=2, col=1)
    fig.update_layout(
        title="Flink Agents 0.4 built-in metrics",
        showlegend=False,
        height=height,
        margin={"t": 100, "b": 80},  # plotly's defaults, pinned: _MARGINS_PX counts on them
    )
    return fig


#: Space between the two panels and the layout's top and bottom margins, in pixels.
_GAP_PX, _MARGINS_PX = 110, 180


_NAMES = ("numOfInputRuns", "InputRun", "inputRun", "LatencyMs", "numOfLlmCalls", "numOfToolCalls")


def _values_of(source: Any) -> dict[str, float]:
    counted = getattr(source, "metrics", None)
    if isinstance(counted, dict) and any(k.startswith("numOfInputRuns") for k in counted):
        return {
            k: float(v)
            for k, v in counted.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)
            and any(part in k for part in _NAMES)
        }  # fmt: skip
    return builtin_metrics(source)
