"""A dataset from a run: its inputs, its outputs, and reviewed expected values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from flink_agents_nb.evaluate._scorers import EvaluationError
from flink_agents_nb.timetravel._records import recording_of


def dataset_from_run(source: Any, reviewed: Any = None) -> pd.DataFrame:
    """One row per input of ``source`` (a Run or any record), in input order.

    Columns: ``key``, ``input`` (the input value), ``output`` (its output; a list when it
    emitted several, ``None`` when none) and ``expected``: the output, unless ``reviewed``
    gives the reviewed value: a mapping ``{row position: value}`` or a sequence with one
    value per row. Evaluate it with ``fa.evaluate(agent, ds, key="key", input="input")``.

    Raises :class:`EvaluationError` when ``reviewed`` names a row that does not exist or has
    the wrong length.
    """
    recording = recording_of(source)
    rows = []
    for rec in recording.inputs:
        outs = rec.outputs()
        out = outs[0] if len(outs) == 1 else (outs or None)
        rows.append({"key": rec.key, "input": rec.value, "output": out, "expected": out})
    frame = pd.DataFrame(rows, columns=["key", "input", "output", "expected"])
    if reviewed is None:
        return frame
    if isinstance(reviewed, Mapping):
        for pos, value in reviewed.items():
            if not isinstance(pos, int) or not 0 <= pos < len(frame):
                raise EvaluationError(
                    f"reviewed row {pos!r} does not exist (the dataset has {len(frame)} rows)"
                )
            frame.at[pos, "expected"] = value
        return frame
    if isinstance(reviewed, (Sequence, pd.Series)) and not isinstance(reviewed, str):
        values = list(reviewed)
        if len(values) != len(frame):
            raise EvaluationError(
                f"reviewed has {len(values)} values for {len(frame)} inputs of the run"
            )
        frame["expected"] = values
        return frame
    raise EvaluationError(f"reviewed is a mapping or a sequence, got {type(reviewed).__name__}")
