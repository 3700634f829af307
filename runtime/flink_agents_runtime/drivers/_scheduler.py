"""The scheduler both drivers use: many inputs in flight, one input run per key at a time.

An :class:`InputScheduler` takes inputs (``submit``) and steps their cascades
(:class:`~flink_agents_runtime.engine._cascade.InputTask`) over the execution core's public
surface (``core.start``, ``core.config``, ``core.metrics``):

- **One run per key.** A key's first input starts at once; later inputs of a busy key wait
  in that key's queue, in arrival order, and start when the run before them finishes.
- **Keys interleave.** A run that awaits a call (a future from the async pool or the event
  loop) is parked; other keys' runs start or resume meanwhile. The future's completion (on
  any thread) puts the run on the ready queue; the driver's thread steps it in ``poll`` or
  ``wait``. Cascades are only ever stepped on the driver's thread.
- **Bounded.** At most ``max-in-flight-inputs`` inputs are held (running or queued);
  ``submit`` waits for room first, which is the driver's back-pressure.
- **Waiting.** A driver that runs its own call loop (``drivers._driver_loop``, the local
  driver) passes it as ``loop``: ``wait`` runs that loop until a parked run can resume, and
  ``poll`` gives it a turn every :data:`TURN_EVERY_NS` of stepping, instead of waiting on a
  thread event and handing the interpreter lock to the process's loop thread.
- **Key scope.** ``enter(run)`` is called before a run's cascade is stepped, so a driver
  whose state is scoped by a current key (Flink) can switch to the run's key; ``on_finish``
  is called right after a run ends, still in that scope, before the key's next run starts.
  A run submitted without a ``handle`` that starts at once is stepped in the driver's
  current scope (the caller's key) without ``enter``.

Metrics (Flink Agents' 0.4 names, in the agent group): gauges ``numOfActiveInputRuns``
(runs started, not finished), ``numOfPendingInputEvents`` (inputs queued behind a busy key),
``numOfPendingActionTasks`` (parked runs whose call finished, waiting to be stepped),
``numOfActiveActionExecutions`` (actions waiting on a call); histograms
``inputRunQueueLatencyMs`` (submit to start of a run) and ``actionSchedulingLatencyMs``
(a call's completion to the step that resumes its action), both in milliseconds.
Gauges are refreshed when a run parks, resumes or finishes after parking, not on the
synchronous fast path (where they stay at rest values).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flink_agents_runtime.drivers._driver_loop import DriverLoop
    from flink_agents_runtime.engine._cascade import InputTask
    from flink_agents_runtime.engine._core import ExecutionCore

__all__ = ["InputRun", "InputScheduler"]

_now = time.perf_counter_ns
_sleep = time.sleep

#: How long ``poll`` steps runs before it lets other threads (the event loop) run (ns).
YIELD_EVERY_NS = 200_000
#: How long ``poll`` (and ``tick``) step runs before they give a driver's own loop a turn
#: (ns): calls started meanwhile go out, answers come in. Measured on benchmark 1's
#: workload (10 alternating runs each, load 3.7): 0.2 ms gave the best job times (median
#: 1.19 s); 1 ms saved ~6% CPU per input but the job took 1.30 s (later sends, answers
#: handled in bigger batches).
TURN_EVERY_NS = 200_000


class InputRun:
    """One input held by the scheduler.

    Attributes:
        key: the input's key.
        value: the input value.
        handle: what the driver attached (Flink: the key in Java form); not used here.
        task: the cascade once the run started (``None`` while queued).
        submit_ns: ``perf_counter_ns`` at submit.
        persisted: set by drivers that keep the input in state until it finishes.
        seq: the input's position in the job's input when the driver knows it (else the
            core numbers inputs as they start).
    """

    __slots__ = ("_ready_ns", "handle", "key", "persisted", "seq", "submit_ns", "task", "value")

    def __init__(self, key: Any, value: Any, handle: Any, submit_ns: int) -> None:
        self.key = key
        self.value = value
        self.seq: int | None = None
        self.handle = handle
        self.submit_ns = submit_ns
        self.task: InputTask | None = None
        self.persisted = False
        self._ready_ns = 0

    @property
    def outputs(self) -> list[Any]:
        """The outputs of the run so far (empty while queued)."""
        return self.task.outputs if self.task is not None else []

    @property
    def done(self) -> bool:
        """Whether the run has finished."""
        return self.task is not None and self.task.done

    def __repr__(self) -> str:
        state = "done" if self.done else "running" if self.task is not None else "queued"
        return f"InputRun(key={self.key!r}, {state})"


def _no_scope(run: InputRun) -> None:
    return None


class InputScheduler:
    """Interleaves input runs of one execution core (see the module docstring).

    Not thread-safe: one driver thread calls ``submit``, ``poll``, ``wait`` and ``drain``;
    only the completion callbacks of futures run on other threads.

    Args:
        core: the execution core (its ``start`` makes each run's cascade).
        on_finish: called with each finished run, in the run's key scope.
        enter: switches the driver's key scope to a run's key before its cascade is stepped.
        max_in_flight: inputs held at most (``None``: the ``max-in-flight-inputs`` option).
        loop: the call loop the driver's thread runs itself while it waits (``None``: calls
            run on the process's loop thread; the scheduler waits on a thread event).
    """

    def __init__(
        self,
        core: ExecutionCore,
        on_finish: Callable[[InputRun], None],
        *,
        enter: Callable[[InputRun], None] | None = None,
        max_in_flight: int | None = None,
        loop: DriverLoop | None = None,
    ) -> None:
        self.core = core
        self._loop = loop
        self._turn_at = 0  # perf_counter_ns after which ``tick`` gives the loop a turn
        self._on_finish = on_finish
        self._enter = enter or _no_scope
        self._scoped = enter is not None
        if max_in_flight is None:
            max_in_flight = int(core.config.get("max-in-flight-inputs"))
        self.max_in_flight = max(1, max_in_flight)
        #: key -> its runs; [0] is running, the rest are queued in arrival order.
        self._keys: dict[Any, deque[InputRun]] = {}
        self._held = 0  # inputs accepted, not finished (running + queued)
        #: runs waiting on a call (including those whose call finished); read only.
        self.parked = 0
        self._ready: deque[InputRun] = deque()  # appended from any thread
        self._wake = threading.Event()
        metrics = core.metrics
        self._g_active = metrics.get_gauge("numOfActiveInputRuns")
        self._g_pending_inputs = metrics.get_gauge("numOfPendingInputEvents")
        self._g_pending_tasks = metrics.get_gauge("numOfPendingActionTasks")
        self._g_executing = metrics.get_gauge("numOfActiveActionExecutions")
        self._h_queue = metrics.get_histogram("inputRunQueueLatencyMs")
        self._h_sched = metrics.get_histogram("actionSchedulingLatencyMs")
        self._scratch = InputRun(None, None, None, 0)
        self._zero_waits = 0
        #: the most inputs held at once so far (for benchmarks and tests).
        self.peak_held = 0
        #: the most runs parked on a call at once so far.
        self.peak_parked = 0

    # -- state ---------------------------------------------------------------------------
    @property
    def held(self) -> int:
        """Inputs accepted and not finished (running or queued)."""
        return self._held

    @property
    def idle(self) -> bool:
        """Whether no input is held."""
        return self._held == 0

    @property
    def has_ready(self) -> bool:
        """Whether a parked run can be resumed now (``poll`` would step it)."""
        return bool(self._ready)

    @property
    def ready(self) -> deque[InputRun]:
        """The runs ``poll`` would resume (truthy when any; read it, never change it)."""
        return self._ready

    def busy_keys(self) -> list[Any]:
        """Keys with a run in flight."""
        return list(self._keys)

    def busy(self, key: Any) -> bool:
        """Whether ``key`` has a run in flight (also inside ``on_finish``)."""
        return key in self._keys

    def queued(self, key: Any) -> int:
        """Inputs of ``key`` waiting behind its running run (also inside ``on_finish``,
        where the finishing run still counts as running)."""
        runs = self._keys.get(key)
        return len(runs) - 1 if runs else 0

    # -- driving -------------------------------------------------------------------------
    def submit(
        self,
        key: Any,
        value: Any,
        handle: Any = None,
        *,
        persisted: bool = False,
        seq: int | None = None,
    ) -> InputRun:
        """Accept an input: start it when ``key`` is idle, else queue it behind the key's runs.

        Returns the input's run. A run that finished within ``submit`` is a scratch object
        that the next ``submit`` reuses: read it (``done``, ``outputs``) before submitting
        again.

        Waits (stepping other runs) while ``max-in-flight-inputs`` inputs are held. Errors
        of a cascade (``ActionFailedError``) propagate from here, ``poll`` or ``wait``.
        ``handle``, ``persisted`` and ``seq`` are the driver's (see :class:`InputRun`).
        """
        while self._held >= self.max_in_flight:
            self.wait()
        try:
            runs = self._keys.get(key)
        except TypeError:  # unhashable: the core says which key and why
            self.core.start(key, value, seq)
            raise
        if runs is not None:  # the key is busy: queue behind its runs
            run = InputRun(key, value, handle, _now())
            run.persisted = persisted
            run.seq = seq
            runs.append(run)
            self._held += 1
            if self._held > self.peak_held:
                self.peak_held = self._held
            self._g_pending_inputs.value += 1
            return run
        # The key is idle: start now (no queue latency). The common case of a cascade that
        # never waits finishes here without touching the scheduler's queues: its run object
        # is the scheduler's scratch run, reused by the next such input.
        run = self._scratch
        run.key, run.value, run.handle, run.persisted = key, value, handle, persisted
        if self._scoped and handle is not None:
            self._enter(run)
        self._zero_waits += 1  # a queue latency of 0, folded into the histogram in bulk
        task = run.task = self.core.start(key, value, seq)
        fut = task.step()
        while fut is not None and fut.done():
            fut = task.step()
        if fut is None:
            self._on_finish(run)
            return run
        self._scratch = InputRun(None, None, None, 0)  # this one is held from now on
        self._held += 1
        if self._held > self.peak_held:
            self.peak_held = self._held
        self._keys[key] = deque((run,))
        self._park(run, fut)
        return run

    def poll(self) -> int:
        """Step every parked run whose call finished; returns how many were resumed.

        Between runs, at most every :data:`YIELD_EVERY_NS`, the interpreter lock is offered
        to other threads (``time.sleep(0)``): the event loop then sends the calls the runs
        stepped so far have started and reads answers, instead of waiting for the whole
        batch (or for the interpreter's 5 ms switch interval). With a driver loop, that
        loop gets a turn every :data:`TURN_EVERY_NS` instead."""
        ready = self._ready
        n = 0
        loop = self._loop
        every = YIELD_EVERY_NS if loop is None else TURN_EVERY_NS
        yield_at = _now() + every
        while ready:
            run = ready.popleft()
            self.parked -= 1
            now = _now()
            self._h_sched.update((now - run._ready_ns) / 1e6)
            if now >= yield_at:
                if loop is None:
                    _sleep(0)
                else:
                    loop.turn()
                yield_at = _now() + every
            self._enter(run)
            self._advance(run)
            n += 1
        if n:
            self._refresh()
        return n

    def wait(self, timeout: float | None = None) -> int:
        """Wait until a parked run can resume (or ``timeout`` seconds), then :meth:`poll`."""
        if not self._ready and self._held:
            if self._loop is None:
                self._wake.wait(timeout)
            else:
                self._loop.wait(self, timeout)
        self._wake.clear()
        return self.poll()

    def tick(self) -> int:
        """Between submits: step the runs that can resume; with a driver loop, first give
        it a turn when :data:`TURN_EVERY_NS` passed since the last (calls go out while a
        long input is still being read). Returns how many runs were resumed."""
        loop = self._loop
        if loop is not None and self.parked:
            now = _now()
            if now >= self._turn_at:
                loop.turn()
                self._turn_at = now + TURN_EVERY_NS
        return self.poll() if self._ready else 0

    def drain(self) -> None:
        """Run until no input is held."""
        while self._held:
            self.wait()
        self.flush_metrics()

    # -- internals -----------------------------------------------------------------------
    def _advance(self, run: InputRun) -> None:
        """Step ``run`` (in its key scope) until it parks; start the key's next runs."""
        while True:
            task = run.task
            assert task is not None
            fut = task.step()
            while fut is not None and fut.done():
                fut = task.step()
            if fut is not None:
                self._park(run, fut)
                return
            self._held -= 1
            self._on_finish(run)
            runs = self._keys[run.key]
            runs.popleft()
            if not runs:
                del self._keys[run.key]
                return
            run = runs[0]
            self._g_pending_inputs.value -= 1
            now = _now()
            self._h_queue.update((now - run.submit_ns) / 1e6)
            run.task = self.core.start(run.key, run.value, run.seq)

    def _park(self, run: InputRun, fut: Future[Any]) -> None:
        self.parked += 1
        if self.parked > self.peak_parked:
            self.peak_parked = self.parked
        fut.add_done_callback(partial(self._resume_later, run))
        self._refresh()

    def _resume_later(self, run: InputRun, _fut: Future[Any]) -> None:
        """A parked run's call finished (any thread): queue it for the driver's thread."""
        run._ready_ns = _now()
        self._ready.append(run)
        if self._loop is not None:
            self._loop.wake(self)
        elif not self._wake.is_set():  # one wake-up for a burst of completions
            self._wake.set()

    def flush_metrics(self) -> None:
        """Bring the histograms up to date (queue latencies of inputs that started at once
        are counted in bulk); the driver calls it before reading or sampling metrics."""
        if self._zero_waits:
            self._h_queue.update_many(0.0, self._zero_waits)
            self._zero_waits = 0

    def _refresh(self) -> None:
        self.flush_metrics()
        ready = len(self._ready)
        self._g_active.value = len(self._keys)
        self._g_pending_tasks.value = ready
        self._g_executing.value = self.parked - ready
