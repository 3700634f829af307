"""A per-action timeout for async actions (``action.timeout``, ``action.<name>.timeout``).

The cascade drives an async action by yielding the futures it awaits to the driver; here each
one is raced against the action's deadline, so a hung call cannot hold an input forever.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Generator
from concurrent.futures import Future
from typing import Any

from flink_agents_runtime._errors import ActionTimeoutError, ArgumentTypeError


def next_future(coro: Any) -> Future[Any]:
    """The next future an async action's coroutine awaits (``StopIteration`` when it
    returns). Anything else it awaits closes it: :class:`ArgumentTypeError`."""
    awaited = coro.send(None)
    if not isinstance(awaited, Future):
        coro.close()
        raise ArgumentTypeError(
            "an async action may only await ctx.durable_execute_async(...) "
            f"(it awaited {awaited!r}); asyncio primitives do not run inside actions"
        )
    return awaited


def drive_with_deadline(
    coro: Any, timeout: float, action: str, core: Any
) -> Generator[Future[Any], None, None]:
    """Drive an async action's coroutine (as the cascade does) with a deadline ``timeout``
    seconds from now: each awaited future is raced against it (the driver waits on whichever
    comes first); past it the coroutine is closed and :class:`ActionTimeoutError` raised. A
    call still running on the pool is abandoned (threads cannot be stopped); its late outcome
    is dropped."""
    deadline = time.monotonic() + timeout
    try:
        while True:
            awaited = next_future(coro)
            if not awaited.done():
                left = deadline - time.monotonic()
                if left > 0:
                    yield _race(awaited, left)
                if not awaited.done():
                    coro.close()
                    core.abandoned += 1
                    raise ActionTimeoutError(
                        f"async action {action!r} did not finish within its timeout of "
                        f"{timeout:g} s (action.timeout / action.{action}.timeout)"
                    )
    except StopIteration:
        return


def _race(awaited: Future[Any], seconds: float) -> Future[Any]:
    """A future done when ``awaited`` is, or after ``seconds`` (whichever is first)."""
    out: Future[Any] = Future()

    def finish(_: Any = None) -> None:
        if not out.done():
            with contextlib.suppress(Exception):  # lost the race to the other side
                out.set_result(None)
        timer.cancel()

    timer = threading.Timer(seconds, finish)
    timer.daemon = True
    timer.start()
    awaited.add_done_callback(finish)
    return out
