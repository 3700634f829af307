"""The parity report: a local run against a Flink job of the same agent over the same input.

:func:`compare` checks outputs per key (in input order, each with the same ``input_seq``; the
local run's outputs in the form a Flink job hands them downstream, as Apache Flink Agents
does: a pydantic model as its JSON-mode dict, see ``crossed``),
event types and counts, action runs and metric totals (``eventLog*`` metrics, which only the
job's event-log sink counts, are left out), and keeps one :class:`KeyParity` row per key so
the view can show which keys agree and where the first one that does not went apart.

The HTML view: a verdict line (green or red), one row per check (``result``, ``check``,
``detail``) and one row per key (``key``, ``local outputs``, ``flink outputs``, ``same``,
then ``outputs (#input: value)``, one line per output, or the first difference), differing
keys first, at most :data:`KEY_ROWS` keys. Every value is escaped (outputs hold LLM text).
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from flink_agents_nb._html import STYLE, esc
from flink_agents_runtime import RunResult
from flink_agents_runtime._display import DisplayMixin, short
from flink_agents_runtime.api._values import crossed
from flink_agents_runtime.engine.reporting._run import Output

#: Metrics only the Flink job's event-log sink counts; left out of parity.
PARITY_IGNORED_PREFIXES = ("eventLog",)
#: Most keys listed in the HTML view (differing keys first); the frame has them all.
KEY_ROWS = 20
#: Most outputs listed for one key (then "… N more outputs").
OUTPUT_LINES = 5
#: Longest text of one key's outputs or first difference in the HTML view, in characters.
DETAIL_CHARS = 160

_PARITY_STYLE = """<style>
.fanb-verdict{font-weight:bold;padding:3px 8px;margin:2px 0 6px;display:inline-block;
 border-radius:3px}
