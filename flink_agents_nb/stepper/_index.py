"""Numpy indexes over one record frame's events and actions, built once for the stepper.

:class:`EventIndex` factorizes keys, event types, action names and event ids, links every
action to the event it handled and every event to its cause, and keeps running totals per
frame row. Everything the stepper asks (which events pass a filter, who handled this event,
what it caused, the metrics at that moment) is then a ``searchsorted`` or a mask: milliseconds
on a million events. Event indices count events only, in frame order; rows are frame rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.run._source import timestamps_ns
from flink_agents_runtime._errors import ArgumentValueError, NotFoundError


def isna(value: Any) -> bool:
    """``pd.isna`` for one cell; containers (a dict of attributes, a list) are never NA."""
    if isinstance(value, (list, dict, tuple, np.ndarray, Mapping)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


class EventIndex:
    """The precomputed indexes over ``frame`` (a record frame with a 0..n-1 index).

    Attributes:
        frame: the record frame.
        ev_rows / act_rows: frame rows of the events / actions, ascending.
        key_codes_all: factorized key per frame row (-1: no key); ``key_uniques`` its values.
        ev_key / ev_type: key code / event-type code per event.
        act_ev: event index each action handled (-1: unknown); ``act_name`` its name code.
        parent: event index of each event's cause (-1: none).
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        rtype = frame["record_type"].to_numpy()
        is_event = rtype == "event"
        # Ended action attempts; a trace log's ``start`` marks and its llm/tool ``call`` rows
        # are not action runs (they showed as extra "started ... nan" handlers and counts).
        is_action = rtype == "action"
        self.ev_rows = np.flatnonzero(is_event)
        self.act_rows = np.flatnonzero(is_action)
        n_ev = len(self.ev_rows)
        self.key_codes_all, self.key_uniques = pd.factorize(frame["key"], use_na_sentinel=True)
        self.ev_key = self.key_codes_all[self.ev_rows]
        etype = frame["event_type"].to_numpy()
        self.ev_type, self.type_uniques = pd.factorize(etype[self.ev_rows])
        # One id space for event ids, handled ids and upstream ids.
        ids = frame["event_id"].to_numpy()
        ups = frame["upstream_event_id"].to_numpy()
        all_ids = np.concatenate([ids[self.ev_rows], ids[self.act_rows], ups[self.ev_rows]])
        codes, uniques = pd.factorize(all_ids, use_na_sentinel=True)
        self.id_uniques = uniques
        ev_code = codes[:n_ev]
        act_code = codes[n_ev : n_ev + len(self.act_rows)]
        up_code = codes[n_ev + len(self.act_rows) :]
        id2ev = np.full(len(uniques) + 1, -1, dtype=np.int64)  # last slot: missing (-1)
        id2ev[ev_code] = np.arange(n_ev)
        self.id2ev = id2ev
        self.act_ev = id2ev[act_code]
        self._act_order = np.argsort(self.act_ev, kind="stable")
        self._act_ev_sorted = self.act_ev[self._act_order]
        self.parent = id2ev[up_code]
        self._child_order = np.argsort(self.parent, kind="stable")
        self._parent_sorted = self.parent[self._child_order]
        act_names = frame["action"].to_numpy()[self.act_rows]
        self.act_name, self.action_uniques = pd.factorize(act_names)
        # Running totals by frame row, for "metrics at that moment".
        self._cum_events = np.cumsum(is_event)
        self._cum_actions = np.cumsum(is_action)
        self._cum_failed = np.cumsum(is_action & (frame["status"].to_numpy() == "failed"))
        self._cum_prompt = np.cumsum(frame["prompt_tokens"].fillna(0).to_numpy(dtype=np.int64))
        self._cum_completion = np.cumsum(
            frame["completion_tokens"].fillna(0).to_numpy(dtype=np.int64)
        )
        self._ts = timestamps_ns(frame)
        self._t0 = int(self._ts[self._ts != np.iinfo(np.int64).min].min()) if len(frame) else 0
        self._id_index: pd.Index | None = None

    @property
    def num_events(self) -> int:
        """How many event records the frame holds."""
        return len(self.ev_rows)

    # -- selections ----------------------------------------------------------------------
    def key_codes_for(self, keys: Iterable[Any]) -> list[int]:
        """Codes of the keys equal to one of ``keys`` (compared as values and as text)."""
        wanted = list(keys)
        text = {str(k) for k in wanted}
        return [i for i, k in enumerate(self.key_uniques) if k in wanted or str(k) in text]

    def mask(self, kind: str, values: list[Any]) -> np.ndarray:
        """A bool per event: its ``kind`` (``"key"``, ``"event_type"`` or ``"action"``, an
        action that handled it) is one of ``values``. Raises :class:`ArgumentValueError` for
        another kind."""
        if kind == "key":
            return np.isin(self.ev_key, self.key_codes_for(values))
        if kind == "event_type":
            codes = [i for i, t in enumerate(self.type_uniques) if t in values]
            return np.isin(self.ev_type, codes)
        if kind == "action":
            codes = [i for i, a in enumerate(self.action_uniques) if a in values]
            handled = self.act_ev[np.isin(self.act_name, codes)]
            mask = np.zeros(len(self.ev_rows), dtype=bool)
            mask[handled[handled >= 0]] = True
            return mask
        raise ArgumentValueError(f"unknown filter or breakpoint kind {kind!r}")

    def events_of(self, kind: str, value: Any) -> np.ndarray:
        """Event indices (ascending) of key ``value`` (``kind="key"``) or of input sequence
        number ``value`` (``kind="input_seq"``)."""
        if kind == "key":
            return np.flatnonzero(self.mask("key", [value]))
        seqs = self.frame["input_seq"].to_numpy()[self.ev_rows]
        same = pd.array(seqs, dtype="Int64") == int(value)
        return np.flatnonzero(same.to_numpy(dtype=bool, na_value=False))

    def elapsed_ms(self, event_index: int) -> float | None:
        """Milliseconds from the source's first record to this event (``None``: no time)."""
        ts = int(self._ts[int(self.ev_rows[event_index])])
        if ts == np.iinfo(np.int64).min:
            return None
        return (ts - self._t0) / 1e6

    def event_of_id(self, event_id: str, where: str) -> int:
        """The event index of ``event_id``; :class:`NotFoundError` naming ``where`` when none."""
        if self._id_index is None:
            self._id_index = pd.Index(self.id_uniques)
        try:
            code = self._id_index.get_loc(event_id)
        except KeyError:
            raise NotFoundError(f"no event with id {event_id!r} in {where}") from None
        index = int(self.id2ev[code]) if isinstance(code, int) else -1
        if index < 0:
            raise NotFoundError(f"id {event_id!r} names no event record in {where}")
        return index

    # -- per event -----------------------------------------------------------------------
    def record(self, event_index: int) -> dict[str, Any]:
        """The event's frame row as a dict (NA cells as ``None``)."""
        row = self.frame.iloc[int(self.ev_rows[event_index])]
        return {k: (None if isna(v) else v) for k, v in row.items()}

    def handler_rows(self, event_index: int) -> list[int]:
        """Frame rows of the action attempts that handled the event, ascending."""
        lo = np.searchsorted(self._act_ev_sorted, event_index, "left")
        hi = np.searchsorted(self._act_ev_sorted, event_index, "right")
        return sorted(int(self.act_rows[i]) for i in self._act_order[lo:hi])

    def children(self, event_index: int) -> list[int]:
        """Event indices of the events the event's handlers sent, ascending."""
        lo = np.searchsorted(self._parent_sorted, event_index, "left")
        hi = np.searchsorted(self._parent_sorted, event_index, "right")
        return sorted(int(c) for c in self._child_order[lo:hi])

    def brief(self, event_index: int) -> dict[str, Any]:
        """``{"event_id", "event_type", "action"}`` (``action``: the handler that sent it)."""
        row = int(self.ev_rows[event_index])
        f = self.frame
        upstream = f.at[row, "upstream_action"]
        return {
            "event_id": f.at[row, "event_id"],
            "event_type": f.at[row, "event_type"],
            "action": None if isna(upstream) else upstream,
        }

    def metrics_at(self, row: int) -> dict[str, Any]:
        """Totals over frame rows ``0..row``: events, actions, failed actions, tokens, and
        ``elapsed_s`` from the first record to row ``row``."""
        ts = int(self._ts[row])
        return {
            "events": int(self._cum_events[row]),
            "actions": int(self._cum_actions[row]),
            "failed_actions": int(self._cum_failed[row]),
            "prompt_tokens": int(self._cum_prompt[row]),
            "completion_tokens": int(self._cum_completion[row]),
            "elapsed_s": max(0.0, (ts - self._t0) / 1e9),
        }
