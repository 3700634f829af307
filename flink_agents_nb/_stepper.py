"""The stepper model: a debugger cursor over a run's events (plain Python, no widgets).

:class:`Stepper` steps through the *event* rows of a record frame (a ``Run``'s ``.records`` or
an event log's ``.frame``) in frame order. It keeps a cursor (an event index), filters (key,
event type, handling action), breakpoints (event type, action, key or a predicate), and derives
views of the current event (:meth:`Stepper.view`): its record, the actions that handled it and
their durations, its cause and the events it caused, the key's memory at that step and the
metrics at that moment. Everything indexable is precomputed with numpy at construction, so
moving and filtering cost milliseconds on a million events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb._memory_replay import MemoryChange, MemoryReplay
from flink_agents_nb._source import record_frame_of, source_name, timestamps_ns

logger = logging.getLogger(__name__)

Predicate = Callable[[dict[str, Any]], bool]


@dataclass(frozen=True)
class Breakpoint:
    """Stop at an event whose ``kind`` (``"event_type"``, ``"action"`` (handled by it),
    ``"key"`` or ``"predicate"`` (called with the event's record dict)) matches ``value``."""

    kind: str
    value: Any

    def describe(self) -> str:
        """A short label, e.g. ``event_type == 'chat_response'``."""
        if self.kind == "predicate":
            return f"predicate {getattr(self.value, '__name__', 'fn')}"
        return f"{self.kind} == {self.value!r}"


@dataclass
class StepView:
    """Everything the stepper shows for the current event.

    Attributes:
        position / total: index of the event among the visible ones (from 0), and their count.
        record: the event's row as a dict (``event_id``, ``event_type``, ``key``,
            ``attributes``, ``timestamp``, ...).
        actions: the action attempts that handled it: ``action``, ``status``, ``duration_ms``,
            ``attempt``, ``error``, ``sent_event_ids``.
        cause: the event whose handler sent this one: ``{"event_id", "event_type",
            "action"}`` (``action``: the handler that sent it), ``None`` for an input event.
        caused: the events its handlers sent: ``event_id``, ``event_type``, ``action``.
        short_term / sensory: the key's memory after this event's handlers ran.
        changes: what this step changed in memory.
        memory_recorded: whether the source recorded memory writes at all.
        metrics: totals up to this step: ``events``, ``actions``, ``failed_actions``,
            ``prompt_tokens``, ``completion_tokens``, ``elapsed_s`` (since the first record).
    """

    position: int
    total: int
    record: dict[str, Any]
    actions: list[dict[str, Any]]
    cause: dict[str, Any] | None
    caused: list[dict[str, Any]]
    short_term: dict[str, Any]
    sensory: dict[str, Any]
    changes: list[MemoryChange]
    memory_recorded: bool
    metrics: dict[str, Any] = field(default_factory=dict)


def _as_set(value: Any) -> list[Any] | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


class Stepper:
    """A cursor over the events of ``source`` (a ``Run``, an ``EventLog``, a record frame or
    an event-log path). Starts at the first event."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.name = source_name(source)
        frame = record_frame_of(source).reset_index(drop=True)
        self.frame = frame
        rtype = frame["record_type"].to_numpy()
        is_event = rtype == "event"
        self._ev_rows = np.flatnonzero(is_event)
        self._act_rows = np.flatnonzero(~is_event)
        n_ev = len(self._ev_rows)
        self._key_codes_all, self._key_uniques = pd.factorize(frame["key"], use_na_sentinel=True)
        self._ev_key = self._key_codes_all[self._ev_rows]
        etype = frame["event_type"].to_numpy()
        self._ev_type, self._type_uniques = pd.factorize(etype[self._ev_rows])
        # One id space for event ids, handled ids and upstream ids.
        ids = frame["event_id"].to_numpy()
        ups = frame["upstream_event_id"].to_numpy()
        all_ids = np.concatenate([ids[self._ev_rows], ids[self._act_rows], ups[self._ev_rows]])
        codes, uniques = pd.factorize(all_ids, use_na_sentinel=True)
        self._id_uniques = uniques
        ev_code = codes[:n_ev]
        act_code = codes[n_ev : n_ev + len(self._act_rows)]
        up_code = codes[n_ev + len(self._act_rows) :]
        id2ev = np.full(len(uniques) + 1, -1, dtype=np.int64)  # last slot: missing (-1)
        id2ev[ev_code] = np.arange(n_ev)
        self._id2ev = id2ev
        self._act_ev = id2ev[act_code]  # event index each action handled (-1: unknown)
        self._act_order = np.argsort(self._act_ev, kind="stable")
        self._act_ev_sorted = self._act_ev[self._act_order]
        self._parent = id2ev[up_code]  # event index of each event's cause (-1: none)
        self._child_order = np.argsort(self._parent, kind="stable")
        self._parent_sorted = self._parent[self._child_order]
        act_names = frame["action"].to_numpy()[self._act_rows]
        self._act_name, self._action_uniques = pd.factorize(act_names)
        # Running totals by frame row, for "metrics at that moment".
        is_action = ~is_event
        self._cum_events = np.cumsum(is_event)
        self._cum_actions = np.cumsum(is_action)
        self._cum_failed = np.cumsum(is_action & (frame["status"].to_numpy() == "failed"))
        self._cum_prompt = np.cumsum(frame["prompt_tokens"].fillna(0).to_numpy(dtype=np.int64))
        self._cum_completion = np.cumsum(
            frame["completion_tokens"].fillna(0).to_numpy(dtype=np.int64)
        )
        self._ts = timestamps_ns(frame)
        self._t0 = int(self._ts[self._ts != np.iinfo(np.int64).min].min()) if len(frame) else 0
        self._memory: MemoryReplay | None = None
        self._id_index: pd.Index | None = None
        self.breakpoints: list[Breakpoint] = []
        self.filters: dict[str, list[Any] | None] = {
            "key": None,
            "event_type": None,
            "action": None,
        }
        self._visible = np.arange(n_ev)
        self._pos = 0 if n_ev else -1
        self._listeners: list[Callable[[], None]] = []

    # -- facts -------------------------------------------------------------------------
    @property
    def num_events(self) -> int:
        """All events of the source, filters ignored."""
        return len(self._ev_rows)

    @property
    def keys(self) -> list[Any]:
        """Distinct keys, in order of first appearance."""
        return list(self._key_uniques)

    @property
    def event_types(self) -> list[str]:
        """Distinct event types, in order of first appearance."""
        return [str(t) for t in self._type_uniques]

    @property
    def actions(self) -> list[str]:
        """Distinct action names, in order of first appearance."""
        return [str(a) for a in self._action_uniques]

    @property
    def position(self) -> int:
        """Index of the current event among the visible ones (-1 when none is visible)."""
        if self._pos < 0 or not len(self._visible):
            return -1
        return int(np.searchsorted(self._visible, self._pos))

    @property
    def total(self) -> int:
        """How many events the filters let through."""
        return len(self._visible)

    @property
    def event_index(self) -> int:
        """Index of the current event among all events (-1 when there is none)."""
        return self._pos

    @property
    def current(self) -> dict[str, Any] | None:
        """The current event's record as a dict (``None`` when no event is visible)."""
        if self.position < 0:
            return None
        return self._record(self._pos)

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after every move or filter change (the widget listens)."""
        self._listeners.append(callback)

    def _changed(self) -> None:
        for callback in self._listeners:
            try:
                callback()
            except Exception:
                logger.exception("stepper listener %r failed", callback)

    # -- filters -----------------------------------------------------------------------
    def _key_codes_for(self, keys: Iterable[Any]) -> list[int]:
        wanted = list(keys)
        text = {str(k) for k in wanted}
        return [i for i, k in enumerate(self._key_uniques) if k in wanted or str(k) in text]

    def _mask(self, kind: str, values: list[Any]) -> np.ndarray:
        if kind == "key":
            return np.isin(self._ev_key, self._key_codes_for(values))
        if kind == "event_type":
            codes = [i for i, t in enumerate(self._type_uniques) if t in values]
            return np.isin(self._ev_type, codes)
        if kind == "action":
            codes = [i for i, a in enumerate(self._action_uniques) if a in values]
            handled = self._act_ev[np.isin(self._act_name, codes)]
            mask = np.zeros(len(self._ev_rows), dtype=bool)
            mask[handled[handled >= 0]] = True
            return mask
        raise ValueError(f"unknown filter or breakpoint kind {kind!r}")

    def filter(self, *, key: Any = None, event_type: Any = None, action: Any = None) -> Stepper:
        """Show only events of these keys, event types and handling actions (each ``None``:
        any; a value or a list of values). The cursor stays on the current event when it is
        still visible, else moves to the next visible one (or the last)."""
        self.filters = {
            "key": _as_set(key),
            "event_type": _as_set(event_type),
            "action": _as_set(action),
        }
        mask = np.ones(len(self._ev_rows), dtype=bool)
        for kind, values in self.filters.items():
            if values is not None:
                mask &= self._mask(kind, values)
        self._visible = np.flatnonzero(mask)
        if len(self._visible):
            k = min(int(np.searchsorted(self._visible, max(self._pos, 0))), len(self._visible) - 1)
            self._pos = int(self._visible[k])
        self._changed()
        return self

    def clear_filters(self) -> Stepper:
        """Show every event again."""
        return self.filter()

    # -- moving ------------------------------------------------------------------------
    def _move_to(self, event_index: int) -> None:
        self._pos = int(event_index)
        self._changed()

    def next(self, n: int = 1) -> dict[str, Any] | None:
        """Move ``n`` visible events forward (stops at the last); returns the current record."""
        if self.total:
            self.jump(min(self.position + n, self.total - 1))
        return self.current

    def prev(self, n: int = 1) -> dict[str, Any] | None:
        """Move ``n`` visible events back (stops at the first); returns the current record."""
        if self.total:
            self.jump(max(self.position - n, 0))
        return self.current

    def first(self) -> dict[str, Any] | None:
        """Move to the first visible event."""
        return self.jump(0)

    def last(self) -> dict[str, Any] | None:
        """Move to the last visible event."""
        return self.jump(self.total - 1)

    def jump(self, position: int) -> dict[str, Any] | None:
        """Move to visible event ``position`` (negative counts from the end)."""
        if not self.total:
            return None
        if position < 0:
            position += self.total
        if not 0 <= position < self.total:
            raise IndexError(f"position {position} is outside 0..{self.total - 1}")
        self._move_to(int(self._visible[position]))
        return self.current

    def goto_event(self, event_id: str) -> dict[str, Any] | None:
        """Move to the event with this id; clears the filters if they hide it."""
        if self._id_index is None:
            self._id_index = pd.Index(self._id_uniques)
        try:
            code = self._id_index.get_loc(event_id)
        except KeyError:
            raise KeyError(f"no event with id {event_id!r} in {self.name}") from None
        index = int(self._id2ev[code]) if isinstance(code, int) else -1
        if index < 0:
            raise KeyError(f"id {event_id!r} names no event record in {self.name}")
        if (
            not len(self._visible)
            or self._visible[min(np.searchsorted(self._visible, index), len(self._visible) - 1)]
            != index
        ):
            self.filters = {"key": None, "event_type": None, "action": None}
            self._visible = np.arange(len(self._ev_rows))
        self._move_to(index)
        return self.current

    # -- breakpoints -------------------------------------------------------------------
    def add_breakpoint(
        self,
        *,
        event_type: str | None = None,
        action: str | None = None,
        key: Any = None,
        predicate: Predicate | None = None,
    ) -> Breakpoint:
        """Add a breakpoint on exactly one of the arguments; returns it."""
        given = [
            (k, v)
            for k, v in (
                ("event_type", event_type),
                ("action", action),
                ("key", key),
                ("predicate", predicate),
            )
            if v is not None
        ]
        if len(given) != 1:
            raise ValueError("a breakpoint takes exactly one of event_type, action, key, predicate")
        bp = Breakpoint(*given[0])
        self.breakpoints.append(bp)
        return bp

    def remove_breakpoint(self, bp: Breakpoint) -> None:
        """Remove ``bp`` (no error when absent)."""
        if bp in self.breakpoints:
            self.breakpoints.remove(bp)

    def clear_breakpoints(self) -> None:
        """Remove every breakpoint."""
        self.breakpoints.clear()

    def run_to(self, *bps: Breakpoint, backward: bool = False) -> Breakpoint | None:
        """Move to the next visible event (previous with ``backward``) that hits one of
        ``bps`` (default: the stepper's breakpoints). Returns the breakpoint hit; when none
        is hit, moves to the last (first) visible event and returns ``None``."""
        bps = bps or tuple(self.breakpoints)
        if not self.total:
            return None
        here = self.position
        cand = self._visible[:here][::-1] if backward else self._visible[here + 1 :]
        best: tuple[int, Breakpoint] | None = None
        for bp in bps:
            if bp.kind == "predicate":
                for i, ev in enumerate(cand):
                    if best is not None and i >= best[0]:
                        break
                    if bp.value(self._record(int(ev))):
                        best = (i, bp)
                        break
                continue
            hits = np.flatnonzero(self._mask(bp.kind, [bp.value])[cand])
            if len(hits) and (best is None or hits[0] < best[0]):
                best = (int(hits[0]), bp)
        if best is None:
            self.jump(0 if backward else self.total - 1)
            return None
        self._move_to(int(cand[best[0]]))
        return best[1]

    # -- derived views -----------------------------------------------------------------
    def _record(self, event_index: int) -> dict[str, Any]:
        row = self.frame.iloc[int(self._ev_rows[event_index])]
        return {k: (None if _isna(v) else v) for k, v in row.items()}

    def _handler_rows(self, event_index: int) -> list[int]:
        lo = np.searchsorted(self._act_ev_sorted, event_index, "left")
        hi = np.searchsorted(self._act_ev_sorted, event_index, "right")
        return sorted(int(self._act_rows[i]) for i in self._act_order[lo:hi])

    def _brief(self, event_index: int) -> dict[str, Any]:
        row = int(self._ev_rows[event_index])
        f = self.frame
        return {
            "event_id": f.at[row, "event_id"],
            "event_type": f.at[row, "event_type"],
            "action": None if _isna(f.at[row, "upstream_action"]) else f.at[row, "upstream_action"],
        }

    def memory(self) -> MemoryReplay:
        """The memory replay over this source (built on first use)."""
        if self._memory is None:
            self._memory = MemoryReplay(self.frame, self._key_codes_all)
        return self._memory

    def view(self) -> StepView | None:
        """What to show for the current event (``None`` when no event is visible)."""
        if self.position < 0:
            return None
        ev = self._pos
        record = self._record(ev)
        f = self.frame
        handlers = self._handler_rows(ev)
        actions = [
            {
                "action": f.at[r, "action"],
                "status": f.at[r, "status"],
                "duration_ms": float(f.at[r, "duration_ms"]),
                "attempt": None if _isna(f.at[r, "attempt"]) else int(f.at[r, "attempt"]),
                "error": None if _isna(f.at[r, "error"]) else f.at[r, "error"],
                "sent_event_ids": list((f.at[r, "attributes"] or {}).get("sentEventIds", []))
                if isinstance(f.at[r, "attributes"], dict)
                else [],
            }
            for r in handlers
        ]
        parent = int(self._parent[ev])
        lo = np.searchsorted(self._parent_sorted, ev, "left")
        hi = np.searchsorted(self._parent_sorted, ev, "right")
        caused = [self._brief(int(c)) for c in sorted(self._child_order[lo:hi])]
        row = int(self._ev_rows[ev])
        end = max([row, *handlers])
        mem = self.memory()
        key_code = int(self._key_codes_all[row])
        input_seq = f.at[row, "input_seq"]
        before_row = (min(handlers) - 1) if handlers else row
        ok_handlers = [r for r in handlers if f.at[r, "status"] == "ok"]
        if mem.recorded and key_code >= 0:
            before = {
                "short_term": mem.short_term(key_code, before_row),
                "sensory": mem.sensory(key_code, input_seq, before_row),
            }
            short_term = mem.short_term(key_code, end)
            sensory = mem.sensory(key_code, input_seq, end)
            changes = mem.changes(before, ok_handlers)
        else:
            short_term, sensory, changes = {}, {}, []
        return StepView(
            position=self.position,
            total=self.total,
            record=record,
            actions=actions,
            cause={**self._brief(parent), "action": record.get("upstream_action")}
            if parent >= 0
            else None,
            caused=caused,
            short_term=short_term,
            sensory=sensory,
            changes=changes,
            memory_recorded=mem.recorded,
            metrics=self.metrics_at(end),
        )

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

    # -- display -----------------------------------------------------------------------
    def widget(self) -> Any:
        """The ipywidgets view of this stepper (one per stepper: state survives redisplay)."""
        from flink_agents_nb._stepper_widget import StepperWidget

        if getattr(self, "_widget", None) is None:
            self._widget = StepperWidget(self)
        return self._widget

    def __repr__(self) -> str:
        return (
            f"<Stepper over {self.name}: event {self.position + 1}/{self.total} "
            f"({self.num_events} events)>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget().box._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/plain"] = repr(self)
        return bundle


def _isna(value: Any) -> bool:
    if isinstance(value, (list, dict, tuple, np.ndarray)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