.fanb-verdict.fanb-ok{background:#e6f4ea;color:#11632a}
.fanb-verdict.fanb-bad{background:#fde7e7;color:#a00}
.fanb-parity h4{margin:10px 0 4px;font-size:13px}
.fanb-parity td.fanb-yes{color:#11632a}.fanb-parity td.fanb-no{color:#a00;font-weight:bold}
</style>"""


@dataclass
class ParityCheck:
    """One comparison of the local run with the Flink job."""

    name: str
    ok: bool
    detail: str


@dataclass
class KeyParity:
    """One key's outputs on both drivers: ``local``/``flink`` are ``(input_seq, output)``
    pairs in order; ``ok`` when they are equal."""

    key: Any
    local: list[tuple[int, Any]]
    flink: list[tuple[int, Any]]

    @property
    def ok(self) -> bool:
        """Whether both drivers gave this key the same outputs for the same inputs."""
        return self.local == self.flink

    def lines(self, limit: int = DETAIL_CHARS) -> list[str]:
        """The key's outputs (``#input_seq value``, one per output, at most
        :data:`OUTPUT_LINES`) when equal, else its first difference (one line); each cut to
        ``limit`` characters."""
        if self.ok:
            shown = [
                short(f"#{seq} {short(v, limit, quote=False)}", limit, quote=False)
                for seq, v in self.local[:OUTPUT_LINES]
            ]
            more = len(self.local) - len(shown)
            return [*shown, f"… {more} more outputs"] if more > 0 else shown
        for i in range(max(len(self.local), len(self.flink))):
            a = self.local[i] if i < len(self.local) else None
            b = self.flink[i] if i < len(self.flink) else None
            if a != b:
                text = f"output {i + 1}: local {_pair(a)} vs flink {_pair(b)}"
                return [short(text, limit, quote=False)]
        return []  # pragma: no cover - unequal lists differ at some index

    def detail(self, limit: int = DETAIL_CHARS) -> str:
        """:meth:`lines` on one line (``; `` between outputs)."""
        return "; ".join(self.lines(limit))


def _pair(pair: tuple[int, Any] | None) -> str:
    """``#input_seq value``: a string in single quotes as it is (JSON's escaped quotes
    would bury a JSON-looking answer in backslashes), anything else as compact JSON."""
    if pair is None:
        return "none"
    seq, value = pair
    shown = f"'{short(value, 60, quote=False)}'" if isinstance(value, str) else short(value, 60)
    return f"#{seq} {shown}"


@dataclass
class ParityReport(DisplayMixin):
    """Local run vs Flink job: outputs per key, event types, action runs, metric totals.

    ``checks`` holds one :class:`ParityCheck` per comparison; ``keys`` one
    :class:`KeyParity` per key (in key order).
    """

    checks: list[ParityCheck] = field(default_factory=list)
    keys: list[KeyParity] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(c.ok for c in self.checks)

    def __bool__(self) -> bool:
        return self.ok

    def to_frame(self) -> pd.DataFrame:
        """One row per check: ``check``, ``ok``, ``detail``."""
        return pd.DataFrame(
            [{"check": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
            columns=["check", "ok", "detail"],
        )

    def per_key(self) -> pd.DataFrame:
        """One row per key: ``key``, ``local_outputs``, ``flink_outputs`` (counts), ``same``
        and ``detail`` (the outputs, or the first difference)."""
        return pd.DataFrame(
            [
                {
                    "key": k.key,
                    "local_outputs": len(k.local),
                    "flink_outputs": len(k.flink),
                    "same": k.ok,
                    "detail": k.detail(),
                }
                for k in self.keys
            ],
            columns=["key", "local_outputs", "flink_outputs", "same", "detail"],
        )

    def __repr__(self) -> str:
        head = "parity: OK" if self.ok else "parity: DIFFERENT"
        return "\n".join(
            [head, *(f"  [{'ok' if c.ok else 'XX'}] {c.name}: {c.detail}" for c in self.checks)]
        )

    def _verdict(self) -> str:
        if self.ok:
            return f"all {len(self.checks)} checks pass: the job matches the local run"
        failed = [c.name for c in self.checks if not c.ok]
        return f"{len(failed)} of {len(self.checks)} checks differ: {', '.join(failed)}"

    def _mimebundle(self) -> dict[str, Any]:
        cls = "fanb-ok" if self.ok else "fanb-bad"
        head = "Parity local vs Flink: " + ("OK" if self.ok else "DIFFERENT")
        checks = "".join(
            f"<tr><td class='{'fanb-yes' if c.ok else 'fanb-no'}'>"
            f"{'&#10003; same' if c.ok else '&#10007; differs'}</td>"
            f"<td>{esc(c.name)}</td><td>{esc(c.detail)}</td></tr>"
            for c in self.checks
        )
        parts = [
            STYLE,
            _PARITY_STYLE,
            f"<div class='fanb-parity'><div class='fanb-verdict {cls}'>{esc(head)}"
            f" &mdash; {esc(self._verdict())}</div>",
            "<table class='fanb-table'><thead><tr><th>result</th><th>check</th>"
            f"<th>detail</th></tr></thead><tbody>{checks}</tbody></table>",
        ]
        if self.keys:
            parts.append(self._key_table())
        parts.append("</div>")
        return {"text/plain": repr(self), "text/html": "".join(parts)}

    def _key_table(self) -> str:
        shown = sorted(self.keys, key=lambda k: k.ok)[:KEY_ROWS]  # stable: differing first
        bad = sum(not k.ok for k in self.keys)
        rows = "".join(
            f"<tr><td>{esc(short(k.key, 60, quote=False))}</td>"
            f"<td class='fanb-num'>{len(k.local)}</td>"
            f"<td class='fanb-num'>{len(k.flink)}</td>"
            f"<td class='{'fanb-yes' if k.ok else 'fanb-no'}'>"
            f"{'&#10003; yes' if k.ok else '&#10007; no'}</td>"
            f"<td>{'<br>'.join(esc(line) for line in k.lines())}</td></tr>"
            for k in shown
        )
        more = len(self.keys) - len(shown)
        note = f"; {more} more keys not listed (see .per_key())" if more > 0 else ""
        title = f"outputs per key: {len(self.keys) - bad} of {len(self.keys)} keys the same{note}"
        detail = "first difference (same keys: outputs)" if bad else "outputs (#input: value)"
        return (
            f"<h4>{esc(title)}</h4><table class='fanb-table fanb-keys'><thead><tr>"
            "<th>key</th><th>local outputs</th><th>flink outputs</th><th>same</th>"
            f"<th>{detail}</th></tr></thead><tbody>{rows}</tbody></table>"
        )


def _per_key(outputs: list[Output], as_on_flink: bool = False) -> dict[Any, list[tuple[int, Any]]]:
    """Each key's ``(input_seq, output)`` pairs in order: parity covers the outputs and
    which of the key's inputs produced each (``input_seq`` has one meaning on both
    drivers). ``as_on_flink``: each output as a Flink job hands it downstream."""
    grouped: dict[Any, list[tuple[int, Any]]] = {}
    for out in outputs:
        value = crossed(out.value) if as_on_flink else out.value
        grouped.setdefault(out.key, []).append((int(out.input_seq), value))
    return grouped


def _diff_counts(a: Mapping[Any, int], b: Mapping[Any, int]) -> str:
    names = sorted(set(a) | set(b), key=str)
    diffs = [
        f"{n}: local {a.get(n, 0)} vs flink {b.get(n, 0)}"
        for n in names
        if a.get(n, 0) != b.get(n, 0)
    ]
    return "; ".join(diffs[:5]) + (f" (+{len(diffs) - 5} more)" if len(diffs) > 5 else "")


def compare(local: RunResult, flink: RunResult) -> ParityReport:
    """The parity report of two runs of the same agent over the same input."""
    report = ParityReport()
    lo, fo = _per_key(local.outputs, as_on_flink=True), _per_key(flink.outputs)
    keys = sorted(set(lo) | set(fo), key=repr)
    report.keys = [KeyParity(k, lo.get(k, []), fo.get(k, [])) for k in keys]
    bad = [k for k in report.keys if not k.ok]
    if bad:
        first = bad[0]
        detail = (
            f"{len(bad)} of {len(keys)} keys differ; first: key "
            f"{short(first.key, 60, quote=False)}, {first.detail()}"
        )
    else:
        detail = f"{len(local.outputs)} outputs over {len(lo)} keys"
    report.checks.append(ParityCheck("outputs per key", not bad, detail))
    if local.events is not None and flink.events is not None:
        le = Tally(r.event.type for r in local.events)
        fe = Tally(r.event.type for r in flink.events)
        report.checks.append(
            ParityCheck(
                "event types and counts",
                le == fe,
                f"{sum(le.values())} events of {len(le)} types"
                if le == fe
                else _diff_counts(le, fe),
            )
        )
    if local.actions is not None and flink.actions is not None:
        la = Tally(f"{r.action}:{r.status}" for r in local.actions)
        fa_ = Tally(f"{r.action}:{r.status}" for r in flink.actions)
        report.checks.append(
            ParityCheck(
                "action runs",
                la == fa_,
                f"{sum(la.values())} action runs" if la == fa_ else _diff_counts(la, fa_),
            )
        )

    def kept(counts: Mapping[str, int]) -> dict[str, int]:
        return {n: v for n, v in counts.items() if not n.startswith(PARITY_IGNORED_PREFIXES)}

    lm, fm = kept(local.metric_counts), kept(flink.metric_counts)
    report.checks.append(
        ParityCheck(
            "metric totals",
            lm == fm,
            f"{len(lm)} counters and meters equal" if lm == fm else _diff_counts(lm, fm),
        )
    )
    return report
