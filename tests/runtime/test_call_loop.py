"""The call loop (``engine/awaiting/_loop.py``): coroutines handed over from any thread start on the
loop in batches, each in a copy of its caller's context variables, with its outcome (result
or exception) in the returned future."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from concurrent.futures import Future

import pytest

from flink_agents_runtime.engine.awaiting import _loop
from flink_agents_runtime.engine.awaiting._loop import call_soon, event_loop

WHO: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


async def answer(value: int, delay: float = 0.0) -> tuple[int, str, str]:
    await asyncio.sleep(delay)
    return value, WHO.get(), threading.current_thread().name


async def fail() -> None:
    raise ValueError("the call failed")


def test_a_burst_of_calls_runs_on_the_loop_each_with_its_callers_context() -> None:
    futures = []
    for i in range(200):
        token = WHO.set(f"caller-{i}")
        futures.append(call_soon(answer(i, 0.01)))
        WHO.reset(token)
    results = [f.result(10) for f in futures]
    assert [r[0] for r in results] == list(range(200))
    assert [r[1] for r in results] == [f"caller-{i}" for i in range(200)]
    assert {r[2] for r in results} == {"flink-agents-loop"}


def test_calls_from_many_threads_all_complete() -> None:
    out: list[Future[tuple[int, str, str]]] = []
    lock = threading.Lock()

    def submit(base: int) -> None:
        for i in range(50):
            f = call_soon(answer(base + i))
            with lock:
                out.append(f)

    threads = [threading.Thread(target=submit, args=(t * 100,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = sorted(f.result(10)[0] for f in out)
    assert got == sorted(t * 100 + i for t in range(8) for i in range(50))


def test_an_exception_reaches_the_future() -> None:
    with pytest.raises(ValueError, match="the call failed"):
        call_soon(fail()).result(10)


def test_a_call_cancelled_before_it_starts_never_runs() -> None:
    loop = event_loop()
    gate = threading.Event()
    ran = []

    async def record() -> None:
        ran.append(True)

    loop.call_soon_threadsafe(gate.wait, 5)  # hold the loop so the call stays pending
    try:
        pending = call_soon(record())
        assert pending.cancel()
    finally:
        gate.set()
    call_soon(answer(1)).result(10)  # the loop has handled everything queued before
    assert ran == [] and pending.cancelled()
    assert not _loop._pending


def _child_call(conn: object) -> None:
    conn.send(call_soon(answer(7)).result(10)[0])  # type: ignore[attr-defined]


def test_a_forked_process_gets_a_loop_of_its_own() -> None:
    import multiprocessing

    call_soon(answer(1)).result(10)  # the parent's loop is running
    _loop._wake_pending = True  # as if a hand-over were on its way at the fork
    try:
        ctx = multiprocessing.get_context("fork")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_child_call, args=(child,))
        proc.start()
        assert parent.poll(20), "the child's call never finished"
        assert parent.recv() == 7
        proc.join(10)
    finally:
        _loop._wake_pending = False


def test_a_call_waiting_on_nothing_else_is_not_collected() -> None:
    import gc

    async def orphan() -> None:
        # Only the task references the future it awaits: without a strong reference to
        # the task, a collection destroys it and its caller waits forever.
        await asyncio.get_running_loop().create_future()

    pending = call_soon(orphan())
    call_soon(answer(1)).result(10)  # the orphan has started and is waiting
    gc.collect()
    (task,) = [t for t in list(_loop._running) if not t.done()]
    event_loop().call_soon_threadsafe(task.cancel)
    with pytest.raises(asyncio.CancelledError):
        pending.result(10)  # still reachable: its outcome arrives
    assert task not in _loop._running
