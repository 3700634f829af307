"""Echo agent on PyFlink's MiniCluster vs the same Python map, same run (issue 16, benchmark 3).

    .venv/bin/python benchmarks/bench_flink.py [--records 200000] [--pairs 5] [--mode thread]

Both jobs are ``numbers -> key_by(n % 100) -> X -> discarding sink`` at parallelism 1, where
X is the echo agent (one action: input event, output event, metrics, keyed state, no event
log) or a bare keyed PyFlink map returning its input (the same Python callback per record,
nothing else). The jobs alternate, ``--pairs`` of each, so both see the same load; medians
are compared. Target: the agent keeps >= 70% of the bare map's records/s.

Three figures per job, each per record:

- **wall**: ``env.execute()`` time (job deployment and the Python worker's start included,
  the same for both; the MiniCluster is up before the first pair);
- **JVM CPU**: user+system CPU of the JVM hosting the MiniCluster (and, in thread mode, the
  Python workers; in process mode they run in processes of their own, not counted), from
  ``/proc``: what the machine pays for the whole job;
- **operator CPU** (thread mode only): CPU of the task thread running X (Java and Python),
  from X's ``open`` to its ``close``: what X itself costs.

The machine is shared: the load average is printed with each pair; ratios of the same run
are meaningful, absolute times less so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from pyflink.datastream import MapFunction, RuntimeContext

from flink_agents_runtime import Agent, AgentsExecutionEnvironment, InputEvent, OutputEvent, action
from flink_agents_runtime.drivers.flink import _function, _remote

#: where the timed functions append their operator CPU seconds (set per job)
CPU_FILE = Path(tempfile.gettempdir()) / f"bench-flink-{os.getpid()}.cpu"


class Echo(Agent):
    @action(InputEvent)
    @staticmethod
    def echo(event, ctx):  # type: ignore[no-untyped-def]
        ctx.send_event(OutputEvent(event.input))


def key_of(n: int) -> int:
    return n % 100


class TimedMap(MapFunction):
    """The bare map: returns its input; writes its thread's CPU seconds at close."""

    def __init__(self, cpu_file: str) -> None:
        self._cpu_file = cpu_file
        self._t0 = 0.0

    def open(self, runtime_context: RuntimeContext) -> None:
        self._t0 = time.thread_time()

    def map(self, value: Any) -> Any:
        return value

    def close(self) -> None:
        with open(self._cpu_file, "a") as f:
            f.write(f"{time.thread_time() - self._t0}\n")


class TimedAgentFunction(_function.AgentProcessFunction):
    """The agent's function, unchanged, writing its thread's CPU seconds at close."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set here, in the driver, so it travels with the function: imported by reference
        # (from bench_in_flight.py) the module's own CPU_FILE would name the worker's pid.
        self.cpu_file = str(CPU_FILE)

    def open(self, runtime_context: Any) -> None:
        self._t0 = time.thread_time()
        super().open(runtime_context)

    def close(self) -> None:
        super().close()
        with open(self.cpu_file, "a") as f:
            f.write(f"{time.thread_time() - self._t0}\n")


def discard(stream: Any) -> None:
    """A sink that drops every record (Flink's DiscardingSink, through the Java API)."""
    from pyflink.java_gateway import get_gateway

    sink = get_gateway().jvm.org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink()
    stream._j_data_stream.sinkTo(sink)


def jvm_cpu() -> float:
    """CPU seconds (user + system) of the JVM behind PyFlink's gateway."""
    from pyflink.java_gateway import get_gateway

    pid = int(get_gateway().jvm.java.lang.ProcessHandle.current().pid())
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def job(n: int, agent: bool, mode: str) -> tuple[float, float, float]:
    """``(wall, JVM CPU, operator CPU)`` seconds of one job over ``n`` records."""
    from pyflink.common import Types, WatermarkStrategy
    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.datastream.connectors.number_seq import NumberSequenceSource

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    agents_env = AgentsExecutionEnvironment.get_execution_environment(
        env, config={"flink.execution-mode": mode}
    )  # configures env for both jobs (Python executable, execution mode)
    source = env.from_source(
        NumberSequenceSource(0, n - 1), WatermarkStrategy.no_watermarks(), "numbers"
    )
    if agent:
        out = agents_env.from_datastream(source, key_selector=key_of).apply(Echo())
        discard(out.to_datastream())
    else:
        keyed = source.key_by(key_of, key_type=Types.PICKLED_BYTE_ARRAY())
        discard(keyed.map(TimedMap(str(CPU_FILE)), output_type=Types.PICKLED_BYTE_ARRAY()))
    CPU_FILE.unlink(missing_ok=True)
    cpu = jvm_cpu()
    start = time.perf_counter()
    env.execute("bench-echo" if agent else "bench-bare")
    wall = time.perf_counter() - start
    cpu = jvm_cpu() - cpu
    op = float("nan")  # process mode: open and close may run on different worker threads
    if mode == "thread":
        op = float(CPU_FILE.read_text().split()[0])
    return wall, cpu, op


def compare(n: int, pairs: int, mode: str = "thread") -> tuple[float, float]:
    """Benchmark 3: warm up, run ``pairs`` alternating pairs of bare-map and echo-agent
    jobs over ``n`` records, print the report; returns the median wall seconds
    ``(bare, agent)``. ``benchmarks/bench_in_flight.py`` part 3 calls it too."""
    # The agent's function, timed (the builder makes the function it names at build time).
    plain = _remote.AgentProcessFunction
    _remote.AgentProcessFunction = TimedAgentFunction  # type: ignore[misc]
    try:
        t0 = time.perf_counter()
        job(10_000, True, mode)
        job(10_000, False, mode)
        print(f"warm-up (JVM start, two 10k jobs): {time.perf_counter() - t0:.1f} s")
        bare: list[tuple[float, float, float]] = []
        agent: list[tuple[float, float, float]] = []
        for i in range(pairs):  # alternating, so both see the same load
            bare.append(job(n, False, mode))
            agent.append(job(n, True, mode))
            print(
                f"  pair {i + 1}: bare {bare[-1][0]:5.2f} s, echo {agent[-1][0]:5.2f} s "
                f"({bare[-1][0] / agent[-1][0]:.0%}); load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    finally:
        _remote.AgentProcessFunction = plain  # type: ignore[misc]
        CPU_FILE.unlink(missing_ok=True)
    print(f"[3] echo on Flink, {mode} mode, {n:,} records, median of {pairs}, per record:")
    print("                 bare map    echo agent   agent adds   bare/agent")
    for i, name in enumerate(("wall", "JVM CPU", "operator CPU")):
        b = statistics.median(x[i] for x in bare) / n * 1e6
        a = statistics.median(x[i] for x in agent) / n * 1e6
        print(f"  {name:13s} {b:7.1f} us   {a:7.1f} us   {a - b:7.1f} us   {b / a:7.0%}")
    b, a = statistics.median(x[0] for x in bare), statistics.median(x[0] for x in agent)
    print(f"  records/s: bare {n / b:,.0f}, echo {n / a:,.0f}: {b / a:.0%} (target >= 70%)")
    ratios = ", ".join(f"{x[0] / y[0]:.0%}" for x, y in zip(bare, agent, strict=True))
    print(f"  per pair: {ratios}; load average {os.getloadavg()[0]:.1f}", flush=True)
    return b, a


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--mode", default="thread", choices=("thread", "process"))
    args = parser.parse_args()
    compare(args.records, args.pairs, args.mode)


if __name__ == "__main__":
    main()
