"""Field-level output diff: per input, which output fields changed, old -> new.

Inputs of two runs are matched by ``(key, n)``: the n-th input of that key in each run (so
an input added for one key does not shift every other key's inputs, as ``input_seq`` would).
Each input's outputs are flattened to leaf fields: a dict output gives its dotted paths
(``priority``, ``ticket.team``), a scalar output the field ``output``; when an input emits
more than one output the fields are prefixed with the output's index (``[1].priority``).
A field present on one side only shows as :data:`MISSING` on the other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from flink_agents_nb._html import flatten, short

OUTPUT_EVENT = "_output_event"
INPUT_EVENT = "_input_event"


class _Missing:
    """The value of a field that one side does not have."""

    def __repr__(self) -> str:
        return "(missing)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Missing)

    def __hash__(self) -> int:
        return 0


#: Stands for a field (or a whole input) that one run does not have.
MISSING: Any = _Missing()

INPUT_COLUMNS = ["key", "input", "input_seq_a", "input_seq_b", "a", "b", "status", "fields"]
FIELD_COLUMNS = ["key", "input", "input_seq_a", "input_seq_b", "field", "a", "b"]
SUMMARY_COLUMNS = ["field", "changed", "inputs", "transitions", "text"]


def _per_input(frame: pd.DataFrame) -> dict[tuple[Any, int], tuple[Any, list[Any]]]:
    """``(key, n) -> (input_seq, [outputs])`` for every input of ``frame``, n counting per key."""
    ev = frame[frame["record_type"] == "event"]
    ev = ev[ev["event_type"].isin((INPUT_EVENT, OUTPUT_EVENT))]
    if "seq" in ev and ev["seq"].notna().all():
        ev = ev.sort_values("seq", kind="stable")
    outs: dict[Any, list[Any]] = {}
    order: list[tuple[Any, Any]] = []
    for key, iseq, etype, attrs in zip(
        ev["key"], ev["input_seq"], ev["event_type"], ev["attributes"], strict=True
    ):
        ident = (key, None if pd.isna(iseq) else int(iseq))
        if ident not in outs:
            outs[ident] = []
            order.append(ident)
        if etype == OUTPUT_EVENT:
            outs[ident].append(attrs.get("output") if isinstance(attrs, Mapping) else attrs)
    result: dict[tuple[Any, int], tuple[Any, list[Any]]] = {}
    counts: Counter[Any] = Counter()
    for key, iseq in order:
        n = counts[key]
        counts[key] += 1
        result[(key, n)] = (iseq, outs[(key, iseq)])
    return result


def _leaves(outputs: list[Any]) -> dict[str, Any]:
    """Leaf fields of one input's outputs (see the module docstring)."""
    fields: dict[str, Any] = {}
    for i, value in enumerate(outputs):
        prefix = f"[{i}]" if len(outputs) > 1 else ""
        pairs = flatten(value) if isinstance(value, dict) and value else []
        if not pairs:
            pairs = [("output", value)]
        for path, leaf in pairs:
            name = f"{prefix}.{path}" if prefix and path != "output" else (prefix or path)
            fields[name] = leaf
    return fields


def _same(x: Any, y: Any) -> bool:
    try:
        return bool(x == y)
    except Exception:  # odd values (arrays) compare by text
        return repr(x) == repr(y)


@dataclass
class FieldDiff:
    """Frames of a field-level diff (see :func:`field_diff`)."""

    inputs: pd.DataFrame
    fields: pd.DataFrame
    field_summary: pd.DataFrame


def _label(value: Any) -> str:
    return short(value, 40, quote=False) if value is not MISSING else "(missing)"


def field_diff(frame_a: pd.DataFrame, frame_b: pd.DataFrame, top: int = 3) -> FieldDiff:
    """Compare the outputs of two record frames input by input, field by field.

    Returns ``inputs`` (one row per input: ``key``, ``input`` (n-th of its key), input_seq in
    each run, outputs ``a``/``b``, ``status`` ``changed``/``same``/``only in a``/``only in b``,
    ``fields`` changed), ``fields`` (one row per changed field of an input in both runs: old
    ``a``, new ``b``) and ``field_summary`` (per field: ``changed`` inputs of ``inputs``
    compared, ``transitions`` as ``[(old, new, count), ...]`` most frequent first, ``text``
    such as ``"priority changed on 34 of 800 inputs: P3 -> P2 x 20, ..."``).
    """
    pa, pb = _per_input(frame_a), _per_input(frame_b)
    rows: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for ident in list(pa) + [i for i in pb if i not in pa]:
        key, n = ident
        sa, oa = pa.get(ident, (None, MISSING))
        sb, ob = pb.get(ident, (None, MISSING))
        changed: list[str] = []
        if oa is MISSING:
            status = "only in b"
        elif ob is MISSING:
            status = "only in a"
        else:
            la, lb = _leaves(oa), _leaves(ob)
            for name in list(la) + [f for f in lb if f not in la]:
                va, vb = la.get(name, MISSING), lb.get(name, MISSING)
                if not _same(va, vb):
                    changed.append(name)
                    changes.append(
                        {
                            "key": key,
                            "input": n,
                            "input_seq_a": sa,
                            "input_seq_b": sb,
                            "field": name,
                            "a": va,
                            "b": vb,
                        }
                    )
            status = "changed" if changed else "same"
        rows.append(
            {
                "key": key,
                "input": n,
                "input_seq_a": sa,
                "input_seq_b": sb,
                "a": None if oa is MISSING else oa,
                "b": None if ob is MISSING else ob,
                "status": status,
                "fields": changed,
            }
        )
    inputs = pd.DataFrame(rows, columns=INPUT_COLUMNS)
    for col in ("input_seq_a", "input_seq_b"):
        inputs[col] = pd.array(inputs[col], dtype="Int64")
    fields = pd.DataFrame(changes, columns=FIELD_COLUMNS)
    compared = int(inputs["status"].isin(("changed", "same")).sum())
    summary: list[dict[str, Any]] = []
    for name, group in fields.groupby("field", sort=False):
        pairs = Counter((_label(a), _label(b)) for a, b in zip(group["a"], group["b"], strict=True))
        trans = [(a, b, c) for (a, b), c in pairs.most_common()]
        shown = ", ".join(f"{a} -> {b} x {c}" for a, b, c in trans[:top])
        more = f", ... ({len(trans) - top} more)" if len(trans) > top else ""
        summary.append(
            {
                "field": name,
                "changed": len(group),
                "inputs": compared,
                "transitions": trans,
                "text": f"{name} changed on {len(group)} of {compared} inputs: {shown}{more}",
            }
        )
    field_summary = pd.DataFrame(summary, columns=SUMMARY_COLUMNS)
    if len(field_summary):
        field_summary = field_summary.sort_values(
            "changed", ascending=False, kind="stable"
        ).reset_index(drop=True)
    return FieldDiff(inputs, fields, field_summary)
