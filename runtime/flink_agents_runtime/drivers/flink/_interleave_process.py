"""Many inputs in flight per subtask in PyFlink's process mode (``flink.execution-mode:
process``): :class:`~flink_agents_runtime.drivers.flink._interleave.InterleavedRuns` with the
key scope of the Python worker.

In process mode the function runs in a Beam Python worker, a process apart from the task
manager's JVM. Keyed state there is PyFlink's ``RemoteKeyedStateBackend``
(``pyflink/fn_execution/state_impl.py``): a Python object whose ``set_current_key(Row(key))``
is what PyFlink's own operation calls before each element and timer
(``pyflink/fn_execution/datastream/process/operations.py``); state objects resolve the key
when read or written, and timers are registered for ``get_current_key()``
(``process/timerservice_impl.py``). So the scheduler switches keys exactly as in thread
mode, in Python, with no call into Java: a run's handle is ``Row(key)`` (PyFlink's state key
of the element), and the callback's key is current again after each callback.

Everything else is shared with thread mode: held inputs in keyed ``ListState``, the resume
timer, the drain timer on the final watermark of a bounded input. State written in a
callback reaches Flink when the worker finishes its bundle, which Flink forces before every
checkpoint, so a checkpoint holds the held inputs as they were after the last callback.

**Restore differs.** The Python worker cannot list the keys that have state (Java's
``KeyedStateBackend.getKeys`` is not reachable from it, and Beam's state API has no such
request). So each key with inputs in flight keeps timers of its own, which Flink checkpoints
with the state: a drain timer (fired by the final watermark of a bounded input) and a
*probe*, a processing-time timer on the next whole :data:`PROBE_MS` that re-arms itself while
the key is busy (Flink keeps one timer per key and timestamp). After a restore, a key's held
inputs run again, ahead of anything new of that key, when its next record or timer arrives:
on an input that went quiet, within about :data:`PROBE_MS` of the restore.
"""

from __future__ import annotations

import time
from typing import Any

from pyflink.common import Row

from flink_agents_runtime.drivers.flink._interleave import (
    DRAIN_AT,
    InterleavedRuns,
    java_backend,
)

__all__ = ["ProcessModeRuns", "process_backend", "runs_for"]


def runs_for(runtime_context: Any) -> type[InterleavedRuns] | None:
    """The scheduler class for this function's mode: :class:`InterleavedRuns` in thread
    mode, :class:`ProcessModeRuns` in process mode; ``None`` when neither backend is
    reachable (each input then runs to its end before the next)."""
    if java_backend(runtime_context) is not None:
        return InterleavedRuns
    if process_backend(runtime_context) is not None:
        return ProcessModeRuns
    return None


def process_backend(runtime_context: Any) -> Any:
    """PyFlink's Python keyed state backend behind a process-mode runtime context (else
    ``None``)."""
    backend = getattr(runtime_context, "_keyed_state_backend", None)
    if backend is None or not hasattr(backend, "set_current_key"):
        return None
    return backend


#: Interval of a busy key's probe timer (ms; see the module docstring).
PROBE_MS = 1000

#: Key types whose equal values always pickle alike (as ``_function._EXACT_KEY_TYPES``):
#: only keys of these types are remembered as checked.
_EXACT_KEY_TYPES = frozenset((int, str, bytes))


class ProcessModeRuns(InterleavedRuns):
    """The scheduler of one process-mode subtask (see the module docstring).

    A key's held inputs are looked for in state when the key's first record or timer since
    ``open`` arrives while no run of it is in flight (then remembered, at most ``remember``
    keys of :data:`_EXACT_KEY_TYPES`): only this object writes them afterwards, and it
    clears a key's list when the key's last run ends.
    """

    remember = 100_000

    def _open_keys(self, runtime_context: Any) -> None:
        self._backend = process_backend(runtime_context)
        self._set_key = self._backend.set_current_key
        self._function_context = None  # no timer service before the first bundle
        self._checked: set[Any] = set()

    def _callback_key(self, ctx: Any) -> Any:
        return Row(ctx.get_current_key())

    _timer_key = _callback_key

    def _restore(self) -> list[tuple[Any, list[Any]]]:
        return []  # found per key instead: ``_resume_key``

    def submit(self, key: Any, value: Any, ctx: Any, seq: int | None = None) -> Any:
        if key not in self._checked:
            self._resume_key(key, ctx)
        done = super().submit(key, value, ctx, seq)
        scheduler = self.scheduler
        if done is None and scheduler.busy(key) and not scheduler.queued(key):
            self._key_timers(ctx)  # the key just became busy
        return done

    def on_timer(self, timestamp: int, ctx: Any) -> None:
        key = ctx.get_current_key()
        if key not in self._checked:
            self._resume_key(key, ctx)
        super().on_timer(timestamp, ctx)
        if timestamp % PROBE_MS == 0 and timestamp < DRAIN_AT and self.scheduler.busy(key):
            self._key_timers(ctx, drain=False)  # a probe: the next one while busy

    def _key_timers(self, ctx: Any, *, drain: bool = True) -> None:
        """The busy key's own timers (the callback's key, current): see the module
        docstring."""
        timers = ctx.timer_service()
        if drain:
            timers.register_event_time_timer(DRAIN_AT)
        timers.register_processing_time_timer((int(time.time() * 1000) // PROBE_MS + 1) * PROBE_MS)

    def _resume_key(self, key: Any, ctx: Any) -> None:
        """Submit again the inputs a restored checkpoint holds for ``key`` (the callback's
        key, current), ahead of anything new of that key."""
        if self.scheduler.busy(key):
            return  # its held inputs are this object's own
        held = list(self._held.get() or [])
        if type(key) in _EXACT_KEY_TYPES:
            if len(self._checked) >= self.remember:
                self._checked.clear()
            self._checked.add(key)
        if not held:
            return
        handle = self._callback_key(ctx)
        for held_key, value, seq in held:
            self.scheduler.submit(held_key, value, handle, persisted=True, seq=seq)
        self._set_key(handle)
        if self.scheduler.busy(key):
            self._key_timers(ctx)
