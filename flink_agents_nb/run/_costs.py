"""Token usage and cost per model and action, from a run or event-log records.

Prices: a table of USD per 1M input (prompt) and output (completion) tokens per model name,
``{"gpt-4o-mini": {"input": 0.15, "output": 0.60}}`` (``prompt``/``completion`` keys or an
``(input, output)`` pair are accepted too), given as a dict, or a YAML path with a
``models:`` mapping. Without one: ``$FLINK_AGENTS_NB_PRICES``, else ``conf/prices.yaml`` in
the working directory or one of its parents (the documented override), else the copy shipped
in the package (``flink_agents_nb/_data/prices.yaml``, the same list as the repository's
``conf/prices.yaml``), so an installed package prices the listed models from any directory.
Models without a price show their usage with a NaN cost; cost is computed here, never logged.

This module is the one place that loads prices and computes cost: ``token_usage()``, the
token charts (``run.plot.tokens()``, the dashboard) and the HTML report all use it.
"""

from __future__ import annotations

import difflib
import math
import os
import warnings
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from flink_agents_nb.run._usage import frame_of_records, usage_rows
from flink_agents_runtime import FlinkAgentsError
from flink_agents_runtime._errors import ConfigError

USAGE_COLUMNS = (
    "model",
    "action",
    "model_action",
    "responses",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "input_usd_per_1m",
    "output_usd_per_1m",
    "cost_usd",
)

Prices = Mapping[str, tuple[float, float]]

#: The price list shipped in the package, relative to ``flink_agents_nb``.
PACKAGED_PRICES = "_data/prices.yaml"


def _pair(entry: Any) -> tuple[float, float] | None:
    """``(input, output)`` prices of an entry; ``None`` when it does not parse or a price is
    negative, NaN or infinite (skipped like any entry that does not parse)."""
    inp: Any = None
    out: Any = None
    if isinstance(entry, (list, tuple)) and len(entry) == 2:
        inp, out = entry
    elif isinstance(entry, Mapping):
        inp = next((entry[k] for k in ("input", "prompt", "input_per_1m") if k in entry), None)
        out = next(
            (entry[k] for k in ("output", "completion", "output_per_1m") if k in entry), None
        )
    try:
        pair = float(inp), float(out)
    except (TypeError, ValueError):
        return None
    return pair if all(math.isfinite(v) and v >= 0 for v in pair) else None


