"""HTML panes of the stepper widget: the current event's header, its handlers, the memory at
that step and the running totals. Every value from records is escaped.
"""

from __future__ import annotations

from typing import Any

from flink_agents_nb._html import esc, flatten, short, table
from flink_agents_nb.stepper._view import StepView


def format_elapsed(ms: float | None) -> str:
    """Milliseconds since the run started, e.g. ``"+12.345 ms"`` (``"?"`` when unknown)."""
    if ms is None:
        return "?"
    if ms >= 10_000:
        return f"+{ms / 1000:,.3f} s"
    return f"+{ms:,.3f} ms"


def render_header(view: StepView, elapsed_ms: float | None = None) -> str:
    """Position, event type, key, input, time and id of the current event (escaped). The
    time reads as milliseconds since the run started; the full timestamp shows on hover."""
    r = view.record
    stamp: Any = r.get("timestamp")
    full = stamp.isoformat() if hasattr(stamp, "isoformat") else str(stamp)
    return (
        f"<div><b>event {view.position + 1} / {view.total}</b>: "
        f"<code>{esc(r.get('event_type'))}</code> key "
        f"<code>{esc(short(r.get('key'), 80, quote=False))}</code>"
        f" input #{esc(r.get('input_seq'))} at <span title='{esc(full)}'>"
        f"{esc(format_elapsed(elapsed_ms))}</span>"
        f" <span class='fanb-muted'>id {esc(r.get('event_id'))}</span></div>"
    )


def render_actions(view: StepView) -> str:
    """The handling actions with status and duration, cause and caused events (escaped)."""
    if view.actions:
        rows = [
            {
                **a,
                "duration_ms": f"{a['duration_ms']:,.3f}"
                if a.get("duration_ms") is not None
                else None,
            }
            for a in view.actions
        ]
        acts = table(rows, ["action", "status", "duration_ms", "attempt", "error"])
    else:
        acts = "<span class='fanb-muted'>no action handled this event</span>"
    cause = (
        f"caused by <code>{esc(view.cause['event_type'])}</code> via "
        f"<code>{esc(view.cause['action'])}</code>"
        if view.cause
        else "an input event"
    )
    caused = ", ".join(esc(c["event_type"]) for c in view.caused) or "nothing"
    return f"<div>{acts}<div>{cause}; caused: {caused}</div></div>"


def is_internal(path: str) -> bool:
    """Whether a memory path is the runtime's bookkeeping (a segment starting with ``_``,
    such as ``_chat.<uuid>.messages``), hidden unless asked for."""
    return any(part.startswith("_") for part in str(path).split("."))


def render_memory(view: StepView, internals: bool = False) -> str:
    """Short-term and sensory memory after this step; changed paths highlighted (escaped).
    Internal paths (:func:`is_internal`) are left out unless ``internals``."""
    if not view.memory_recorded:
        return "<div class='fanb-muted'>memory not recorded for this source</div>"
    parts = []
    for name, state in (("short_term", view.short_term), ("sensory", view.sensory)):
        changed = {c.path for c in view.changes if c.memory == name}
        rows = flatten(state)
        hidden = 0
        if not internals:
            kept = [(p, v) for p, v in rows if not is_internal(p)]
            hidden, rows = len(rows) - len(kept), kept
        marked = [i for i, (path, _) in enumerate(rows) if path in changed]
        body = (
            table(rows, ["path", "value"], highlight=marked)
            if rows
            else "<div class='fanb-muted'>empty</div>"
        )
        note = f"<div class='fanb-muted'>{hidden} internal entries hidden</div>" if hidden else ""
        title = "short-term" if name == "short_term" else name
        parts.append(
            f"<div style='margin:0 0 10px 0'><div><b>{esc(title)} memory</b></div>"
            f"{body}{note}</div>"
        )
    shown = [c for c in view.changes if internals or not is_internal(c.path)]
    if shown:
        changes = "; ".join(
            f"{esc(c.memory)}.{esc(c.path)}: "
            + ("new" if c.new_path else esc(short(c.old, 60, quote=False)))
            + f" → {esc(short(c.new, 60, quote=False))}"
            for c in shown
        )
        parts.append(f"<div>changed: {changes}</div>")
    return "<div>" + "".join(parts) + "</div>"


def render_metrics(view: StepView) -> str:
    """Totals up to this step (escaped)."""
    rows = [
        ("elapsed", format_elapsed(v * 1000))
        if k == "elapsed_s"
        else (k, f"{v:,}" if isinstance(v, int) else v)
        for k, v in view.metrics.items()
    ]
    return f"<div><div><b>metrics so far</b></div>{table(rows, ['metric', 'value'])}</div>"
