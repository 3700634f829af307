"""``fa.diff(run_a, run_b)``: what moved between two runs ("I changed the prompt...").

Works on anything with a record frame (``Run``, ``EventLog``, a frame). Event ids differ
between runs, so events are compared by ``(key, event_type)`` counts; outputs by key (the
``output`` attribute of ``_output_event`` records, in order); tokens per model; latency per
action (p50/p95 of ``duration_ms``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from flink_agents_nb._html import STYLE, esc, short, table
from flink_agents_nb.run._field_diff import MISSING, field_diff
from flink_agents_nb.run._source import record_frame_of, source_name
from flink_agents_runtime._display import DisplayMixin

#: Changed inputs shown in the HTML view (the frames hold them all).
SHOWN_INPUTS = 50

DIFF_STYLE = """<style>
.fanb-diff del{background:#ffd7d5;color:#82071e;text-decoration:line-through;padding:0 2px}
.fanb-diff ins{background:#ccffd8;color:#055d20;text-decoration:none;padding:0 2px}
.fanb-diff .fanb-field{font-weight:600}
.fanb-diff table.fanb-table td,.fanb-diff table.fanb-table th{text-align:left}
</style>"""

OUTPUT_EVENT = "_output_event"


def _cell(value: Any) -> str:
    """One old or new field value for the HTML view (escaped; strings as they are)."""
    return "(missing)" if value is MISSING else esc(short(value, 80, quote=False))


def _outputs(frame: pd.DataFrame) -> dict[Any, list[Any]]:
    ev = frame[(frame["record_type"] == "event") & (frame["event_type"] == OUTPUT_EVENT)]
    out: dict[Any, list[Any]] = {}
    for key, attrs in zip(ev["key"], ev["attributes"], strict=True):
        value = attrs.get("output") if isinstance(attrs, Mapping) else attrs
        out.setdefault(key, []).append(value)
    return out


def _event_counts(frame: pd.DataFrame) -> pd.Series:
    ev = frame[frame["record_type"] == "event"]
    return ev.groupby([ev["key"].astype(str), ev["event_type"]]).size()


def _tokens(frame: pd.DataFrame) -> pd.DataFrame:
    ev = frame[frame["record_type"] == "event"]
    g = ev.assign(model=ev["model"].fillna("(none)").astype(str)).groupby("model")
    t = g[["prompt_tokens", "completion_tokens"]].sum()
    return t[(t["prompt_tokens"] > 0) | (t["completion_tokens"] > 0)].astype("int64")


@dataclass
class RunDiff(DisplayMixin):
    """The differences between run ``a`` and run ``b``.

    Attributes:
        inputs: per input (matched by key and n-th input of the key): ``key``, ``input``,
            ``input_seq_a``/``input_seq_b``, outputs ``a``/``b``, ``status``, changed
            ``fields`` (see :func:`flink_agents_nb.run._field_diff.field_diff`).
        fields: one row per changed output field of an input: ``key``, ``input``,
            ``field``, old ``a``, new ``b``.
        field_summary: per field: ``changed`` (inputs), ``inputs`` (compared),
            ``transitions`` (``[(old, new, count), ...]``), ``text``.
        outputs: per key: ``key``, ``a``, ``b`` (output lists), ``status`` (``"changed"``,
            ``"same"``, ``"only in a"``, ``"only in b"``).
        events: per ``(key, event_type)`` whose count differs: ``a``, ``b``, ``delta``
            (b - a), ``change`` (``"added"`` or ``"missing"``).
        tokens: per model: prompt/completion tokens in a and b and their deltas.
        latency: per action: count, p50 and p95 (ms) in a and b, and the deltas of p50/p95.
    """

    name_a: str
    name_b: str
    outputs: pd.DataFrame
    events: pd.DataFrame
    tokens: pd.DataFrame
    latency: pd.DataFrame
    inputs: pd.DataFrame
    fields: pd.DataFrame
    field_summary: pd.DataFrame

    @property
    def changed_keys(self) -> list[Any]:
        """Keys whose outputs differ (or exist in one run only)."""
        return list(self.outputs.loc[self.outputs["status"] != "same", "key"])

    def summary(self) -> str:
        """A few lines: outputs changed, events added/missing, token and latency deltas."""
        o = self.outputs["status"].value_counts()
        i = self.inputs["status"].value_counts()
        lines = [
            f"diff {self.name_a} -> {self.name_b}: {int(o.get('changed', 0))} keys with changed "
            f"outputs, {int(o.get('same', 0))} same, {int(o.get('only in a', 0))} only in a, "
            f"{int(o.get('only in b', 0))} only in b",
            f"inputs: {int(i.get('changed', 0))} of {int(i.get('changed', 0) + i.get('same', 0))}"
            f" changed, {int(i.get('only in a', 0))} only in a, {int(i.get('only in b', 0))}"
            " only in b",
        ]
        lines.extend(self.field_summary["text"])
        if len(self.events):
            added = int(self.events.loc[self.events["delta"] > 0, "delta"].sum())
            missing = int(-self.events.loc[self.events["delta"] < 0, "delta"].sum())
            lines.append(f"events: {added} added, {missing} missing")
        else:
            lines.append("events: same types and counts per key")
        if len(self.tokens):
            dp = int(self.tokens["prompt_delta"].sum())
            dc = int(self.tokens["completion_delta"].sum())
            lines.append(f"tokens: prompt {dp:+,}, completion {dc:+,}")
        for action, r in self.latency.iterrows():
            lines.append(f"latency {action}: {_latency_change(r)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<RunDiff {self.summary().splitlines()[0]}>"

    def _changes_html(self) -> str:
        changed = self.inputs[self.inputs["status"] != "same"]
        if not len(changed):
            return ""
        by_input = {
            ident: group for ident, group in self.fields.groupby(["key", "input"], sort=False)
        }
        rows = []
        for r in changed.head(SHOWN_INPUTS).itertuples(index=False):
            if r.status == "changed":
                group = by_input[(r.key, r.input)]
                cell = "<br>".join(
                    f"<span class='fanb-field'>{esc(f)}</span> "
                    f"<del>{_cell(va)}</del> → <ins>{_cell(vb)}</ins>"
                    for f, va, vb in zip(group["field"], group["a"], group["b"], strict=True)
                )
            elif r.status == "only in a":
                cell = f"<del>{esc(short(r.a, 120, quote=False))}</del> (input only in a)"
            else:
                cell = f"<ins>{esc(short(r.b, 120, quote=False))}</ins> (input only in b)"
            seq = r.input_seq_a if r.status != "only in b" else r.input_seq_b
            rows.append(
                f"<tr><td>{esc(r.key)}</td><td>{esc(r.input)}</td><td>{esc(seq)}</td>"
                f"<td>{cell}</td></tr>"
            )
        more = len(changed) - SHOWN_INPUTS
        tail = (
            f"<div class='fanb-muted'>{more} more changed inputs: see .inputs / .fields</div>"
            if more > 0
            else ""
        )
        return (
            # "input #" is the input's position in the run (as in the stepper, inspector
            # and parity views); "key's input #" its position among the key's inputs.
            "<table class='fanb-table'><thead><tr><th>key</th><th>key's input #</th>"
            "<th>input #</th><th>changed fields: old → new</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>{tail}"
        )

    def _mimebundle(self) -> dict[str, Any]:
        lines = self.summary().splitlines()
        parts = [
            STYLE,
            DIFF_STYLE,
            f"<div class='fanb-diff'><b>{esc(lines[0])}</b><ul>",
            "".join(f"<li>{esc(line)}</li>" for line in lines[1:]),
            "</ul>",
            self._changes_html(),
        ]
        if len(self.events):
            parts.append("<details><summary>event counts that differ</summary>")
            parts.append(
                table(
                    self.events.head(20).to_dict("records"),
                    ["key", "event_type", "a", "b", "delta", "change"],
                )
            )
            parts.append("</details>")
        parts.append("</div>")
        return {"text/plain": "\n".join(lines), "text/html": "".join(parts)}


def diff(a: Any, b: Any) -> RunDiff:
    """Compare two runs or logs (``a`` before, ``b`` after); see :class:`RunDiff`."""
    fa, fb = record_frame_of(a), record_frame_of(b)
    out_a, out_b = _outputs(fa), _outputs(fb)
    rows = []
    for key in list(out_a) + [k for k in out_b if k not in out_a]:
        va, vb = out_a.get(key), out_b.get(key)
        if va is None:
            status = "only in b"
        elif vb is None:
            status = "only in a"
        else:
            status = "same" if va == vb else "changed"
        rows.append({"key": key, "a": va, "b": vb, "status": status})
    outputs = pd.DataFrame(rows, columns=["key", "a", "b", "status"])
    ca, cb = _event_counts(fa), _event_counts(fb)
    ev = pd.concat([ca.rename("a"), cb.rename("b")], axis=1).fillna(0).astype("int64")
    ev["delta"] = ev["b"] - ev["a"]
    ev = ev[ev["delta"] != 0].reset_index()
    ev.columns = ["key", "event_type", "a", "b", "delta"]
    ev["change"] = ev["delta"].map(lambda d: "added" if d > 0 else "missing")
    ta, tb = _tokens(fa), _tokens(fb)
    tok = pd.concat([ta.add_suffix("_a"), tb.add_suffix("_b")], axis=1).fillna(0).astype("int64")
    if len(tok):
        tok["prompt_delta"] = tok["prompt_tokens_b"] - tok["prompt_tokens_a"]
        tok["completion_delta"] = tok["completion_tokens_b"] - tok["completion_tokens_a"]
    else:
        tok = tok.assign(prompt_delta=[], completion_delta=[])
    from flink_agents_nb.charts._dashboard import latency_stats

    la, lb = latency_stats(fa), latency_stats(fb)
    cols = ["count", "p50", "p95"]
    lat = pd.concat([la[cols].add_suffix("_a"), lb[cols].add_suffix("_b")], axis=1)
    lat["p50_delta"] = lat["p50_b"] - lat["p50_a"]
    lat["p95_delta"] = lat["p95_b"] - lat["p95_a"]
    fd = field_diff(fa, fb)
    return RunDiff(
        source_name(a),
        source_name(b),
        outputs,
        ev,
        tok,
        lat,
        fd.inputs,
        fd.fields,
        fd.field_summary,
    )


def _latency_change(r: pd.Series) -> str:
    """``p50 a -> b ms, p95 a -> b ms``, or ``only in b: p50 .. ms, p95 .. ms`` for an action
    that ran in one run only (a fork's memory edit, a new action): no "nan -> 0.000"."""
    for side, other in (("a", "b"), ("b", "a")):
        if pd.isna(r[f"p50_{other}"]):
            return f"only in {side}: p50 {r[f'p50_{side}']:.3f} ms, p95 {r[f'p95_{side}']:.3f} ms"
    return (
        f"p50 {r['p50_a']:.3f} -> {r['p50_b']:.3f} ms, p95 {r['p95_a']:.3f} -> {r['p95_b']:.3f} ms"
    )
