"""Stepper breakpoints: stop at an event type, an action, a key, or a predicate on the event.

A :class:`Breakpoint` is a plain value; :func:`first_hit` finds the nearest event among
candidates that hits one of several breakpoints. Event-type, action and key breakpoints are
numpy masks over the whole run; a predicate is called per candidate record, nearest first,
and stops at the first hit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from flink_agents_nb.stepper._index import EventIndex
from flink_agents_runtime._errors import ArgumentValueError

Predicate = Callable[[dict[str, Any]], bool]

KINDS = ("event_type", "action", "key", "predicate")


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


def make_breakpoint(**given: Any) -> Breakpoint:
    """A breakpoint from exactly one non-``None`` keyword of :data:`KINDS`.

    Raises :class:`ArgumentValueError` when none or several are given."""
    chosen = [(k, given.get(k)) for k in KINDS if given.get(k) is not None]
    if len(chosen) != 1:
        raise ArgumentValueError(
            "a breakpoint takes exactly one of event_type, action, key, predicate"
        )
    return Breakpoint(*chosen[0])


def first_hit(
    index: EventIndex, candidates: np.ndarray, bps: Sequence[Breakpoint]
) -> tuple[int, Breakpoint] | None:
    """``(i, bp)``: the smallest ``i`` such that event ``candidates[i]`` hits ``bp`` (the
    first of ``bps`` to hit there), or ``None`` when no candidate hits any."""
    best: tuple[int, Breakpoint] | None = None
    for bp in bps:
        if bp.kind == "predicate":
            for i, ev in enumerate(candidates):
                if best is not None and i >= best[0]:
                    break
                if bp.value(index.record(int(ev))):
                    best = (i, bp)
                    break
            continue
        hits = np.flatnonzero(index.mask(bp.kind, [bp.value])[candidates])
        if len(hits) and (best is None or hits[0] < best[0]):
            best = (int(hits[0]), bp)
    return best
