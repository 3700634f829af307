"""Inputs in flight per subtask (issue 16): LLM-bound agents at the speed of the model.

    .venv/bin/python benchmarks/bench_in_flight.py [--only 1,2,3] [--echo-records 200000]
        [--repeat 3] [--local-only]

All figures come from one run; ratios compare jobs of the same run; each part prints the
load average (the machine is shared: absolute times are noisy, ratios less so).

1. 1,000 inputs on 50 keys, an OpenAI-compatible loopback model answering after 50 ms:
   local and Flink (parallelism 1, thread mode) against the model's limit (one call per key
   at a time: inputs/keys x latency = 1.0 s). Targets: local >= 90% of the limit; Flink job
   time <= 1.5x the local time. Best and median of ``--repeat`` runs each.

   *Job time* is the agent's own time, from its first input to the end of its last run,
   on both drivers: locally ``RunResult.wall_s`` (the driver's first input to its last
   output, the run's executor and clients closed); on Flink ``lastRunAt - firstInputAt``
   from the subtask's metric totals file (written at close). It leaves out what only one
   driver pays: the MiniCluster's start-up, job deployment and the Python worker's start
   on Flink (the whole ``execute()`` is printed too); the environment's set-up locally.
   The server's log gives a third view, the same for both: the span from the first call's
   start to the last call's end.
2. 5,000 inputs on 1,000 keys, 1 s model: peak calls in flight (from the server's call log)
   and inputs/s, both drivers. Target: >= 500 calls in flight per subtask (a thread-pool
   design holds 2 x cores).
3. Echo agent overhead on Flink, thread mode: ``benchmarks/bench_flink.py`` (source ->
   agent -> discarding sink against source -> the same Python map -> discarding sink,
   three alternating pairs, medians of wall time, JVM CPU and operator-thread CPU per
   record). Target: >= 70% of the bare map.

The loopback server is ``tests.helpers.async_openai_server``: the standard library's
asyncio streams (one thread holds thousands of connections, no extra dependency), in a
process of its own, so its CPU does not compete with the client's interpreter lock.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.helpers

from flink_agents_runtime import (
    Agent,
    AgentsExecutionEnvironment,
    OpenAIChatModelConnection,
    ResourceDescriptor,
)
from tests.helpers.async_openai_server import ServerProcess
from tests.helpers.openai_server import ask_and_answer_agent


def llm_agent(url: str) -> Agent:
    connection = ResourceDescriptor(OpenAIChatModelConnection, base_url=url, api_key="bench")
    return ask_and_answer_agent(connection)


def inputs(n: int, keys: int) -> list[dict[str, Any]]:
    return [{"key": i % keys, "value": f"k{i % keys}:{i}"} for i in range(n)]


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"


def run_local(url: str, data: list[dict[str, Any]], **config: Any) -> tuple[float, float, int]:
    """``(job time, CPU seconds of this process, outputs)`` of a local run."""
    env = AgentsExecutionEnvironment.get_execution_environment(config=config)
    cpu = time.process_time()
    result = env.from_list(data).apply(llm_agent(url)).execute(record=False)
    return result.wall_s, time.process_time() - cpu, len(result.outputs)


def discard(stream: Any) -> None:
    """A sink that drops every record (Flink's DiscardingSink, through the Java API)."""
    from pyflink.java_gateway import get_gateway

    gateway = get_gateway()
    sink = gateway.jvm.org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink()
    stream._j_data_stream.sinkTo(sink)


def run_flink(url: str, data: list[dict[str, Any]], **config: Any) -> tuple[float, float]:
    """``(job time, execute() time)`` of the agent over ``data`` on a MiniCluster (p=1).
    The job time comes from the subtask's metric totals (see the module docstring); no
    event log is written (as the local run records nothing). Outputs go to a discarding
    sink and are counted by the server's log."""
    from pyflink.datastream import StreamExecutionEnvironment

    with tempfile.TemporaryDirectory() as logs:
        config = {"baseLogDir": logs, "event-log.level": "OFF", **config}
        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_parallelism(1)
        agents_env = AgentsExecutionEnvironment.get_execution_environment(env, config=config)
        pairs = [(d["key"], d["value"]) for d in data]
        source = env.from_collection(pairs)
        out = agents_env.from_datastream(
            source, key_selector=lambda p: p[0], value_selector=lambda p: p[1]
        ).apply(llm_agent(url))
        discard(out.to_datastream())
        start = time.perf_counter()
        agents_env.execute("bench-in-flight")
        wall = time.perf_counter() - start
        (totals,) = [json.loads(p.read_text()) for p in Path(logs).glob("metrics-*.json")]
    return totals["lastRunAt"] - totals["firstInputAt"], wall


class Run:
    """One measured run: job time, ``execute()``/whole wall time, CPU (local), calls."""

    def __init__(self, job: float, wall: float, cpu: float, server: ServerProcess) -> None:
        self.job, self.wall, self.cpu = job, wall, cpu
        self.calls = len(server.calls)
        self.server_cpu = server.cpu_s
        self.peak = server.peak_in_flight()
        starts = [start for start, _, _ in server.calls]
        self.span = max(end for _, end, _ in server.calls) - min(starts)


def measure(delay: float, data: list[dict[str, Any]], flink: bool, **config: Any) -> Run:
    """One run against a fresh server."""
    with ServerProcess(delay_s=delay) as server:
        if flink:
            job, wall = run_flink(server.url, data, **config)
            cpu = float("nan")
        else:
            start = time.perf_counter()
            job, cpu, got = run_local(server.url, data, **config)
            wall = time.perf_counter() - start
            assert got == len(data), got
    return Run(job, wall, cpu, server)


def part1(repeat: int, with_flink: bool = True) -> None:
    n, keys, delay = 1000, 50, 0.05
    limit = n / keys * delay
    data = inputs(n, keys)
    measure(delay, data[:keys], flink=False)  # warm-up: imports, sockets
    if with_flink:
        measure(delay, data[:keys], flink=True)  # warm-up: JVM, MiniCluster
    local: list[Run] = []
    flink: list[Run] = []
    for i in range(repeat):  # alternating, so both drivers see the same load
        local.append(measure(delay, data, flink=False))
        if not with_flink:
            print(f"    run {i + 1}: local {local[-1].job:.2f} s, {load()}", flush=True)
            continue
        flink.append(measure(delay, data, flink=True))
        assert flink[-1].calls == n, flink[-1].calls
        print(
            f"    run {i + 1}: local {local[-1].job:.2f} s, flink {flink[-1].job:.2f} s "
            f"(execute {flink[-1].wall:.2f} s), {load()}",
            flush=True,
        )
    lj = [r.job for r in local]
    best_l, med_l = min(lj), statistics.median(lj)
    cpu = statistics.median(r.cpu for r in local) / n * 1000
    print(f"[1] {n} inputs on {keys} keys, {delay * 1000:.0f} ms model: limit {limit:.2f} s")
    print(
        f"    local : job {best_l:5.2f} s best = {limit / best_l:4.0%} of the limit, "
        f"median {med_l:5.2f} s = {limit / med_l:4.0%} (target >= 90%)"
    )
    print(f"            CPU {cpu:.2f} ms per input (median; every thread of the process)")
    if not with_flink:
        span = statistics.median(r.span for r in local)
        print(f"    local calls: span {span:.2f} s median; {load()}", flush=True)
        return
    fj = [r.job for r in flink]
    best_f, med_f = min(fj), statistics.median(fj)
    print(
        f"    flink : job {best_f:5.2f} s best = {best_f / best_l:4.2f}x local best, "
        f"median {med_f:5.2f} s = {med_f / med_l:4.2f}x local median (target <= 1.5x)"
    )
    print(
        f"            execute() {statistics.median(r.wall for r in flink):.2f} s median "
        "(with job start-up and finish)"
    )
    for name, runs in (("local", local), ("flink", flink)):
        print(
            f"    {name} calls: span {statistics.median(r.span for r in runs):.2f} s median, "
            f"peak in flight {max(r.peak for r in runs)}"
        )
    server_cpu = statistics.median(r.server_cpu / r.calls for r in local + flink) * 1000
    print(f"    server (own process): {server_cpu:.2f} ms CPU per call")
    print(f"    {load()}", flush=True)


def part2() -> None:
    n, keys, delay = 5000, 1000, 1.0
    data = inputs(n, keys)
    config = {"max-in-flight-inputs": 2000}
    local = measure(delay, data, flink=False, **config)
    flink = measure(delay, data, flink=True, **config)
    assert flink.calls == n, flink.calls
    print(f"[2] {n} inputs on {keys} keys, {delay:.0f} s model (limit {n / keys * delay:.0f} s)")
    print(f"    local : peak {local.peak:5d} calls in flight, {n / local.job:7.0f} inputs/s")
    print(f"    flink : peak {flink.peak:5d} calls in flight, {n / flink.job:7.0f} inputs/s (p=1)")
    print(f"    target: >= 500 calls in flight per subtask; {load()}", flush=True)


def part3(n: int, repeat: int = 3) -> None:
    """Benchmark 3 is ``benchmarks/bench_flink.py`` (its jobs, its report)."""
    from benchmarks.bench_flink import compare

    compare(n, repeat, "thread")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="1,2,3", help="parts to run, e.g. 1,3")
    parser.add_argument("--echo-records", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per driver in part 1")
    parser.add_argument("--local-only", action="store_true", help="part 1 without Flink")
    args = parser.parse_args()
    parts = {int(p) for p in args.only.split(",")}
    if 1 in parts:
        part1(args.repeat, with_flink=not args.local_only)
    if 2 in parts:
        part2()
    if 3 in parts:
        part3(args.echo_records)


if __name__ == "__main__":
    main()
