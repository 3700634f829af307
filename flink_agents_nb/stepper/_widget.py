"""The stepper's ipywidgets view: a thin layer over :class:`~flink_agents_nb.Stepper`.

All state (cursor, filters, breakpoints) lives in the model; the widget only forwards clicks
and re-renders its HTML panes from :meth:`Stepper.view` after every change. One widget per
stepper, so displaying it again shows the same position and filters.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

import ipywidgets as w

from flink_agents_nb._html import STYLE, esc, json_block
from flink_agents_nb.stepper._breakpoints import Breakpoint
from flink_agents_nb.stepper._render import (
    render_actions,
    render_header,
    render_memory,
    render_metrics,
)
from flink_agents_nb.stepper._view import StepView

logger = logging.getLogger(__name__)

ALL = "(all)"
#: More distinct keys than this: the key filter is a text box instead of a dropdown.
MAX_KEY_OPTIONS = 200
#: At most this many caused events get a lineage button.
MAX_LINEAGE_BUTTONS = 20


class StepperModel(Protocol):
    """What the widget uses of its model (:class:`~flink_agents_nb.Stepper`); the model
    creates its widget, so the widget knows it only through this protocol."""

    breakpoints: list[Breakpoint]
    filters: dict[str, list[Any] | None]
    stopped_at: Breakpoint | None
    ran_off: bool

    @property
    def keys(self) -> list[Any]: ...
    @property
    def event_types(self) -> list[str]: ...
    @property
    def actions(self) -> list[str]: ...
    @property
    def position(self) -> int: ...
    @property
    def total(self) -> int: ...
    def on_change(self, callback: Callable[[], None]) -> None: ...
    def filter(self, *, key: Any = None, event_type: Any = None, action: Any = None) -> Any: ...
    def next(self, n: int = 1) -> dict[str, Any] | None: ...
    def prev(self, n: int = 1) -> dict[str, Any] | None: ...
    def first(self) -> dict[str, Any] | None: ...
    def last(self) -> dict[str, Any] | None: ...
    def jump(self, position: int) -> dict[str, Any] | None: ...
    def goto_event(self, event_id: str) -> dict[str, Any] | None: ...
    def goto(self, target: Any) -> dict[str, Any] | None: ...
    def elapsed_ms(self) -> float | None: ...
    def add_breakpoint(
        self,
        *,
        event_type: str | None = None,
        action: str | None = None,
        key: Any = None,
        predicate: Any = None,
    ) -> Breakpoint: ...
    def clear_breakpoints(self) -> None: ...
    def run_to(self, *bps: Breakpoint, backward: bool = False) -> Breakpoint | None: ...
    def view(self) -> StepView | None: ...
    def fork(self, **edits: Any) -> Any: ...


def _options(values: list[Any]) -> list[tuple[str, Any]]:
    # "" (not None) stands for "any": a Dropdown whose value is None shows no selection.
    return [(ALL, "")] + [(str(v), v) for v in values]


def _value(control: Any) -> Any:
    value = control.value
    if isinstance(value, str):
        value = value.strip()
    return None if value == "" else value


class StepperWidget:
    """Buttons, a slider, filter dropdowns, breakpoints and HTML panes over a stepper.

    Attributes:
        box: the top-level widget (display this).
        header, attributes, actions_pane, memory_pane, metrics_pane: the HTML panes.
        next_button, prev_button, first_button, last_button, run_button, back_button: moves.
        slider: the position among visible events, from 1 (as in the header).
        key_filter, type_filter, action_filter: filters.
        bp_choice, bp_add, bp_clear, bp_label: breakpoints.
        lineage: buttons to the cause and the caused events.
    """

    def __init__(self, stepper: StepperModel) -> None:
        self.stepper = stepper
        self._syncing = False
        s = stepper

        def button(label: str, tip: str, fn: Any) -> w.Button:
            b = w.Button(description=label, tooltip=tip, layout=w.Layout(width="auto"))
            b.on_click(lambda _b: fn())
            return b

        self.first_button = button("first", "first event", s.first)
        self.prev_button = button("◀ prev", "previous event", s.prev)
        self.next_button = button("next ▶", "next event", s.next)
        self.last_button = button("last", "last event", s.last)
        self.back_button = button("◀◀ run back", "back to the previous breakpoint", self._back)
        self.run_button = button("run to ▶▶", "on to the next breakpoint", self._run)
        self.fork_button = button("fork here", "re-run from this event (fork_options)", self._fork)
        self.fork_label = w.HTML()
        # The slider counts from 1, like the header ("event 3 / 9"): value = position + 1.
        self.slider = w.IntSlider(
            min=1,
            max=max(s.total, 1),
            value=s.position + 1 if s.total else 1,
            description="event",
            continuous_update=False,
            layout=w.Layout(width="420px"),
        )
        # Play drives the model through Python (no jslink: on display a jslink copies the
        # play widget's stale value onto the slider and moves the cursor back to event 1).
        self.play = w.Play(
            min=1, max=max(s.total, 1), value=self.slider.value, interval=400, description="play"
        )
        self.play.observe(self._on_slider, names="value")
        self.slider.observe(self._on_slider, names="value")
        self.goto_box = w.Text(
            description="go to",
            placeholder="key, or #N for input N",
            continuous_update=False,
            layout=w.Layout(width="260px"),
        )
        self.goto_box.observe(self._on_goto, names="value")
        self.goto_label = w.HTML()
        self.internals = w.Checkbox(
            value=False,
            description="show internals (_…)",
            indent=False,
            layout=w.Layout(width="auto"),
        )
        self.internals.observe(lambda _c: self.refresh(), names="value")
        key_values = s.keys
        if len(key_values) <= MAX_KEY_OPTIONS:
            self.key_filter: Any = w.Dropdown(options=_options(key_values), description="key")
        else:
            self.key_filter = w.Text(description="key", placeholder="any key")
        self.type_filter = w.Dropdown(options=_options(s.event_types), description="event type")
        self.action_filter = w.Dropdown(options=_options(s.actions), description="action")
        self._restore_filters()
        for control in (self.key_filter, self.type_filter, self.action_filter):
            control.observe(self._on_filter, names="value")
        bp_options: list[tuple[str, tuple[str, str] | None]] = [
            (f"event type {t}", ("event_type", t)) for t in s.event_types
        ]
        bp_options += [(f"action {a}", ("action", a)) for a in s.actions]
        self.bp_choice = w.Dropdown(
            options=bp_options or [("(none)", None)], description="break at"
        )
        self.bp_add = button("add", "add this breakpoint", self._add_bp)
        self.bp_clear = button("clear", "remove every breakpoint", self._clear_bps)
        self.bp_label = w.HTML()
        self.header = w.HTML()
        self.attributes = w.HTML()
        self.actions_pane = w.HTML()
        self.lineage = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.memory_pane = w.HTML()
        self.metrics_pane = w.HTML()
        self.box = w.VBox(
            [
                w.HTML(STYLE),
                w.HBox(
                    [
                        self.first_button,
                        self.prev_button,
                        self.next_button,
                        self.last_button,
                        self.back_button,
                        self.run_button,
                        self.fork_button,
                        self.fork_label,
                    ]
                ),
                w.HBox([self.play, self.slider, self.goto_box, self.goto_label]),
                w.HBox([self.key_filter, self.type_filter, self.action_filter]),
                w.HBox([self.bp_choice, self.bp_add, self.bp_clear, self.bp_label]),
                self.header,
                self.attributes,
                self.actions_pane,
                self.lineage,
                self.internals,
                w.HBox(
                    [self.memory_pane, self.metrics_pane],
                    layout=w.Layout(grid_gap="32px", align_items="flex-start"),
                ),
            ]
        )
        s.on_change(self.refresh)
        self.refresh()

    # -- callbacks ---------------------------------------------------------------------
    def _run(self) -> None:
        self.stepper.run_to()

    def _fork(self) -> None:
        from flink_agents_nb.stepper._forking import fork_summary

        try:
            text = fork_summary(self.stepper.fork())
        except Exception as exc:  # shown, not raised: a button callback has no caller
            self.fork_label.value = f"<span class='fanb-bad'>{esc(exc)}</span>"
            return
        self.fork_label.value = f"<span>{esc(text)} (stepper.forks[-1])</span>"

    def _back(self) -> None:
        self.stepper.run_to(backward=True)

    def _add_bp(self) -> None:
        choice = self.bp_choice.value
        if choice is not None:
            kind, value = choice
            self.stepper.add_breakpoint(**{kind: value})

    def _clear_bps(self) -> None:
        self.stepper.clear_breakpoints()

    def _bp_text(self) -> str:
        """Where the last run-to stopped (until the next move) and the model's breakpoints."""
        s = self.stepper
        if s.stopped_at is not None:
            where = f"<span>stopped at {esc(s.stopped_at.describe())}</span>"
        elif s.ran_off:
            where = "<span class='fanb-muted'>no breakpoint hit</span>"
        else:
            where = ""
        bps = s.breakpoints
        if not bps:
            return where + " <span class='fanb-muted'>no breakpoints</span>"
        return where + " breakpoints: " + ", ".join(esc(bp.describe()) for bp in bps)

    def _on_slider(self, change: dict[str, Any]) -> None:
        if not self._syncing and self.stepper.total:
            self.stepper.jump(min(int(change["new"]), self.stepper.total) - 1)

    def _on_goto(self, change: dict[str, Any]) -> None:
        text = str(change["new"]).strip()
        if self._syncing or not text:
            return
        try:
            self.stepper.goto(text)
        except KeyError as err:
            self.goto_label.value = f"<span class='fanb-bad'>{esc(err.args[0])}</span>"
        else:
            self.goto_label.value = ""

    def _on_filter(self, _change: dict[str, Any]) -> None:
        if self._syncing:
            return
        self.stepper.filter(
            key=_value(self.key_filter),
            event_type=_value(self.type_filter),
            action=_value(self.action_filter),
        )

    def _restore_filters(self) -> None:
        f = self.stepper.filters
        for control, kind in (
            (self.key_filter, "key"),
            (self.type_filter, "event_type"),
            (self.action_filter, "action"),
        ):
            values = f.get(kind)
            value = values[0] if values else ""
            if isinstance(control, w.Text):
                control.value = str(value)
            elif value in [v for _, v in control.options]:
                control.value = value

    # -- rendering ---------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-render every pane from the model (called after each change)."""
        s = self.stepper
        self._syncing = True
        try:
            self._restore_filters()
            self.slider.max = self.play.max = max(s.total, 1)
            self.slider.value = self.play.value = s.position + 1 if s.total else 1
            self.slider.disabled = s.total == 0
        finally:
            self._syncing = False
        self.bp_label.value = self._bp_text()
        view = s.view()
        if view is None:
            self.header.value = "<b>no event matches the filters</b>"
            for pane in (self.attributes, self.actions_pane, self.memory_pane, self.metrics_pane):
                pane.value = ""
            self.lineage.children = ()
            return
        self.header.value = render_header(view, s.elapsed_ms())
        self.attributes.value = json_block(view.record.get("attributes"), "attributes")
        self.actions_pane.value = render_actions(view)
        self.lineage.children = self._lineage_buttons(view)
        self.memory_pane.value = render_memory(view, internals=self.internals.value)
        self.metrics_pane.value = render_metrics(view)

    def _lineage_buttons(self, view: StepView) -> tuple[w.Widget, ...]:
        out: list[w.Widget] = []

        def go(event_id: str) -> Any:
            return lambda _b: self.stepper.goto_event(event_id)

        if view.cause is not None:
            b = w.Button(
                description=f"⬑ caused by {view.cause['event_type']}",
                tooltip=f"sent by {view.cause['action']}",
                layout=w.Layout(width="auto"),
            )
            b.on_click(go(view.cause["event_id"]))
            out.append(b)
        for child in view.caused[:MAX_LINEAGE_BUTTONS]:
            b = w.Button(
                description=f"→ {child['event_type']}",
                tooltip=f"sent by {child['action']}",
                layout=w.Layout(width="auto"),
            )
            b.on_click(go(child["event_id"]))
            out.append(b)
        return tuple(out)
