"""The event loop that awaitable calls run on: many calls in flight without a thread each.

``ctx.durable_execute_async(f, ...)`` with an ``async def`` function ``f`` (the HTTP chat
connections' ``achat``, async tools) runs ``f`` on this loop instead of the
``num-async-threads`` pool; the action awaits a :class:`concurrent.futures.Future`, exactly
as for a pool call, so the scheduler treats both alike. Blocking functions keep using the
pool.

One loop per process, on a daemon thread started on first use (a fork gets its own). It is
never stopped: clients bound to it (aiohttp's sessions) can close on it at any time.
Coroutines scheduled here must not block (a blocking call stalls every call in flight).
"""

from __future__ import annotations

import functools
import inspect
import os
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import asyncio

__all__ = ["call_soon", "event_loop", "is_async_callable"]

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_pid = 0


def event_loop() -> asyncio.AbstractEventLoop:
    """The process's call loop (started on a daemon thread on first use)."""
    global _loop, _pid
    import asyncio  # here: importing the runtime stays cheap

    loop = _loop
    if loop is not None and _pid == os.getpid():
        return loop
    with _lock:
        if _loop is None or _pid != os.getpid():
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
    """Run ``coro`` on the call loop; its outcome arrives in the returned future."""
    import asyncio

    return asyncio.run_coroutine_threadsafe(coro, event_loop())


def is_async_callable(func: Callable[..., Any]) -> bool:
    """Whether calling ``func`` returns a coroutine (``async def``, also behind partials)."""
    while isinstance(func, functools.partial):
        func = func.func
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        getattr(func, "__call__", None)  # noqa: B004 (an object with an async __call__)
    )
