"""Inputs in flight per subtask (issue 16): LLM-bound agents at the speed of the model.

    .venv/bin/python benchmarks/bench_in_flight.py [--only 1,2,3] [--echo-records 200000]

All figures come from one run; ratios compare jobs of the same run.

1. 1,000 inputs on 50 keys, an OpenAI-compatible loopback model answering after 50 ms:
   local and Flink (parallelism 1, thread mode) against the model's limit (one call per key
   at a time: inputs/keys x latency = 1.0 s). Targets: local >= 90% of the limit; Flink job
   time <= 1.5x the local time.
2. 5,000 inputs on 1,000 keys, 1 s model: peak calls in flight (from the server's call log)
   and inputs/s, both drivers. Target: >= 500 calls in flight per subtask (a thread-pool
   design holds 2 x cores).
3. Echo agent overhead on Flink, thread mode: source -> agent -> discarding sink against
   source -> the same Python map -> discarding sink. Target: >= 70% of the bare map.

The loopback server is ``tests.helpers.async_openai_server`` (the standard library's
asyncio streams: one thread holds thousands of connections, no extra dependency), in a
process of its own so that its CPU does not slow the client's interpreter.
Flink job times include the MiniCluster job start (a few seconds); the local times include
the run's setup. The model's limit ignores both.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.helpers

from flink_agents_runtime import (
    Agent,
    AgentsExecutionEnvironment,
    InputEvent,
    OpenAIChatModelConnection,
    OutputEvent,
    ResourceDescriptor,
    action,
)
from tests.helpers.async_openai_server import ServerProcess
from tests.helpers.openai_server import ask_and_answer_agent


def llm_agent(url: str) -> Agent:
    connection = ResourceDescriptor(OpenAIChatModelConnection, base_url=url, api_key="bench")
    return ask_and_answer_agent(connection)


def inputs(n: int, keys: int) -> list[dict[str, Any]]:
    return [{"key": i % keys, "value": f"k{i % keys}:{i}"} for i in range(n)]


def run_local(url: str, data: list[dict[str, Any]], **config: Any) -> tuple[float, int]:
    env = AgentsExecutionEnvironment.get_execution_environment(config=config)
    start = time.perf_counter()
    result = env.from_list(data).apply(llm_agent(url)).execute(record=False)
    wall = time.perf_counter() - start
    return wall, len(result.outputs)


def discard(stream: Any) -> None:
    """A sink that drops every record (Flink's DiscardingSink, through the Java API)."""
    from pyflink.java_gateway import get_gateway

    gateway = get_gateway()
    sink = gateway.jvm.org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink()
    stream._j_data_stream.sinkTo(sink)


def run_flink(url: str, data: list[dict[str, Any]], **config: Any) -> tuple[float, int]:
    """Job time of the agent over ``data`` on a MiniCluster (p=1); outputs counted by a
    file sink would cost more than the agent, so they are counted by the server's log."""
    from pyflink.datastream import StreamExecutionEnvironment

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
    return time.perf_counter() - start, len(data)


def measure(delay: float, data: list[dict[str, Any]], flink: bool, **config: Any) -> Any:
    """``(wall_s, calls, peak calls in flight, span_s)`` of one run against a fresh server;
    the span runs from the first call's start to the last call's end (the agent's work
    without the job's start and finish)."""
    with ServerProcess(delay_s=delay) as server:
        if flink:
            wall, _ = run_flink(server.url, data, **config)
        else:
            wall, got = run_local(server.url, data, **config)
            assert got == len(data), got
    span = max(end for _, end, _ in server.calls) - min(start for start, _, _ in server.calls)
    return wall, len(server.calls), server.peak_in_flight(), span


def part1() -> None:
    n, keys, delay = 1000, 50, 0.05
    limit = n / keys * delay
    data = inputs(n, keys)
    measure(delay, data[:keys], flink=False)  # warm-up: imports, sockets
    measure(delay, data[:keys], flink=True)  # warm-up: JVM, MiniCluster
    local, _, local_peak, local_span = measure(delay, data, flink=False)
    flink, calls, flink_peak, flink_span = measure(delay, data, flink=True)
    assert calls == n, calls
    print(f"[1] {n} inputs on {keys} keys, {delay * 1000:.0f} ms model: limit {limit:.2f} s")
    print(f"    local : {local:6.2f} s = {limit / local:5.0%} of the limit (target >= 90%)")
    print(f"            peak calls in flight {local_peak}, calls span {local_span:.2f} s")
    print(f"    flink : {flink:6.2f} s = {flink / local:5.2f}x local (target <= 1.5x)")
    print(f"            peak calls in flight {flink_peak}, calls span {flink_span:.2f} s")


def part2() -> None:
    n, keys, delay = 5000, 1000, 1.0
    data = inputs(n, keys)
    config = {"max-in-flight-inputs": 2000}
    local, _, local_peak, _ = measure(delay, data, flink=False, **config)
    flink, calls, flink_peak, _ = measure(delay, data, flink=True, **config)
    assert calls == n, calls
    print(f"[2] {n} inputs on {keys} keys, {delay:.0f} s model (limit {n / keys * delay:.0f} s)")
    print(f"    local : peak {local_peak:5d} calls in flight, {n / local:7.0f} inputs/s")
    print(f"    flink : peak {flink_peak:5d} calls in flight, {n / flink:7.0f} inputs/s (p=1)")
    print("    target: >= 500 calls in flight per subtask", flush=True)


class Echo(Agent):
    @action(InputEvent)
    @staticmethod
    def echo(event, ctx):  # type: ignore[no-untyped-def]
        ctx.send_event(OutputEvent(event.input))


def key_of(n: int) -> int:
    return n % 100


def same(n: int) -> int:
    return n


def echo_job(n: int, agent: bool) -> float:
    """Job time: numbers -> key_by -> (agent | the same Python map) -> discarding sink."""
    from pyflink.common import Types, WatermarkStrategy
    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.datastream.connectors.number_seq import NumberSequenceSource

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    agents_env = AgentsExecutionEnvironment.get_execution_environment(env)  # configures env
    source = env.from_source(
        NumberSequenceSource(0, n - 1), WatermarkStrategy.no_watermarks(), "numbers"
    )
    if agent:
        out = agents_env.from_datastream(source, key_selector=key_of).apply(Echo())
        discard(out.to_datastream())
    else:
        keyed = source.key_by(key_of, key_type=Types.PICKLED_BYTE_ARRAY())
        discard(keyed.map(same, output_type=Types.PICKLED_BYTE_ARRAY()))
    start = time.perf_counter()
    env.execute("bench-echo" if agent else "bench-bare")
    return time.perf_counter() - start


def part3(n: int) -> None:
    echo_job(10_000, True)  # warm-up
    bare = min(echo_job(n, False) for _ in range(2))
    agent = min(echo_job(n, True) for _ in range(2))
    print(f"[3] echo on Flink, thread mode, {n:,} records, best of 2, job time")
    print(f"    bare key_by + map : {bare:6.2f} s = {n / bare:9,.0f} records/s")
    print(f"    echo agent        : {agent:6.2f} s = {n / agent:9,.0f} inputs/s")
    print(f"    ratio agent/bare  : {bare / agent:.0%} (target >= 70%)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="1,2,3", help="parts to run, e.g. 1,3")
    parser.add_argument("--echo-records", type=int, default=200_000)
    args = parser.parse_args()
    parts = {int(p) for p in args.only.split(",")}
    if 1 in parts:
        part1()
    if 2 in parts:
        part2()
    if 3 in parts:
        part3(args.echo_records)


if __name__ == "__main__":
    main()
