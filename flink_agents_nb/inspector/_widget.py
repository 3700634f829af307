"""The inspector's ipywidgets view: a thin layer over the :class:`~flink_agents_nb.Inspector`
model (filters, paging, selection live there); the model creates it (``.widget()``), so the
widget knows the model through the :class:`InspectorModel` protocol.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import pandas as pd

from flink_agents_nb._html import STYLE, json_block, table
from flink_agents_runtime._display import DisplayMixin

#: Columns of the table (the detail pane shows the whole record).
TABLE_COLUMNS = (
    "seq",
    "record_type",
    "key",
    "event_type",
    "action",
    "duration_ms",
    "status",
    "attributes",
)


class InspectorModel(Protocol):
    """What the widget uses of :class:`~flink_agents_nb.Inspector`."""

    name: str
    frame: pd.DataFrame
    span_s: float
    page: int
    selected: int | None
    t: np.ndarray

    @property
    def total(self) -> int: ...
    @property
    def pages(self) -> int: ...
    def filter(
        self,
        *,
        event_type: Any = None,
        key: Any = None,
        action: Any = None,
        time_range: tuple[float, float] | None = None,
        text: str | None = None,
    ) -> Any: ...
    def goto_page(self, page: int) -> None: ...
    def page_rows(self) -> pd.DataFrame: ...
    def select(self, row: int | None) -> None: ...
    def detail(self) -> dict[str, Any] | None: ...


def render_page(model: InspectorModel) -> str:
    """The current page as an escaped HTML table with a header line."""
    rows = model.page_rows()
    records = [
        {
            c: (None if not isinstance(v, (dict, list)) and pd.isna(v) else v)
            for c, v in zip(TABLE_COLUMNS, (r[c] for c in TABLE_COLUMNS), strict=True)
        }
        for _, r in rows.iterrows()
    ]
    head = (
        f"<div>{model.total:,} of {len(model.frame):,} records; page {model.page + 1} / "
        f"{model.pages}</div>"
    )
    return head + table(records, TABLE_COLUMNS)


def render_detail(model: InspectorModel) -> str:
    """The selected record: fields and collapsible attributes, escaped."""
    rec = model.detail()
    if rec is None:
        return "<i class='fanb-muted'>select a row</i>"
    attrs = rec.pop("attributes", None)
    fields = [(k, v) for k, v in rec.items() if v is not None]
    return table(fields, ["field", "value"]) + json_block(attrs, "attributes")


class InspectorWidget(DisplayMixin):
    """The inspector widget. Attributes: ``model``, ``box`` (display it), the controls
    (``type_filter``, ``key_filter``, ``action_filter``, ``time_filter``, ``search``,
    ``prev_page``, ``next_page``, ``row_choice``, ``open_stepper``), the panes (``table``,
    ``detail``, ``stepper_area``) and ``stepper`` once opened."""

    def __init__(self, model: InspectorModel) -> None:
        import ipywidgets as w

        self.model = model
        self.stepper: Any = None
        f = model.frame
        self._syncing = False

        def opts(col: str) -> list[tuple[str, Any]]:
            values = pd.unique(f[col].dropna())
            return [("(all)", "")] + [(str(v), v) for v in values[:500]]

        self.type_filter = w.Dropdown(options=opts("event_type"), description="event type")
        self.key_filter = w.Text(description="key", placeholder="any key", continuous_update=False)
        self.action_filter = w.Dropdown(options=opts("action"), description="action")
        self.time_filter = w.FloatRangeSlider(
            min=0.0,
            max=max(model.span_s, 1e-6),
            value=(0.0, max(model.span_s, 1e-6)),
            step=max(model.span_s, 1e-6) / 200,
            description="time (s)",
            readout_format=".3f",
            continuous_update=False,
        )
        self.search = w.Text(
            description="search", placeholder="text in attributes", continuous_update=False
        )
        self.prev_page = w.Button(description="◀ page", layout=w.Layout(width="auto"))
        self.next_page = w.Button(description="page ▶", layout=w.Layout(width="auto"))
        self.row_choice = w.Dropdown(description="row", options=[])
        self.open_stepper = w.Button(description="open stepper here", layout=w.Layout(width="auto"))
        self.table = w.HTML()
        self.detail = w.HTML()
        self.stepper_area = w.Output()
        for c in (
            self.type_filter,
            self.key_filter,
            self.action_filter,
            self.time_filter,
            self.search,
        ):
            c.observe(self._on_filter, names="value")
        self.prev_page.on_click(lambda _b: self._page(-1))
        self.next_page.on_click(lambda _b: self._page(+1))
        self.row_choice.observe(self._on_row, names="value")
        self.open_stepper.on_click(lambda _b: self.open_stepper_at_selection())
        self.box = w.VBox(
            [
                w.HTML(STYLE),
                w.HBox([self.type_filter, self.key_filter, self.action_filter]),
                w.HBox([self.time_filter, self.search]),
                w.HBox([self.prev_page, self.next_page, self.row_choice, self.open_stepper]),
                self.table,
                self.detail,
                self.stepper_area,
            ]
        )
        self.refresh()

    def _on_filter(self, _change: Any) -> None:
        m = self.model
        lo, hi = self.time_filter.value
        full = lo <= 0.0 and hi >= self.time_filter.max
        m.filter(
            event_type=self.type_filter.value or None,
            key=self.key_filter.value.strip() or None,
            action=self.action_filter.value or None,
            time_range=None if full else (lo, hi),
            text=self.search.value or None,
        )
        self.refresh()

    def _page(self, delta: int) -> None:
        self.model.goto_page(self.model.page + delta)
        self.refresh()

    def _on_row(self, change: Any) -> None:
        if not self._syncing:
            self.model.select(change["new"])
            self.detail.value = render_detail(self.model)

    def refresh(self) -> None:
        """Re-render the table, row choices and detail from the model."""
        m = self.model
        rows = m.page_rows()
        self._syncing = True
        try:
            self.row_choice.options = [
                (
                    f"#{int(r['seq']) if pd.notna(r['seq']) else i} {r['record_type']} "
                    f"{r['event_type'] if r['record_type'] == 'event' else r['action']}",
                    i,
                )
                for i, r in rows.iterrows()
            ]
            if m.selected not in rows.index:
                m.select(int(rows.index[0]) if len(rows) else None)
            self.row_choice.value = m.selected
        finally:
            self._syncing = False
        self.table.value = render_page(m)
        self.detail.value = render_detail(m)

    def open_stepper_at_selection(self) -> Any:
        """Open a stepper over the same source at the selected record's event (for an action
        row: the event it handled); shows it below and returns it."""
        from flink_agents_nb.stepper._stepper import Stepper

        rec = self.model.detail()
        if rec is None:
            return None
        if self.stepper is None:
            self.stepper = Stepper(self.model.frame)
        self.stepper.goto_event(rec["event_id"])
        self.stepper_area.clear_output()
        self.stepper_area.append_display_data(self.stepper.widget().box)
        return self.stepper

    def __repr__(self) -> str:
        return repr(self.model)

    def _mimebundle(self) -> dict[str, Any]:
        bundle = dict(self.box._repr_mimebundle_() or {})
        bundle["text/plain"] = repr(self)
        return bundle


__all__ = ["InspectorWidget", "render_detail", "render_page"]
