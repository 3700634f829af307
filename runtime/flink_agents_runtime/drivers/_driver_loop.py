"""A call loop the driver's own thread runs while it waits (the local driver).

The process's call loop (``engine.awaiting._loop``) runs on a thread of its own: every awaited call
then crosses threads twice (handed to the loop, its outcome handed back), and the two
threads take turns on the interpreter lock while answers arrive. A local run does not need
the second thread: :class:`DriverLoop` is an asyncio loop that the driver's thread runs
itself, only while the scheduler has nothing to step (``wait``) and briefly between runs
(``turn``, so calls started so far go out and answers come in). Cascades are still stepped
outside the running loop (an action may use ``asyncio.run``), on the driver's thread.

While it is in use (:func:`driver_loop`), the loop is the thread's *starter*: calls made on
the thread (``engine.awaiting._loop.call_soon``) start on it, and clients made by those calls
(HTTP connections) are bound to it and closed on it (``engine.awaiting._loop.run_to_end``) before it
closes. A call finishing on another thread (the async pool, a timer) wakes it with
``call_soon_threadsafe``.

Under another loop running on the thread (a notebook kernel's, blocked in the cell that
started the run) the driver loop still runs: the other loop's running mark is lifted while
ours runs and put back after, so actions see it as before. A local run nested in another on
the same thread shares the outer run's loop; one started by a call running on our loop (an
async tool running an agent) uses the process's loop (``None``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Coroutine, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

from flink_agents_runtime.engine.awaiting import _loop

__all__ = ["DriverLoop", "driver_loop"]

T = TypeVar("T")

#: Whether local runs use a loop of their own (``False``: the process's loop thread, as
#: before; benchmarks compare both in one process).
OWN_LOOP = True


class DriverLoop:
    """An asyncio loop run by the thread that made it (see the module docstring)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.get_ident()
        #: each call's future -> its task and coroutine (the loop keeps only weak references
        #: to tasks; a task cancelled before it ran never started the coroutine).
        self._tasks: dict[Future[Any], tuple[asyncio.Task[Any], Coroutine[Any, Any, Any]]] = {}
        self._waiter: object | None = None  # who is in ``wait`` now
        self._wake_pending = False  # a wake-up from another thread is on its way

    def start(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Start ``coro`` (on the owning thread; it runs when the loop next runs), in a copy
        of the caller's context variables; its outcome arrives in the returned future."""
        done: Future[T] = Future()
        done.set_running_or_notify_cancel()
        self._tasks[done] = (self.loop.create_task(self._settled(coro, done)), coro)
        return done

    async def _settled(self, coro: Coroutine[Any, Any, T], done: Future[T]) -> None:
        """Await ``coro`` and copy its outcome into ``done`` from inside the task: the run
        waiting on it is queued in the same turn of the loop (a done-callback would take
        one more turn, and a handle, per call)."""
        try:
            result = await coro
        except asyncio.CancelledError:
            done.set_exception(asyncio.CancelledError())
            raise
        except BaseException as exc:
            done.set_exception(exc)
            if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit
                raise
        else:
            done.set_result(result)
        finally:
            self._tasks.pop(done, None)

    def wait(self, waiter: object, timeout: float | None = None) -> None:
        """Run the loop until :meth:`wake` is called with ``waiter`` (or ``timeout``
        seconds pass). Callbacks due in the same turn of the loop run before it returns."""
        loop = self.loop
        timer = loop.call_later(timeout, loop.stop) if timeout is not None else None
        outer, self._waiter = self._waiter, waiter
        try:
            self._forever()
        finally:
            self._waiter = outer
            if timer is not None:
                timer.cancel()

    def turn(self) -> None:
        """One turn of the loop without blocking: calls started so far are sent, answers
        that arrived are read and their callbacks run."""
        loop = self.loop
        loop.call_soon(loop.stop)
        self._forever()

    def _forever(self) -> None:
        """``run_forever``; under another loop marked running on this thread (a notebook
        kernel's, blocked in the cell that runs us) that mark is lifted meanwhile."""
        outer = asyncio._get_running_loop()
        if outer is None:
            self.loop.run_forever()
            return
        asyncio._set_running_loop(None)
        try:
            self.loop.run_forever()
        finally:
            asyncio._set_running_loop(outer)

    def complete(self, coro: Awaitable[T]) -> T:
        """Run ``coro`` to its end on the loop (idle, on the owning thread); its result."""
        outer = asyncio._get_running_loop()
        asyncio._set_running_loop(None)
        try:
            return self.loop.run_until_complete(coro)
        finally:
            asyncio._set_running_loop(outer)

    def wake(self, waiter: object) -> None:
        """End ``waiter``'s :meth:`wait` (from any thread; nothing if it is not waiting).
        From another thread (the async pool, a timer) a burst of wake-ups costs one write
        to the loop's self-pipe: it ends whichever wait is on when it arrives (a waiter
        woken for nothing waits again)."""
        if threading.get_ident() == self.thread:
            if self._waiter is waiter:
                self.loop.stop()
            return
        if self._wake_pending:
            return
        self._wake_pending = True
        try:
            self.loop.call_soon_threadsafe(self._wake_here)
        except RuntimeError:  # the loop closed: its run is over
            self._wake_pending = False

    def _wake_here(self) -> None:
        self._wake_pending = False  # lowered first: a later wake-up is sent again
        if self._waiter is not None:
            self.loop.stop()

    def close(self) -> None:
        """Cancel the calls still running, let them end, close the loop (and the threads of
        its default executor, where clients look names up). Idempotent."""
        loop = self.loop
        if loop.is_closed():
            return
        try:
            pending = {done: t for done, (t, _) in self._tasks.items() if not t.done()}
            for task in pending.values():
                task.cancel()
            if pending:
                self.complete(asyncio.gather(*pending.values(), return_exceptions=True))
            for done, (_, coro) in list(self._tasks.items()):  # cancelled before they ran
                coro.close()
                if not done.done():
                    done.set_exception(asyncio.CancelledError())
            self._tasks.clear()
            self.complete(loop.shutdown_asyncgens())
            self.complete(loop.shutdown_default_executor())  # DNS look-ups
        finally:
            loop.close()


@contextmanager
def driver_loop() -> Iterator[DriverLoop | None]:
    """The loop a local run on this thread uses (``None``: the process's loop), registered
    as the thread's starter while the block runs and closed after it (unless an outer run
    on this thread made it)."""
    current = _loop.starter()
    if isinstance(current, DriverLoop) and not current.loop.is_running():
        yield current  # a run nested in another one's action: the outer run's loop
        return
    if not OWN_LOOP or isinstance(current, DriverLoop):  # a run inside a call on our loop
        outer = _loop.use_starter(None)
        try:
            yield None
        finally:
            _loop.use_starter(outer)
        return
    own = DriverLoop()
    outer = _loop.use_starter(own)
    try:
        yield own
    finally:
        _loop.use_starter(outer)
        own.close()
