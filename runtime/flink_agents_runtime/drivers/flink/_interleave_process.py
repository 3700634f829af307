"""Many inputs in flight per subtask in PyFlink's process mode (``flink.execution-mode:
process`` with ``flink.process-mode.interleave``): ``_interleave.InterleavedRuns`` with the
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
timer, the drain timer on the final watermark of a bounded input. Two things differ.

**Bundles.** Flink hands the worker records and fired timers in bundles, and takes its
outputs and timer registrations at the end of each (``python.fn-execution.bundle.time``, 1 s
by default; a checkpoint ends one too). A run whose call returned resumes in the next
callback, so on a quiet stream up to a bundle's time late.

**Restore.** The worker cannot list the keys that have state (Java's
``KeyedStateBackend.getKeys`` is not reachable from it, and Beam's state API has no such
request), so each busy key keeps timers of its own, checkpointed by Flink: the drain timer
and two *probes*, processing-time timers on the next whole :data:`PROBE_MS` (a fired probe
adds the one after the next while the key is busy). After a restore, a key's held inputs
run again, ahead of anything new of that key, when its next record or timer arrives.

That is not airtight. The worker's timer registrations reach the operator's timer service
through mailbox actions queued when they arrive (``BeamPythonFunctionRunner``'s timer
receiver adds a ``TimerRegistrationAction`` and calls ``MailboxExecutor.execute``), and
``AbstractPythonFunctionOperator.prepareSnapshotPreBarrier`` finishes the bundle without
draining them (only ``advanceWatermark`` does; read in ``flink-python-2.3.0.jar``'s
bytecode): timers registered in the bundle a checkpoint's barrier closes are missing from
that checkpoint, while the state written in it is there. Inputs held by a key that became
busy in that very bundle, restored from that checkpoint, run again only with the key's
next record: never if none comes. Hence the option is off by default.
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


def runs_for(runtime_context: Any, config: Any) -> type[InterleavedRuns] | None:
    """The scheduler class for this function's mode: :class:`InterleavedRuns` in thread
    mode, :class:`ProcessModeRuns` in process mode when ``flink.process-mode.interleave`` is
    on; ``None`` otherwise (each input then runs to its end before the next)."""
    if java_backend(runtime_context) is not None:
        return InterleavedRuns
    if process_backend(runtime_context) is not None and config.get("flink.process-mode.interleave"):
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
        try:
            unchecked = key not in self._checked
        except TypeError:  # unhashable: the scheduler's submit says which key and why
            unchecked = False
        if unchecked:
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
            self._key_timers(ctx, first=False)  # a probe: the next ones while busy

    def _key_timers(self, ctx: Any, *, first: bool = True) -> None:
        """The busy key's own timers (the callback's key, current): the drain timer and two
        probes ahead (a fired probe adds the one after the next), each registered again in
        a later callback than the one before (see the module docstring)."""
        timers = ctx.timer_service()
        timers.register_event_time_timer(DRAIN_AT)  # once per key and timestamp in Flink
        next_at = (int(time.time() * 1000) // PROBE_MS + 1) * PROBE_MS
        if first:
            timers.register_processing_time_timer(next_at)
        timers.register_processing_time_timer(next_at + PROBE_MS)

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
