"""``ctx.durable_execute_all_async``: a batch of calls on the async pool, at most
``parallelism`` at a time (a sliding window: a finished call lets the next one start),
results in the calls' order once all are done (Flink Agents 0.4's parallel tool calls).

Durability follows upstream: each call of the batch is a durable call of its own (the
batch takes consecutive call indexes, as if the calls were made one after another); with an
action state store a finished call's outcome is recorded as it finishes, so after a
recovery finished calls keep their outcome and calls that never started (or never
finished) run again.

``timeout_ms`` bounds the whole batch: when it passes, calls still running or waiting get a
:class:`BatchTimeoutError` as their outcome (not recorded; a recovery runs them again) and
waiting calls never start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from flink_agents_runtime._errors import ArgumentTypeError, FlinkAgentsError


class BatchTimeoutError(FlinkAgentsError, TimeoutError):
    """A call of a batch did not finish within the batch's ``timeout_ms``."""


def _as_call(item: Any) -> Callable[[], Any]:
    """A zero-argument callable from a callable or a ``(func, *args)`` tuple."""
    if callable(item):
        return item
    if isinstance(item, tuple) and item and callable(item[0]):
        func, *args = item
        return lambda: func(*args)
    raise ArgumentTypeError(f"a batch call is a callable or a (func, *args) tuple, got {item!r}")


def run_batch(
    ctx: Any,
    base_index: int,
    calls: Sequence[Any],
    parallelism: int,
    timeout_ms: int | None,
    return_exceptions: bool,
) -> Future[list[Any]]:
    """Start the batch; the returned future gets the results list (see the module
    docstring). ``return_exceptions``: a failed call's exception is its result; else the
    first failure (in call order) fails the future."""
    funcs = [_as_call(c) for c in calls]
    n = len(funcs)
    outcomes: list[Any] = [None] * n
    failed: list[bool] = [False] * n
    done = [False] * n
    batch: Future[list[Any]] = Future()
    lock = threading.Lock()
    pool = ctx._core.pool()
    store = ctx._core.durable_store
    state = {"next": 0, "finished": 0, "closed": False}

    def finish() -> None:
        state["closed"] = True
        if return_exceptions:
            batch.set_result(list(outcomes))
            return
        for i in range(n):
            if failed[i]:
                batch.set_exception(outcomes[i])
                return
        batch.set_result(list(outcomes))

    def settle(i: int, value: Any, error: BaseException | None) -> None:
        with lock:
            if state["closed"] or done[i]:
                return
            done[i] = True
            outcomes[i] = error if error is not None else value
            failed[i] = error is not None
            state["finished"] += 1
            if state["finished"] == n:
                finish()
                return
            start_next()

    def run_slot(i: int) -> None:
        func = funcs[i]
        slot = None
        if store is not None:
            try:
                found, slot = store.lookup(ctx, base_index + i, func)
            except Exception as exc:  # a recorded exception is re-raised by lookup
                settle(i, None, exc)
                return
            if found:
                settle(i, slot, None)
                return
        try:
            value = func()
        except Exception as exc:
            if slot is not None:
                store.record(slot, None, exc)
            settle(i, None, exc)
            return
        if slot is not None:
            store.record(slot, value)
        settle(i, value, None)

    def start_next() -> None:  # called with the lock held
        while state["next"] < n and state["next"] - state["finished"] < parallelism:
            i = state["next"]
            state["next"] += 1
            pool.submit(run_slot, i)

    def on_timeout() -> None:
        with lock:
            if state["closed"]:
                return
            for i in range(n):
                if not done[i]:
                    done[i] = True
                    failed[i] = True
                    outcomes[i] = BatchTimeoutError(
                        f"call {i} of a batch of {n} (action {ctx.action_name!r}, key "
                        f"{ctx.key!r}) did not finish within {timeout_ms} ms"
                    )
            finish()

    if n == 0:
        batch.set_result([])
        return batch
    if timeout_ms is not None and timeout_ms >= 0:
        timer = threading.Timer(timeout_ms / 1000.0, on_timeout)
        timer.daemon = True
        timer.start()
        batch.add_done_callback(lambda _f: timer.cancel())
    with lock:
        start_next()
    return batch
