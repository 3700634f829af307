"""The notebook's execution environment: the runtime's local driver, plus DataFrames.

``fa.local()`` (or ``fa.AgentsExecutionEnvironment.get_execution_environment()``) returns a
:class:`NotebookEnvironment`: ``from_list`` / ``from_pandas``, ``.apply(agent)``, then
``.execute()`` (a :class:`Run`), ``.to_list()`` or ``.to_pandas()``.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Mapping, Sequence, Sized
from typing import Any

import pandas as pd

from flink_agents_nb.run._run import Run
from flink_agents_runtime import (
    OPTIONS,
    AgentConfiguration,
    ConfigError,
    InputError,
    LocalAgentBuilder,
    LocalExecutionEnvironment,
    RunResult,
)
from flink_agents_runtime import AgentsExecutionEnvironment as _RuntimeEnvironment
from flink_agents_runtime.engine._inputs import Pairs

#: A local run with at least this many inputs shows a progress bar in a notebook.
PROGRESS_MIN_INPUTS = 50_000


def _in_notebook() -> bool:
    return "ipykernel" in sys.modules and "pytest" not in sys.modules


def _tqdm_progress(total: int | None) -> Any:
    from tqdm.auto import tqdm

    bar = tqdm(total=total, unit="input", desc="local run", leave=False)

    def update(done: int, _total: int | None) -> None:
        bar.update(done - bar.n)
        if _total is not None and done >= _total:
            bar.close()

    return update


def _native_column(series: pd.Series) -> list[Any]:
    """Column values as JSON-native Python values (timestamps as ISO-8601 strings)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return [None if pd.isna(v) else v.isoformat() for v in series]
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    return series.tolist()


