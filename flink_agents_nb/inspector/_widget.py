"""The inspector's ipywidgets view: a thin layer over the :class:`~flink_agents_nb.Inspector`
model (filters, paging, selection live there); the model creates it (``.widget()``), so the
widget knows the model through the :class:`InspectorModel` protocol.

The page is a list of rows you click to select (a monospace listbox under a column header),
the time filter reads out its whole range in ms beside the slider, and the detail pane shows
the record's fields and its attributes as collapsible JSON (:func:`json_tree`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
import pandas as pd

from flink_agents_nb._html import STYLE, esc, table
from flink_agents_runtime._display import DisplayMixin, short

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
#: Width (characters) of each column in the clickable rows.
WIDTHS = {
    "seq": 6,
    "record_type": 7,
    "key": 10,
    "event_type": 22,
    "action": 18,
    "duration_ms": 11,
    "status": 8,
}
#: Longest attributes text in a row: the rows fit a notebook's ~950 px output area (the
#: list box cuts what overflows without a mark); the details below show them whole.
ATTRIBUTE_CHARS = 48
ROW_STYLE = """<style>
.fanb-rows select{font-family:monospace;font-size:12px}
.fanb-rows-head{font-family:monospace;font-size:12px;white-space:pre;font-weight:600;
 padding:0 4px;overflow:hidden}
.fanb-tree details{margin-left:14px}.fanb-tree summary{cursor:pointer}
.fanb-tree{font-family:monospace;font-size:12px}.fanb-tree .fanb-k{color:#0550ae}
</style>"""


def _cell(value: Any, width: int | None) -> str:
    if value is None or (not isinstance(value, (dict, list)) and pd.isna(value)):
        text = ""
    elif isinstance(value, float):
        text = f"{value:,.3f}"
    else:
        text = short(value, 400, quote=not isinstance(value, str))
    if width is None:
        return text if len(text) <= ATTRIBUTE_CHARS else text[: ATTRIBUTE_CHARS - 1] + "…"
    return (text if len(text) <= width - 1 else text[: width - 2] + "…").ljust(width)


def row_line(row: Any) -> str:
    """One clickable row: the table columns padded to :data:`WIDTHS` (plain text; the
    listbox shows it as text), with non-breaking spaces so the browser keeps the columns."""
    return "".join(_cell(row[c], WIDTHS.get(c)) for c in TABLE_COLUMNS).replace(" ", "\u00a0")


#: Column names as the header shows them (short enough for their widths).
HEADERS = {"record_type": "record", "duration_ms": "took (ms)"}


def header_line() -> str:
    """The column names, padded like :func:`row_line`."""
    return "".join(
        HEADERS.get(c, c).ljust(WIDTHS[c]) if c in WIDTHS else HEADERS.get(c, c)
        for c in TABLE_COLUMNS
    ).replace(" ", "\u00a0")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def json_tree(value: Any, name: str = "attributes", depth: int = 0, open_depth: int = 1) -> str:
    """``value`` as collapsible, escaped HTML: every dict and list is a ``<details>`` (open
    down to ``open_depth``) whose summary gives its key and size; leaves show as JSON."""
    label = f"<span class='fanb-k'>{esc(name)}</span>"
    if isinstance(value, Mapping) and value:
        inner = "".join(json_tree(v, str(k), depth + 1, open_depth) for k, v in value.items())
        size = f"{{{_count(len(value), 'key')}}}"
    elif isinstance(value, list) and value:
        inner = "".join(json_tree(v, f"[{i}]", depth + 1, open_depth) for i, v in enumerate(value))
        size = f"[{_count(len(value), 'item')}]"
    else:
        return f"<div>{label}: {esc(short(value, 100_000))}</div>"
    opened = " open" if depth < open_depth else ""
    body = f"<details{opened}><summary>{label} {esc(size)}</summary>{inner}</details>"
    return f"<div class='fanb-tree'>{body}</div>" if depth == 0 else body


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
    """The line above the rows: how many records pass, the page, and the column header
    (escaped)."""
    return (
        f"<div>{model.total:,} of {len(model.frame):,} records; page {model.page + 1} / "
        f"{model.pages}; click a row for its details</div>"
        f"<div class='fanb-rows-head'>{esc(header_line())}</div>"
    )


def render_detail(model: InspectorModel) -> str:
    """The selected record: fields and collapsible attributes, escaped."""
    rec = model.detail()
    if rec is None:
        return "<i class='fanb-muted'>select a row</i>"
    attrs = rec.pop("attributes", None)
    fields = [
        (k, v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in rec.items()
        if v is not None
    ]
    return table(fields, ["field", "value"]) + json_tree(attrs)


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
            description="time",
            readout=False,  # its fixed-width readout cut the numbers: see time_label
            continuous_update=False,
        )
        self.time_label = w.HTML()
        self.search = w.Text(
            description="search", placeholder="text in attributes", continuous_update=False
        )
        self.prev_page = w.Button(description="◀ page", layout=w.Layout(width="auto"))
        self.next_page = w.Button(description="page ▶", layout=w.Layout(width="auto"))
        self.row_choice = w.Select(
            options=[],
            rows=min(25, max(getattr(model, "page_size", 25), 1)),
            layout=w.Layout(width="99%"),  # 100% plus its border overflowed the output area
        )
        self.row_choice.add_class("fanb-rows")
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
                w.HTML(STYLE + ROW_STYLE),
                w.HBox([self.type_filter, self.key_filter, self.action_filter]),
                w.HBox([self.time_filter, self.time_label, self.search]),
                w.HBox([self.prev_page, self.next_page, self.open_stepper]),
                self.table,
                self.row_choice,
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
            self.row_choice.options = [(row_line(r), i) for i, r in rows.iterrows()]
            if m.selected not in rows.index:
                m.select(int(rows.index[0]) if len(rows) else None)
            self.row_choice.value = m.selected
        finally:
            self._syncing = False
        self.table.value = render_page(m)
        self.detail.value = render_detail(m)
        lo, hi = self.time_filter.value
        self.time_label.value = (
            f"<span>+{lo * 1000:,.3f} ms … +{hi * 1000:,.3f} ms "
            f"<span class='fanb-muted'>(run: {m.span_s * 1000:,.3f} ms)</span></span>"
        )

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


__all__ = ["InspectorWidget", "json_tree", "render_detail", "render_page", "row_line"]
