"""What the scheduler costs the local echo run (issue 16 target: at most 10%).

    .venv/bin/python benchmarks/bench_scheduler_cost.py [--inputs 200000] [--repeat 5]

An echo agent (one action, input -> output) over ``--inputs`` inputs on 100 keys,
``execute(record=False)``, run by the local driver as it is (through the scheduler, with its
own call loop) and by the same driver whose input loop is replaced by the loop it had before
the scheduler: each input's cascade stepped to its end (``InputTask.run_blocking``), outputs
collected the same way. Alternating, in one process; CPU seconds (``time.process_time``),
the median of ``--repeat`` of each. Prints the CPU per input of both and the scheduler's
share, with the load average (absolute figures are noisy on a shared machine; the ratio
less so).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Iterator
from typing import Any

from flink_agents_runtime import Agent, AgentsExecutionEnvironment, InputEvent, OutputEvent
from flink_agents_runtime.drivers import _local
from flink_agents_runtime.engine.reporting._run import Output


def echo_agent() -> Agent:
    return Agent().add_action(
        "echo", [InputEvent], lambda e, ctx: ctx.send_event(OutputEvent(e.input))
    )


def direct_drive(
    core: Any,
    records: Iterator[tuple[Any, Any]],
    outputs: list[Output],
    registry: Any,
    progress: Any,
    total: int | None,
    loop: Any = None,
) -> None:
    """The local driver's input loop without the scheduler (for echo: nothing waits)."""
    for seq, (key, value) in enumerate(records):
        task = core.start(key, value, seq)
        task.run_blocking()
        if task.outputs:
            outputs.extend(Output(key, task.input_seq, v) for v in task.outputs)


def one(n: int, scheduled: bool) -> float:
    """CPU seconds of one echo run over ``n`` inputs."""
    pairs = [(i % 100, i) for i in range(n)]
    env = AgentsExecutionEnvironment.get_execution_environment()
    builder = env.from_pairs(pairs).apply(echo_agent())
    drive = _local._drive
    if not scheduled:
        _local._drive = direct_drive  # type: ignore[assignment]
    try:
        cpu = time.process_time()
        result = builder.execute(record=False)
        cpu = time.process_time() - cpu
    finally:
        _local._drive = drive
    assert [o.value for o in result.outputs[:3]] == [0, 1, 2]
    assert len(result.outputs) == n
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n = args.inputs
    one(10_000, True)  # warm-up
    one(10_000, False)
    with_s: list[float] = []
    without: list[float] = []
    for _ in range(args.repeat):  # alternating, so both see the same load
        with_s.append(one(n, True))
        without.append(one(n, False))
    a, b = statistics.median(with_s), statistics.median(without)
    print(f"echo run, {n:,} inputs on 100 keys, record=False, median of {args.repeat} (CPU):")
    print(f"  through the scheduler : {a / n * 1e6:6.2f} us per input")
    print(f"  stepped directly      : {b / n * 1e6:6.2f} us per input")
    print(f"  scheduler's cost      : {a / b - 1:+.1%} (target <= 10%)")
    print(f"  load average {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
