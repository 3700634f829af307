"""The event loop that awaitable calls run on: many calls in flight without a thread each.

``ctx.durable_execute_async(f, ...)`` with an ``async def`` function ``f`` (the HTTP chat
connections' ``achat``, async tools) runs ``f`` on this loop instead of the
``num-async-threads`` pool; the action awaits a :class:`concurrent.futures.Future`, exactly
as for a pool call, so the scheduler treats both alike. Blocking functions keep using the
pool.

One loop per process, on a daemon thread started on first use (a fork gets its own). Calls
are handed over in batches: ``call_soon`` queues the coroutine and wakes the loop only when
no wake-up is pending, so a driver that starts fifty calls in one step pays for one wake-up
(a write to the loop's self-pipe, whose release of the interpreter lock lets the loop thread
in), not fifty. Each coroutine runs in a copy of its caller's context variables, as with
``asyncio.run_coroutine_threadsafe``. The loop is never stopped: clients bound to it
(aiohttp's sessions) can close on it at any time.
Coroutines scheduled here must not block (a blocking call stalls every call in flight).

A driver may run a loop of its own on its thread instead (``drivers._driver_loop``: the
local driver runs it while it waits, so calls and cascades share one thread and no
interpreter-lock hand-over): it registers as this thread's *starter*, and ``call_soon`` on
that thread hands coroutines to it. :func:`run_to_end` closes a client on whichever loop
made it.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import os
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from inspect import CO_COROUTINE
from types import FunctionType, MethodType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "Starter",
    "call_soon",
    "event_loop",
    "is_async_callable",
    "run_to_end",
    "settle",
    "starter",
    "use_starter",
]

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_pid = 0
#: Coroutines handed to the loop and not started yet (appended on any thread).
_pending: deque[tuple[Coroutine[Any, Any, Any], Future[Any], contextvars.Context]] = deque()
#: Whether a wake-up of the loop is on its way (it starts everything pending).
_wake_pending = False
#: Tasks started and not finished (touched on the loop only).
_running: set[asyncio.Task[Any]] = set()
#: ``.starter``: what starts the calls made on this thread instead of the process's loop.
_local = threading.local()


class Starter(Protocol):
    """A loop a driver runs on its own thread (``drivers._driver_loop.DriverLoop``)."""

    loop: asyncio.AbstractEventLoop

    def start(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Start ``coro`` on :attr:`loop` (called on the owning thread)."""

    def complete(self, coro: Awaitable[T]) -> T:
        """Run ``coro`` to its end on the idle :attr:`loop` (on the owning thread)."""


def starter() -> Starter | None:
    """The starter registered on this thread (``None``: calls go to the process's loop)."""
    return getattr(_local, "starter", None)


def use_starter(new: Starter | None) -> Starter | None:
    """Register ``new`` as this thread's starter; returns the one it replaces."""
    old = getattr(_local, "starter", None)
    _local.starter = new
    return old


def event_loop() -> asyncio.AbstractEventLoop:
    """The process's call loop (started on a daemon thread on first use)."""
    global _loop, _pid, _wake_pending
    import asyncio  # here: importing the runtime stays cheap

    loop = _loop
    if loop is not None and _pid == os.getpid():
        return loop
    with _lock:
        if _loop is None or _pid != os.getpid():
            if _loop is not None:  # a fork: the parent's hand-over is not this loop's
                _pending.clear()
                _running.clear()
                _wake_pending = False
            ready = threading.Event()
            new = asyncio.new_event_loop()

            def run() -> None:
                asyncio.set_event_loop(new)
                new.call_soon(ready.set)
                new.run_forever()

            threading.Thread(target=run, name="flink-agents-loop", daemon=True).start()
            ready.wait()
            _loop, _pid = new, os.getpid()
        return _loop


def call_soon(coro: Coroutine[Any, Any, T]) -> Future[T]:
    """Run ``coro`` on the call loop (this thread's starter's, when one is registered); its
    outcome arrives in the returned future."""
    global _wake_pending
    own = getattr(_local, "starter", None)
    if own is not None:
        return own.start(coro)
    loop = event_loop()
    done: Future[T] = Future()
    _pending.append((coro, done, contextvars.copy_context()))
    if not _wake_pending:
        _wake_pending = True
        try:
            loop.call_soon_threadsafe(_start_pending, loop)
        except BaseException:
            _wake_pending = False
            raise
    return done


def _start_pending(loop: asyncio.AbstractEventLoop) -> None:
    """On the loop: start every pending coroutine (the flag is lowered first, so a call
    queued from now on wakes the loop again)."""
    global _wake_pending
    _wake_pending = False
    pending = _pending
    while pending:
        coro, done, context = pending.popleft()
        if not done.set_running_or_notify_cancel():  # cancelled before it started
            coro.close()
            continue
        task = context.run(loop.create_task, coro)
        _running.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(functools.partial(_settle, done))


def _settle(done: Future[Any], task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    settle(done, task)


def settle(done: Future[Any], task: asyncio.Task[Any]) -> None:
    """Copy a finished task's outcome into its caller's future."""
    if task.cancelled():
        import asyncio

        done.set_exception(asyncio.CancelledError())
        return
    exc = task.exception()
    if exc is not None:
        done.set_exception(exc)
    else:
        done.set_result(task.result())


def run_to_end(
    loop: asyncio.AbstractEventLoop | None, coro: Coroutine[Any, Any, T], timeout: float
) -> T | None:
    """Run ``coro`` to its end on ``loop`` (the loop a client was made on, to close it
    there) and return its result, waiting at most ``timeout`` seconds: on this thread when
    ``loop`` is this thread's starter's and idle, else handed to the thread running it.
    Nothing runs (``None``) when ``loop`` is ``None`` or closed."""
    import asyncio

    if loop is None or loop.is_closed():
        coro.close()
        return None
    own = getattr(_local, "starter", None)
    if own is not None and own.loop is loop and not loop.is_running():
        return own.complete(asyncio.wait_for(coro, timeout))
    return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)


def is_async_callable(func: Callable[..., Any]) -> bool:
    """Whether calling ``func`` returns a coroutine (``async def``, also behind partials)."""
    while isinstance(func, functools.partial):
        func = func.func
    if type(func) is MethodType and type(func.__func__) is FunctionType:
        func = func.__func__  # a bound method (a connection's achat): its function decides
    if type(func) is FunctionType:  # the common case, without inspect's unwrapping
        return bool(func.__code__.co_flags & CO_COROUTINE)
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        getattr(func, "__call__", None)  # noqa: B004 (an object with an async __call__)
    )
