"""``fa.inspect(path_or_run)``: a paged, filterable table of records with a detail pane.

:class:`Inspector` is the model, plain Python over a record frame (filters: event type, key,
action, time range in seconds since the first record, case-insensitive text search in
attributes and errors; paging; selection); :meth:`Inspector.widget` gives its thin ipywidgets
view (``inspector._widget``), as :class:`~flink_agents_nb.Stepper` does. A row's "open stepper
here" button opens a stepper at its event.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.run._source import record_frame_of, source_name, timestamps_ns
from flink_agents_runtime._display import DisplayMixin
from flink_agents_runtime._errors import NotFoundError

logger = logging.getLogger(__name__)


class Inspector(DisplayMixin):
    """Filters, paging and selection over the records of ``source`` (the inspector model;
    display it, or its :meth:`widget`, for the table).

    Attributes:
        frame: the whole record frame; ``page_size``: rows per page; ``page``: from 0.
    """

    def __init__(self, source: Any, page_size: int = 25) -> None:
        if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
            from flink_agents_nb.eventlog._reader import read_event_log

            source = read_event_log(source)
        self.source = source
        self.name = source_name(source)
        self.frame = record_frame_of(source).reset_index(drop=True)
        self.page_size = page_size
        self.page = 0
        self.selected: int | None = None  # a frame row
        ts = timestamps_ns(self.frame)
        valid = ts != np.iinfo(np.int64).min
        t0 = ts[valid].min() if valid.any() else 0
        self.t = np.where(valid, (ts - t0) / 1e9, np.nan)
        self.span_s = float(np.nanmax(self.t)) if valid.any() else 0.0
        self._text: np.ndarray | None = None
        self.filters: dict[str, Any] = {}
        self._rows = np.arange(len(self.frame))

    def _search_text(self) -> np.ndarray:
        if self._text is None:
            from flink_agents_nb._html import to_json

            attrs = self.frame["attributes"].to_numpy()
            errors = self.frame["error"].to_numpy()
            self._text = np.array(
                [
                    (to_json(a, None) + (" " + str(e) if isinstance(e, str) else "")).lower()
                    for a, e in zip(attrs, errors, strict=True)
                ],
                dtype=object,
            )
        return self._text

    def filter(
        self,
        *,
        event_type: Any = None,
        key: Any = None,
        action: Any = None,
        time_range: tuple[float, float] | None = None,
        text: str | None = None,
    ) -> Inspector:
        """Keep rows matching every given filter (``None``: any); back to page 0.

        ``time_range``: ``(from_s, to_s)`` seconds since the first record, inclusive.
        ``text``: case-insensitive substring of the attributes' JSON or the error.
        """
        f = self.frame
        mask = np.ones(len(f), dtype=bool)
        if event_type is not None:
            mask &= (f["event_type"] == event_type).to_numpy()
        if key is not None:
            keys = f["key"]
            mask &= ((keys == key) | (keys.astype(str) == str(key))).to_numpy()
        if action is not None:
            mask &= (f["action"] == action).to_numpy()
        if time_range is not None:
            lo, hi = time_range
            with np.errstate(invalid="ignore"):
                mask &= (self.t >= lo) & (self.t <= hi)
        if text:
            needle = text.lower()
            hay = self._search_text()
            mask &= np.fromiter((needle in s for s in hay), bool, len(hay))
        self.filters = {
            "event_type": event_type,
            "key": key,
            "action": action,
            "time_range": time_range,
            "text": text,
        }
        self._rows = np.flatnonzero(mask)
        self.page = 0
        return self

    @property
    def total(self) -> int:
        """Rows that pass the filters."""
        return len(self._rows)

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.page_size))

    def goto_page(self, page: int) -> None:
        """Show page ``page`` (clamped to the valid range)."""
        self.page = min(max(page, 0), self.pages - 1)

    def page_rows(self) -> pd.DataFrame:
        """The current page's records (frame index kept)."""
        start = self.page * self.page_size
        return self.frame.iloc[self._rows[start : start + self.page_size]]

    def select(self, row: int | None) -> None:
        """Select frame row ``row`` for the detail pane."""
        if row is not None and not 0 <= row < len(self.frame):
            raise NotFoundError(f"row {row} is outside 0..{len(self.frame) - 1}")
        self.selected = row

    def detail(self) -> dict[str, Any] | None:
        """The selected record as a dict, or ``None``."""
        if self.selected is None:
            return None
        rec = self.frame.iloc[self.selected].to_dict()
        return {
            k: (None if not isinstance(v, (dict, list)) and pd.isna(v) else v)
            for k, v in rec.items()
        }

    # -- display -----------------------------------------------------------------------
    def widget(self) -> Any:
        """The ipywidgets view of this inspector (one per model: state survives redisplay)."""
        from flink_agents_nb.inspector._widget import InspectorWidget

        if self.__dict__.get("_widget") is None:
            self.__dict__["_widget"] = InspectorWidget(self)
        return self.__dict__["_widget"]

    def __repr__(self) -> str:
        return f"<Inspector over {self.name}: {self.total:,} records>"

    def _mimebundle(self) -> dict[str, Any]:
        return self.widget()._mimebundle()


def inspect(source: Any, page_size: int = 25) -> Any:
    """The inspector widget over a ``Run``, an ``EventLog``, a record frame or an event-log
    path (``Inspector(source, page_size).widget()``; its ``model`` is the :class:`Inspector`).
    """
    return Inspector(source, page_size).widget()


__all__ = ["Inspector", "inspect"]
