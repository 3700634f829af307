"""CPU per input of the local in-flight run (issue 16, benchmark 1's workload).

    .venv/bin/python benchmarks/cpu_in_flight.py [--runs 5] [--compare] [--profile out.prof]

1,000 inputs on 50 keys, the ask-and-answer agent, the loopback OpenAI-compatible model
(``tests.helpers.async_openai_server``) in a process of its own answering after 50 ms.
Reports CPU, not wall time (the machine is shared): ``time.process_time()`` over each run
divided by the inputs (the driver's thread and the call loop's thread, both in this
process), and the process's call loop thread's share alone (``time.thread_time()`` read
on it; zero when the local run waits on a loop of its own, ``drivers._driver_loop``).
The job time and its share of the model's limit (1.0 s) are printed too, with the load
average, as a hint only. ``--compare`` alternates runs on the local run's own loop with
runs on the process's loop thread (the design before), against the same server;
``--compare-http`` alternates the direct HTTP/1.1 client (``chat/providers/_http1``) with
aiohttp for every request (the transport before).

``--profile FILE``: one more run under cProfile (timed by each thread's CPU clock, so waits
and preemption by other processes do not count) on both threads (the driver's and the
call loop's), stats merged into ``FILE`` and per thread in ``FILE.driver`` and
``FILE.loop`` (read them with ``pstats``); the top items by own time are printed.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.helpers

from benchmarks.bench_in_flight import inputs, llm_agent
from flink_agents_runtime import AgentsExecutionEnvironment
from flink_agents_runtime.chat.providers import _async_http
from flink_agents_runtime.drivers import _driver_loop
from flink_agents_runtime.engine.awaiting._loop import event_loop
from tests.helpers.async_openai_server import ServerProcess

N, KEYS, DELAY = 1000, 50, 0.05


def on_loop(func: Any) -> Any:
    """``func()`` run on the call loop's thread; its result."""
    import asyncio

    async def run() -> Any:
        return func()

    return asyncio.run_coroutine_threadsafe(run(), event_loop()).result(5)


def one_run(
    url: str, data: list[dict[str, Any]], own: bool = True, direct: bool = True
) -> tuple[float, float, float]:
    """``(job s, process CPU s, loop thread CPU s)`` of one local run (``own``: on a loop
    of its own, else on the process's loop thread; ``direct``: requests on the direct
    HTTP/1.1 client, else all through aiohttp)."""
    _driver_loop.OWN_LOOP = own
    _async_http.DIRECT = direct
    env = AgentsExecutionEnvironment.get_execution_environment()
    loop0 = on_loop(time.thread_time)
    cpu = time.process_time()
    result = env.from_list(data).apply(llm_agent(url)).execute(record=False)
    cpu = time.process_time() - cpu
    loop_cpu = on_loop(time.thread_time) - loop0
    assert len(result.outputs) == len(data), len(result.outputs)
    return result.wall_s, cpu, loop_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", default=None, help="write merged cProfile stats here")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--compare", action="store_true", help="also runs on the process's loop thread"
    )
    parser.add_argument(
        "--compare-http", action="store_true", help="also runs with every request on aiohttp"
    )
    parser.add_argument(
        "--profile-thread", action="store_true", help="profile a run on the loop thread"
    )
    args = parser.parse_args()
    data = inputs(N, KEYS)
    limit = N / KEYS * DELAY
    with ServerProcess(delay_s=DELAY) as server:
        one_run(server.url, data[:KEYS])  # warm-up: imports, the loop, sockets
        one_run(server.url, data[:KEYS], own=False)
        one_run(server.url, data[:KEYS], direct=False)
        variants = {"own loop": (True, True)}
        if args.compare:
            variants["loop thread"] = (False, True)
        if args.compare_http:
            variants["aiohttp"] = (True, False)
        rows: dict[str, list[tuple[float, float, float]]] = {name: [] for name in variants}
        for _ in range(args.runs):  # alternating, so all see the same load
            for name, (own, direct) in variants.items():
                rows[name].append(one_run(server.url, data, own, direct))
        for name, runs in rows.items():
            for job, cpu, loop_cpu in runs:
                print(
                    f"  {name:11}: job {job:5.2f} s = {limit / job:4.0%} of the limit; CPU "
                    f"{cpu / N * 1e3:.3f} ms/input (loop thread {loop_cpu / N * 1e3:.3f})"
                )
            med = statistics.median(r[1] for r in runs) / N * 1e3
            med_loop = statistics.median(r[2] for r in runs) / N * 1e3
            best = min(r[0] for r in runs)
            print(
                f"{name}: CPU per input median {med:.3f} ms (loop thread {med_loop:.3f}); job "
                f"best {limit / best:.0%}, median "
                f"{limit / statistics.median(r[0] for r in runs):.0%} of the limit; "
                f"load average {os.getloadavg()[0]:.1f}"
            )
        if args.profile:
            main_prof = cProfile.Profile(time.thread_time)  # CPU, not wall time
            loop_prof = cProfile.Profile(time.thread_time)
            on_loop(loop_prof.enable)
            main_prof.enable()
            one_run(server.url, data, own=not args.profile_thread)
            main_prof.disable()
            on_loop(loop_prof.disable)
            pstats.Stats(main_prof).dump_stats(args.profile + ".driver")
            pstats.Stats(loop_prof).dump_stats(args.profile + ".loop")
            stats = pstats.Stats(main_prof)
            stats.add(loop_prof)
            stats.dump_stats(args.profile)
            stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