def frame_to_records(
    frame: pd.DataFrame,
    key: str | None = None,
    value: str | None = None,
    columns: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Rows of ``frame`` as ``{"key": ..., "value": ...}`` inputs (``from_list``'s form);
    runs take :func:`frame_to_pairs` directly. Arguments as there."""
    return [{"key": k, "value": v} for k, v in frame_to_pairs(frame, key, value, columns)]


def frame_to_pairs(
    frame: pd.DataFrame,
    key: str | None = None,
    value: str | None = None,
    columns: Sequence[str] | None = None,
) -> Pairs:
    """Rows of ``frame`` as ``(key, value)`` inputs.

    ``value="col"`` takes one column as the value; ``columns=[...]`` makes each value a dict
    of those columns; with neither, the value is the whole row, a dict of every column, the
    key column included (as Flink Agents' ``from_datastream``/``from_table`` keep the whole
    record and derive the key from it). Without ``key``, the key is the row's position.
    Raises :class:`InputError` naming a missing column.
    """
    if value is not None and columns is not None:
        raise InputError("pass value='column' or columns=[...], not both")
    known = list(frame.columns)
    doubled = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if doubled:
        raise InputError(
            f"from_pandas: the frame has duplicate column names {doubled}; rename them "
            "(e.g. frame.columns = [...]) so each input field has one column"
        )
    for name in [key, value, *(columns or [])]:
        if name is not None and name not in frame.columns:
            raise InputError(f"from_pandas: no column {name!r}; the frame has {known}")
    keys = _native_column(frame[key]) if key is not None else list(range(len(frame)))
    if value is not None:
        values: list[Any] = _native_column(frame[value])
    else:
        cols = list(columns) if columns is not None else known
        names = [str(c) for c in cols]
        columns_native = [_native_column(frame[c]) for c in cols]
        values = [dict(zip(names, row, strict=True)) for row in zip(*columns_native, strict=True)]
        if not cols:
            values = [{} for _ in range(len(frame))]
    return Pairs(zip(keys, values, strict=True))


class NotebookAgentBuilder(LocalAgentBuilder):
    """A local builder whose ``execute`` returns a :class:`Run`."""

    _run: Run | None = None

    def execute(self, **kwargs: Any) -> Run:  # type: ignore[override]
        """Run now and return the :class:`Run` (see ``LocalExecutionEnvironment._execute``)."""
        run = self._env._execute(self, **kwargs)
        return run  # type: ignore[return-value]

    def to_pandas(self) -> pd.DataFrame:
        """The outputs as a DataFrame (``key``, ``input_seq``, ``output``); executes first if
        this builder has not run yet."""
        if self._run is None:
            self.execute()
        assert self._run is not None
        return self._run.outputs


class AgentsExecutionEnvironment(_RuntimeEnvironment):
    """Entry point (Flink Agents' name): local by default, Flink given a PyFlink env.

    The base of :class:`NotebookEnvironment` (what ``local()`` returns); a subclass of the
    runtime's ``AgentsExecutionEnvironment``, the base of the Flink environment too."""

    @staticmethod
    def get_execution_environment(
        env: Any = None,
        *,
        config_file: str | os.PathLike[str] | None = None,
        config: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A :class:`NotebookEnvironment`, or the Flink environment when ``env`` is a PyFlink
        ``StreamExecutionEnvironment`` (see the runtime's ``get_execution_environment``)."""
        if env is not None:
            return _RuntimeEnvironment.get_execution_environment(
                env, config_file=config_file, config=config, **kwargs
            )
        return NotebookEnvironment(AgentConfiguration.resolve(config_file, overrides=config))


class NotebookEnvironment(LocalExecutionEnvironment, AgentsExecutionEnvironment):
    """The local environment with DataFrame input and :class:`Run` results."""

    def from_list(self, inputs: Any) -> NotebookAgentBuilder:
        """Inputs as dicts ``{"key": k, "value": v}``; a missing key is the position."""
        return NotebookAgentBuilder(self, inputs)

    def from_pandas(
        self,
        frame: pd.DataFrame,
        key: str | None = None,
        value: str | None = None,
        columns: Sequence[str] | None = None,
    ) -> NotebookAgentBuilder:
        """Inputs from a DataFrame: see :func:`frame_to_pairs`."""
        if not isinstance(frame, pd.DataFrame):
            raise InputError(f"from_pandas takes a pandas DataFrame, got {type(frame).__name__}")
        return NotebookAgentBuilder(self, frame_to_pairs(frame, key, value, columns))

    def from_pairs(self, pairs: Any) -> NotebookAgentBuilder:
        """Inputs as ``(key, value)`` pairs, used as they are."""
        return NotebookAgentBuilder(self, Pairs(pairs))

    def _execute(self, builder: LocalAgentBuilder, **kwargs: Any) -> Run:  # type: ignore[override]
        show = kwargs.pop("progress", None)
        inputs = builder._inputs
        total = len(inputs) if isinstance(inputs, Sized) else None
        if show is None:
            show = _in_notebook() and (total or 0) >= PROGRESS_MIN_INPUTS
        if show is True:
            kwargs["progress"] = _tqdm_progress(total)
        elif callable(show):
            kwargs["progress"] = show
        try:
            result: RunResult = super()._execute(builder, **kwargs)
        except Exception as exc:
            partial = getattr(exc, "run", None)
            if isinstance(partial, RunResult):
                exc.run = Run(partial, builder._agent)  # type: ignore[attr-defined]
            raise
        run = Run(result, builder._agent)
        if isinstance(builder, NotebookAgentBuilder):
            builder._run = run
        return run


def _squash(key: str) -> str:
    return re.sub(r"[-._]", "", key).lower()


def local(config_file: str | os.PathLike[str] | None = None, **config: Any) -> NotebookEnvironment:
    """A local environment. Keyword arguments set options, named as Python identifiers
    (``local(max_retries=5, base_log_dir="logs", chat_async=False)``); or pass exact keys as
    ``config={"event-log.level": "VERBOSE"}``. Raises :class:`ConfigError` for an unknown name.
    """
    explicit = dict(config.pop("config", None) or {})
    by_squashed = {_squash(o.key): o.key for o in OPTIONS if not o.is_pattern}
    for name, value in config.items():
        key = by_squashed.get(_squash(name))
        if key is None:
            raise _unknown_keyword(name)
        explicit[key] = value
    return NotebookEnvironment(AgentConfiguration.resolve(config_file, overrides=explicit))


def keyword_name(key: str) -> str:
    """An option key as a Python keyword: ``max-retries`` -> ``max_retries``,
    ``baseLogDir`` -> ``base_log_dir``, ``event-log.level`` -> ``event_log_level``."""
    return re.sub(r"[-.]", "_", re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key)).lower()


def _unknown_keyword(name: str) -> ConfigError:
    """The error for ``local(name=...)`` naming no option, with the closest option spelled
    as a keyword, the way the user wrote it (``max_retrys=`` -> ``max_retries=``)."""
    spelled = {keyword_name(o.key): o.key for o in OPTIONS if not o.is_pattern}
    close = difflib.get_close_matches(name, list(spelled), n=1, cutoff=0.6)
    hint = (
        f"; did you mean {close[0]}= (option {spelled[close[0]]!r})?"
        if close
        else "; see conf/config.yaml for all keys, or pass config={'exact-key': value}"
    )
    return ConfigError(f"unknown option {name}= in local(){hint}", key=name, source="code")