def _read_prices(path: Path) -> str:
    """The text of a price file; :class:`ConfigError` naming it when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"price table {path}: cannot read it ({exc})", source=str(path)) from None


def find_prices_file(start: str | os.PathLike[str] | None = None) -> Path | None:
    """``$FLINK_AGENTS_NB_PRICES``, else the nearest ``conf/prices.yaml`` from ``start``
    (the working directory) upwards, else ``None``."""
    env = os.environ.get("FLINK_AGENTS_NB_PRICES")
    if env:
        return Path(env)
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "conf" / "prices.yaml"
        if candidate.is_file():
            return candidate
    return None


def packaged_prices_text() -> str:
    """The text of the price list shipped in the package (``_data/prices.yaml``)."""
    return resources.files("flink_agents_nb").joinpath(PACKAGED_PRICES).read_text(encoding="utf-8")


def load_prices(prices: Any = None) -> dict[str, tuple[float, float]]:
    """The price table as ``{model: (input, output)}`` USD per 1M tokens.

    ``prices``: a mapping, a YAML path, or ``None`` (see the module docstring: the override
    file if there is one, else the packaged table). Entries that do not parse are skipped.
    """
    path: Path | None = None
    if prices is None:
        path = find_prices_file()
        text = _read_prices(path) if path is not None else packaged_prices_text()
    elif isinstance(prices, (str, os.PathLike)):
        path = Path(prices)
        text = _read_prices(path)
    else:
        text = None
    if text is not None:
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            name = str(path) if path is not None else "the packaged table"
            where = f"{name}:{mark.line + 1}" if mark is not None else name
            problem = getattr(exc, "problem", None) or str(exc)[:200]
            raise ConfigError(
                f"price table {where}: invalid YAML: {problem}", source=where
            ) from None
        prices = data.get("models", data.get("prices", data)) if isinstance(data, dict) else {}
    out: dict[str, tuple[float, float]] = {}
    for model, entry in dict(prices).items():
        pair = _pair(entry)
        if pair is not None:
            out[str(model)] = pair
    return out


def cost_of(model: Any, prompt: int, completion: int, prices: Any = None) -> float | None:
    """USD cost of ``prompt`` + ``completion`` tokens of ``model``; ``None`` when unpriced.

    Loads the table on every call: to price many rows, :func:`load_prices` once and use
    :func:`cost_column`."""
    pair = load_prices(prices).get(str(model))
    if pair is None:
        return None
    return (prompt * pair[0] + completion * pair[1]) / 1e6


def cost_column(
    table: Prices, models: Iterable[Any], prompt: Iterable[int], completion: Iterable[int]
) -> list[float]:
    """USD cost per row of ``models`` / ``prompt`` / ``completion`` tokens under ``table``
    (from :func:`load_prices`); NaN for models the table does not price."""
    out = []
    for model, p, c in zip(models, prompt, completion, strict=True):
        pair = table.get(str(model))
        out.append(math.nan if pair is None else (int(p) * pair[0] + int(c) * pair[1]) / 1e6)
    return out


# -- collecting usage ----------------------------------------------------------------------
_warned: set[str] = set()


def warn_unpriced(models: Iterable[Any], table: Prices) -> None:
    """Warn once per process for each model ``table`` does not price, naming the closest
    priced model name (a typo such as ``gpt4o-mini`` is the usual cause)."""
    for model in dict.fromkeys(str(m) for m in models):
        if model in table or model in _warned or model.startswith("("):
            continue
        _warned.add(model)
        close = difflib.get_close_matches(model, list(table), n=1, cutoff=0.6)
        hint = f"; the closest priced name is {close[0]!r}" if close else ""
        warnings.warn(
            f"no price for model {model!r}: its cost is NaN (add it to conf/prices.yaml or "
            f"pass prices=){hint}",
            UnpricedModelWarning,
            stacklevel=_user_level(),
        )


def _user_level() -> int:
    """The ``stacklevel`` of the first caller outside this package (the user's line)."""
    import sys

    package = str(Path(__file__).resolve().parents[1])
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1  # type: ignore[assignment]
    return level


class UnpricedModelWarning(FlinkAgentsError, UserWarning):
    """A model has token usage but no price (its cost shows as NaN). Issued with
    :func:`warnings.warn`, never raised."""


def _from_metrics(counts: Mapping[str, Any]) -> list[dict[str, Any]]:
    usage: dict[tuple[str, str], dict[str, Any]] = {}
    for name, value in counts.items():
        if not name.startswith("action.") or ".model." not in name:
            continue
        head, _, metric = name.rpartition(".")
        if metric not in ("promptTokens", "completionTokens"):
            continue
        action, _, model = head[len("action.") :].partition(".model.")
        row = usage.setdefault(
            (model, action),
            {
                "model": model,
                "action": NOT_RECORDED,
                "model_action": action,
                "responses": pd.NA,
                "prompt_tokens": 0,
                "completion_tokens": 0,
            },
        )
        row["prompt_tokens" if metric == "promptTokens" else "completion_tokens"] += int(value)
    return list(usage.values())


#: ``action`` of usage read from metrics: without records the requesting action is unknown.
NOT_RECORDED = "(not recorded)"


def _usage_frame(source: Any) -> pd.DataFrame | None:
    """The record frame to count usage from (``None``: count from metrics instead)."""
    from flink_agents_nb.run._source import record_frame_of

    if isinstance(source, pd.DataFrame):
        return record_frame_of(source)
    frame = getattr(source, "frame", None)
    if isinstance(frame, pd.DataFrame):  # an event log
        return record_frame_of(source)
    result = getattr(source, "result", source)
    if hasattr(result, "metric_counts") and hasattr(result, "events"):
        if result.events is None:
            return None
        if hasattr(source, "records"):
            return record_frame_of(source)
        from flink_agents_nb.run._frames import record_frame, result_rows

        return record_frame(result_rows(result))
    return frame_of_records(source)


def token_usage(run_or_records: Any, prices: Any = None, *, warn: bool = True) -> pd.DataFrame:
    """Tokens and cost per model and action, one row each (sorted by model, action).

    ``run_or_records``: a ``Run``, a runtime ``RunResult``, an event log, a record frame
    (``Run.records``/``.events``, ``log.frame``), or an iterable of event records (flat,
    nested or EventRecord). The rule (:mod:`flink_agents_nb.run._usage`): ``action`` is the
    action that asked (sent the chat request), ``model_action`` the one that called the model
    (``chat_model_action``); ``responses`` counts token-carrying events. A run that did not
    record events falls back to its metrics (``action.<model_action>.model.<model>.*Tokens``;
    ``action`` is then :data:`NOT_RECORDED`). Columns: :data:`USAGE_COLUMNS`; costs of
    unpriced models are NaN, with one :class:`UnpricedModelWarning` per model and process
    (``warn=False``: none, and the model may still warn later).
    """
    records = _usage_frame(run_or_records)
    if records is None:
        rows = _from_metrics(getattr(run_or_records, "result", run_or_records).metric_counts)
        frame = pd.DataFrame(rows, columns=list(USAGE_COLUMNS[:6]))
    else:
        frame = usage_rows(records).drop(columns="row").assign(responses=1)
    table = load_prices(prices)
    if not frame.empty:
        frame = frame.groupby(
            ["model", "action", "model_action"], as_index=False, sort=True, dropna=False
        ).agg(
            responses=("responses", "sum"),
            prompt_tokens=("prompt_tokens", "sum"),
            completion_tokens=("completion_tokens", "sum"),
        )
    frame["total_tokens"] = frame["prompt_tokens"] + frame["completion_tokens"]
    if warn:
        warn_unpriced(frame["model"], table)
    pairs = [table.get(str(m)) for m in frame["model"]]
    frame["input_usd_per_1m"] = [p[0] if p else math.nan for p in pairs]
    frame["output_usd_per_1m"] = [p[1] if p else math.nan for p in pairs]
    frame["cost_usd"] = (
        frame["prompt_tokens"] * frame["input_usd_per_1m"]
        + frame["completion_tokens"] * frame["output_usd_per_1m"]
    ) / 1e6
    for col in ("prompt_tokens", "completion_tokens", "total_tokens"):
        frame[col] = frame[col].astype("int64")
    return frame[list(USAGE_COLUMNS)].reset_index(drop=True)
