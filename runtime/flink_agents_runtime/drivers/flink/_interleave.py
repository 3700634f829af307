"""Many inputs in flight per Flink subtask: the shared scheduler under Flink keyed state.

:class:`InterleavedRuns` drives :class:`~flink_agents_runtime.drivers._scheduler.InputScheduler`
from a ``KeyedProcessFunction`` in PyFlink's thread mode (process mode: the subclass in
``_interleave_process``, which switches keys in Python and finds restored inputs per key):

- **Key scope.** Flink scopes state (memory, the input sequence number, the held inputs) by
  the operator's current key. Before the scheduler steps a run, the run's key (kept in its
  Java form, as Flink gave it) is made current on the keyed state backend, exactly as
  Flink's own operators do; after each callback the callback's key is current again.
- **Held inputs in keyed state.** An input whose run parks, or that queues behind a busy
  key, is appended to the key's ``ListState`` (:data:`HELD_STATE`, checkpointed); it is
  removed when its run finishes, in the same callback that emits its outputs. After a
  restore, ``open`` finds the keys with held inputs (``KeyedStateBackend.getKeys``), arms
  the resume timer on one of them (after a rescale the old job's timers may have moved to
  another subtask, and a quiet source sends no record), and submits them again in order
  at the first callback (with an action state store, completed actions and durable calls
  replay instead of running again).
- **Progress without new records.** While inputs are held, a processing-time timer fires
  every ``flink.resume-interval-ms`` to resume runs whose calls finished.
- **End of a bounded input.** PyFlink drops pending processing-time timers at the end of
  input, so an event-time timer at the largest timestamp is registered as soon as inputs
  are held; the final watermark fires it and it drains every held input (DESIGN §10).

Watermarks are not held back while inputs are in flight (a Python function cannot hold
them): outputs of a run may follow a watermark that passed while it waited.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flink_agents_runtime.drivers._scheduler import InputRun, InputScheduler

if TYPE_CHECKING:
    from flink_agents_runtime.engine._cascade import InputTask

logger = logging.getLogger(__name__)

#: Name of the keyed ListState holding a key's inputs that are in flight or queued.
HELD_STATE = "flink-agents-held-inputs"

#: Timestamp of the drain timer: fired by the final watermark of a bounded input only.
DRAIN_AT = 2**63 - 2


#: The scheduler's gauges, sampled into the subtask's metric totals file for charts.
IN_FLIGHT_GAUGES = (
    "numOfActiveInputRuns",
    "numOfPendingInputEvents",
    "numOfPendingActionTasks",
    "numOfActiveActionExecutions",
)


class GaugeSeries:
    """Samples of :data:`IN_FLIGHT_GAUGES` while inputs are in flight (at most one per
    ``interval_ms``; the last 20,000 samples), for charts of a finished job."""

    def __init__(self, group: Any, interval_ms: float, limit: int = 20_000) -> None:
        self._gauges = [(name, group.get_gauge(name)) for name in IN_FLIGHT_GAUGES]
        self._interval_ns = int(interval_ms * 1e6)
        self._start_ns = time.perf_counter_ns()
        self._next_ns = 0
        self.samples: deque[tuple[float, str, float]] = deque(maxlen=limit)

    def maybe_sample(self) -> None:
        """Take a sample if the interval has passed."""
        now = time.perf_counter_ns()
        if now < self._next_ns:
            return
        self._next_ns = now + self._interval_ns
        t = round((now - self._start_ns) / 1e9, 3)
        for name, gauge in self._gauges:
            self.samples.append((t, name, gauge.value))


def java_backend(runtime_context: Any) -> Any:
    """The Java keyed state backend behind a thread-mode runtime context (else ``None``)."""
    backend = getattr(runtime_context, "_keyed_state_backend", None)
    return getattr(backend, "_keyed_state_backend", None)


class InterleavedRuns:
    """The scheduler of one subtask, with its held inputs in Flink keyed state.

    Args:
        core: the subtask's execution core.
        runtime_context: the function's runtime context (thread mode).
        held_state: the keyed ``ListState`` of held inputs (``(key, value, seq)``).
        emit: receives ``(key, input_seq, outputs)`` of each finished run (any key scope).
    """

    def __init__(
        self,
        core: Any,
        runtime_context: Any,
        held_state: Any,
        emit: Callable[[Any, int, list[Any]], None],
    ) -> None:
        self._open_keys(runtime_context)
        self._held = held_state
        self._emit = emit
        self._tick_ms = float(core.config.get("flink.resume-interval-ms"))
        self._tick_pending = False
        self._tick_at = -1  # timestamp of the pending resume timer
        self._drain_registered = False
        self._inline = False  # inside a lazy submit (see ``_finished``)
        #: called while the drain timer waits (the function samples its gauges there).
        self.sample: Callable[[], None] = lambda: None
        self.scheduler = InputScheduler(core, self._finished, enter=self._enter)
        self._restored = self._restore()

    # -- callbacks of the process function -----------------------------------------------
    def submit(self, key: Any, value: Any, ctx: Any, seq: int | None = None) -> InputTask | None:
        """``process_element``: accept an input of the current key (``seq``: its position
        in the job's input, when known); step ready runs.

        An input whose run finishes at once, with nothing else to do, touches no Flink
        state and no timer (a checkpoint barrier never falls inside ``process_element``,
        so it stays exactly-once): its finished task is returned, its outputs not given to
        ``emit``. Otherwise returns ``None``; finished runs go to ``emit``."""
        scheduler = self.scheduler
        restored = bool(self._restored)
        if restored:
            self._resubmit()
        # The element's key is current until another run is stepped: a submit that need
        # not wait for room starts the run in it without switching (the cheap common case).
        lazy = not restored and scheduler.held < scheduler.max_in_flight
        jkey = None
        if lazy:
            self._inline = True  # a run finishing inside this submit is this input's
            try:
                run = scheduler.submit(key, value, None, seq=seq)
            finally:
                self._inline = False
            task = run.task
            if task is not None and task.done:
                if not scheduler.has_ready:
                    return task  # finished at once, nothing else to do (nothing held)
                self._emit(key, task.input_seq, task.outputs)
        else:
            jkey = self._callback_key(ctx)
            run = scheduler.submit(key, value, jkey, seq=seq)
        if jkey is None:
            jkey = self._callback_key(ctx)
        else:
            self._set_key(jkey)
        if not run.done:  # parked or queued: held in state until it finishes
            run.handle = jkey
            self._held.add((key, value, seq))
            run.persisted = True
        if scheduler.poll():
            self._set_key(jkey)
        self._after(ctx)
        return None

    def on_timer(self, timestamp: int, ctx: Any) -> None:
        """``on_timer``: resume what is ready; the drain timer runs everything to the end."""
        jkey = self._timer_key(ctx)
        if self._restored:
            self._resubmit()
        if timestamp >= DRAIN_AT:
            while not self.scheduler.idle:
                self.scheduler.wait(0.05)
                self.sample()
        else:
            if timestamp == self._tick_at:
                self._tick_pending = False
            self.scheduler.poll()
        self._set_key(jkey)
        self._after(ctx)

    def drain(self) -> None:
        """Run every held input to its end (at close, when no timer fires any more)."""
        if self._restored:
            self._resubmit()
        self.scheduler.drain()

    # -- key scope (thread mode: the Java keyed state backend; see ``_interleave_process``) --
    def _open_keys(self, runtime_context: Any) -> None:
        """Reach the keyed state backend: ``_set_key(handle)`` makes a run's key current."""
        from pemja import findClass

        self._backend = java_backend(runtime_context)
        self._set_key: Callable[[Any], None] = self._backend.setCurrentKey
        # PyFlink's keyed process function context: its timer service works from ``open``.
        self._function_context: Any = getattr(
            runtime_context._keyed_state_backend, "_function_context", None
        )
        self._row = findClass("org.apache.flink.types.Row")

    def _callback_key(self, ctx: Any) -> Any:
        """The key of ``process_element``'s context, as :attr:`_set_key` takes it."""
        return self._java_key(ctx._j_context.getCurrentKey())

    def _timer_key(self, ctx: Any) -> Any:
        """The key of ``on_timer``'s context, as :attr:`_set_key` takes it."""
        return self._java_key(ctx._j_timer_context.getCurrentKey())

    # -- internals -----------------------------------------------------------------------
    def _java_key(self, field: Any) -> Any:
        """The operator's key (a one-field ``Row``) around the context's key field."""
        row = self._row.withPositions(1)
        row.setField(0, field)
        return row

    def _after(self, ctx: Any) -> None:
        """Keep the timers that make progress while inputs are held."""
        if self.scheduler.idle:
            return
        timers = ctx.timer_service()
        if not self._drain_registered:
            timers.register_event_time_timer(DRAIN_AT)
            self._drain_registered = True
        if not self._tick_pending:
            self._tick_at = int(time.time() * 1000) + max(1, int(self._tick_ms))
            timers.register_processing_time_timer(self._tick_at)
            self._tick_pending = True

    def _enter(self, run: InputRun) -> None:
        self._set_key(run.handle)

    def _finished(self, run: InputRun) -> None:
        task = run.task
        assert task is not None
        if self._inline:  # finished inside ``submit``'s lazy start: submit hands it on
            return
        if run.persisted:  # its input is the first of the key's held inputs
            if not self.scheduler.queued(run.key):
                self._held.clear()  # the last one: no read of the list
            else:
                held = list(self._held.get() or [])
                if len(held) > 1:
                    self._held.update(held[1:])
                else:
                    self._held.clear()
        self._emit(run.key, task.input_seq, task.outputs)

    def _restore(self) -> list[tuple[Any, list[Any]]]:
        """Keys with held inputs after a restore, as ``(java key, inputs)``."""
        try:
            from pemja import findClass

            void = findClass("org.apache.flink.runtime.state.VoidNamespace").INSTANCE
            keys = self._backend.getKeys(HELD_STATE, void).toArray()
        except Exception:  # a fresh state backend without the state yet
            logger.debug("no held inputs to restore", exc_info=True)
            return []
        restored = []
        for jkey in keys:
            self._backend.setCurrentKey(jkey)
            held = list(self._held.get() or [])
            if held:
                restored.append((jkey, held))
        if restored:
            logger.info("re-running the held inputs of %d keys after a restore", len(restored))
            self._arm_restored(restored[0][0])
        return restored

    def _arm_restored(self, jkey: Any) -> None:
        """Register the resume and drain timers on a restored key, from ``open``.

        The timers that drove the held inputs before the savepoint were registered on
        whichever key was current then; after a rescale that key may live in another
        subtask, and a quiet source sends no record to start from: without timers of its
        own, this subtask would re-run its restored inputs only when a record arrives.
        """
        if self._function_context is None:
            logger.warning("no timer service in open: restored inputs run with the next record")
            return
        try:
            timers = self._function_context.timer_service()
            self._backend.setCurrentKey(jkey)
            self._tick_at = int(time.time() * 1000) + max(1, int(self._tick_ms))
            timers.register_processing_time_timer(self._tick_at)
            self._tick_pending = True
            timers.register_event_time_timer(DRAIN_AT)
            self._drain_registered = True
        except Exception:  # the restored inputs still run with the next record
            logger.warning("could not register timers for restored inputs", exc_info=True)

    def _resubmit(self) -> None:
        restored, self._restored = self._restored, []
        for jkey, held in restored:
            for key, value, seq in held:
                self.scheduler.submit(key, value, jkey, persisted=True, seq=seq)
