"""The stepper model: a debugger cursor over a run's events (plain Python, no widgets).

:class:`Stepper` steps through the *event* rows of a record frame (a ``Run``'s ``.records`` or
an event log's ``.frame``) in frame order. It keeps a cursor (an event index), filters (key,
event type, handling action) and breakpoints (:mod:`~flink_agents_nb.stepper._breakpoints`),
and derives views of the current event (:meth:`Stepper.view`,
:mod:`~flink_agents_nb.stepper._view`): its record, the actions that handled it and their
durations, its cause and the events it caused, the key's memory at that step and the metrics
at that moment. Everything indexable is precomputed with numpy at construction
(:class:`~flink_agents_nb.stepper._index.EventIndex`), so moving and filtering cost
milliseconds on a million events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from flink_agents_nb.run._source import record_frame_of, source_name
from flink_agents_nb.stepper._breakpoints import Breakpoint, Predicate, first_hit, make_breakpoint
from flink_agents_nb.stepper._index import EventIndex
from flink_agents_nb.stepper._memory_replay import MemoryReplay
from flink_agents_nb.stepper._view import StepView, build_view
from flink_agents_runtime._display import DisplayMixin
from flink_agents_runtime._errors import NotFoundError

logger = logging.getLogger(__name__)


def _as_set(value: Any) -> list[Any] | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


class Stepper(DisplayMixin):
    """A cursor over the events of ``source`` (a ``Run``, an ``EventLog``, a record frame or
    an event-log path). Starts at the first event."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.name = source_name(source)
        self.frame = record_frame_of(source).reset_index(drop=True)
        self._index = EventIndex(self.frame)
        n_ev = self._index.num_events
        self._memory: MemoryReplay | None = None
        self.breakpoints: list[Breakpoint] = []
        self.filters: dict[str, list[Any] | None] = {
            "key": None,
            "event_type": None,
            "action": None,
        }
        self._visible = np.arange(n_ev)
        self._pos = 0 if n_ev else -1
        self._listeners: list[Callable[[], None]] = []
        #: The breakpoint the last :meth:`run_to` stopped at (cleared by any other move).
        self.stopped_at: Breakpoint | None = None
        #: Whether :meth:`run_to`'s last call found no breakpoint (cleared by any other move).
        self.ran_off: bool = False
        #: Edits every fork from this stepper uses (``agent=``, ``memory=``, ``model=``).
        self.fork_options: dict[str, Any] = {}
        #: The runs forked from this stepper, oldest first.
        self.forks: list[Any] = []

    # -- facts -------------------------------------------------------------------------
    @property
    def num_events(self) -> int:
        """All events of the source, filters ignored."""
        return self._index.num_events

    @property
    def keys(self) -> list[Any]:
        """Distinct keys, in order of first appearance."""
        return list(self._index.key_uniques)

    @property
    def event_types(self) -> list[str]:
        """Distinct event types, in order of first appearance."""
        return [str(t) for t in self._index.type_uniques]

    @property
    def actions(self) -> list[str]:
        """Distinct action names, in order of first appearance."""
        return [str(a) for a in self._index.action_uniques]

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
        return self._index.record(self._pos)

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
    def filter(self, *, key: Any = None, event_type: Any = None, action: Any = None) -> Stepper:
        """Show only events of these keys, event types and handling actions (each ``None``:
        any; a value or a list of values). The cursor stays on the current event when it is
        still visible, else moves to the next visible one (or the last)."""
        self.filters = {
            "key": _as_set(key),
            "event_type": _as_set(event_type),
            "action": _as_set(action),
        }
        mask = np.ones(self.num_events, dtype=bool)
        for kind, values in self.filters.items():
            if values is not None:
                mask &= self._index.mask(kind, values)
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
    def _move_to(self, event_index: int, hit: Breakpoint | None = None, off: bool = False) -> None:
        self._pos = int(event_index)
        self.stopped_at, self.ran_off = hit, off
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
            raise NotFoundError(f"position {position} is outside 0..{self.total - 1}")
        self._move_to(int(self._visible[position]))
        return self.current

    def goto_event(self, event_id: str) -> dict[str, Any] | None:
        """Move to the event with this id; clears the filters if they hide it."""
        index = self._index.event_of_id(event_id, self.name)
        visible = self._visible
        pos = int(np.searchsorted(visible, index))
        if pos >= len(visible) or visible[pos] != index:
            self.filters = {"key": None, "event_type": None, "action": None}
            self._visible = np.arange(self.num_events)
        self._move_to(index)
        return self.current

    def elapsed_ms(self) -> float | None:
        """Milliseconds from the source's first record to the current event (``None``: no
        event, or no time)."""
        if self.position < 0:
            return None
        return self._index.elapsed_ms(self._pos)

    def goto_input(self, input_seq: int) -> dict[str, Any] | None:
        """Move to the first event of input ``input_seq`` (the run's n-th input, from 0);
        clears the filters if they hide it. Raises :class:`NotFoundError` when no event has it."""
        return self._goto_first(self._index.events_of("input_seq", input_seq), f"input {input_seq}")

    def goto_key(self, key: Any) -> dict[str, Any] | None:
        """Move to the next event of ``key`` after the current one (wrapping to its first);
        clears the filters if they hide it. Raises :class:`NotFoundError` naming an unknown key."""
        events = self._index.events_of("key", key)
        later = events[events > self._pos]
        return self._goto_first(later if len(later) else events, f"key {key!r}")

    def goto(self, target: Any) -> dict[str, Any] | None:
        """Jump by what a person types: ``"#12"`` (input 12), else a key (as typed, or as
        the number it spells when no key is that text)."""
        text = str(target).strip()
        if text.startswith("#") and text[1:].isdigit():
            return self.goto_input(int(text[1:]))
        keys = {str(k): k for k in self.keys}
        if text in keys:
            return self.goto_key(keys[text])
        raise NotFoundError(f"no key {text!r} in {self.name} (type #N for the N-th input)")

    def _goto_first(self, events: Any, what: str) -> dict[str, Any] | None:
        if not len(events):
            raise NotFoundError(f"no event of {what} in {self.name}")
        target = int(events[0])
        visible = self._visible
        pos = int(np.searchsorted(visible, target))
        if pos >= len(visible) or visible[pos] != target:
            self.filters = {"key": None, "event_type": None, "action": None}
            self._visible = np.arange(self.num_events)
        self._move_to(target)
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
        bp = make_breakpoint(event_type=event_type, action=action, key=key, predicate=predicate)
        self.breakpoints.append(bp)
        self._changed()
        return bp

    def remove_breakpoint(self, bp: Breakpoint) -> None:
        """Remove ``bp`` (no error when absent)."""
        if bp in self.breakpoints:
            self.breakpoints.remove(bp)
            self._changed()

    def clear_breakpoints(self) -> None:
        """Remove every breakpoint."""
        self.breakpoints.clear()
        self._changed()

    def run_to(self, *bps: Breakpoint, backward: bool = False) -> Breakpoint | None:
        """Move to the next visible event (previous with ``backward``) that hits one of
        ``bps`` (default: the stepper's breakpoints). Returns the breakpoint hit; when none
        is hit, moves to the last (first) visible event and returns ``None``."""
        bps = bps or tuple(self.breakpoints)
        if not self.total:
            return None
        here = self.position
        cand = self._visible[:here][::-1] if backward else self._visible[here + 1 :]
        best = first_hit(self._index, cand, bps)
        if best is None:
            self._move_to(int(self._visible[0 if backward else self.total - 1]), off=True)
            return None
        self._move_to(int(cand[best[0]]), hit=best[1])
        return best[1]

    # -- derived views -----------------------------------------------------------------
    def memory(self) -> MemoryReplay:
        """The memory replay over this source (built on first use)."""
        if self._memory is None:
            self._memory = MemoryReplay(self.frame, self._index.key_codes_all)
        return self._memory

    def view(self) -> StepView | None:
        """What to show for the current event (``None`` when no event is visible)."""
        if self.position < 0:
            return None
        return build_view(self._index, self.memory(), self._pos, self.position, self.total)

    def metrics_at(self, row: int) -> dict[str, Any]:
        """Totals over frame rows ``0..row``: events, actions, failed actions, tokens, and
        ``elapsed_s`` from the first record to row ``row``."""
        return self._index.metrics_at(row)

    def fork(self, **edits: Any) -> Any:
        """Fork the run at the current event (``Run.fork`` with :attr:`fork_options` and
        ``edits``); the fork is returned and appended to :attr:`forks`."""
        from flink_agents_nb.stepper._forking import fork_at_cursor

        return fork_at_cursor(self, **edits)

    # -- display -----------------------------------------------------------------------
    def widget(self) -> Any:
        """The ipywidgets view of this stepper (one per stepper: state survives redisplay)."""
        from flink_agents_nb.stepper._widget import StepperWidget

        if getattr(self, "_widget", None) is None:
            self._widget = StepperWidget(self)
        return self._widget

    def __repr__(self) -> str:
        return (
            f"<Stepper over {self.name}: event {self.position + 1}/{self.total} "
            f"({self.num_events} events)>"
        )

    def _mimebundle(self) -> dict[str, Any]:
        self.widget().refresh()
        bundle = dict(self.widget().box._repr_mimebundle_() or {})
        bundle["text/plain"] = repr(self)
        return bundle


__all__ = ["Breakpoint", "Predicate", "StepView", "Stepper"]
