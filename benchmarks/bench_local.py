"""Local throughput: a one-action echo agent over 100k inputs on 100 keys, metrics on.

Compares, in the same run, against Apache Flink Agents 0.3.1's local runner on the same agent
and input when its venv exists (make it with ``benchmarks/make_flink_agents_venv.sh``).

    .venv/bin/python benchmarks/bench_local.py [--inputs 100000] [--keys 100] [--repeat 3]

Prints inputs/s and events/s for each and the ratio (events/s, ours / theirs). Events count
as Flink Agents counts them: the input event and the output event of each input. Ours runs
``--repeat`` times, unrecorded and recorded alternately, and reports the run with the least
CPU time of each (a shared machine's noise only ever slows a run down; the CPU rate is
printed beside the wall-clock one), plus what recording costs per event.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASELINE_PY = HERE / ".venv-flink-agents" / "bin" / "python"

# The same agent, written against Flink Agents 0.3.1's API; prints one JSON line.
BASELINE_SCRIPT = r"""
import json, sys, time, logging
if sys.argv[3] == "silenced":
    logging.disable(logging.CRITICAL)
from flink_agents.api.agents.agent import Agent
from flink_agents.api.decorators import action
from flink_agents.api.events.event import InputEvent, OutputEvent
from flink_agents.api.execution_environment import AgentsExecutionEnvironment
from flink_agents.api.events.event import Event
from flink_agents.api.runner_context import RunnerContext

class Echo(Agent):
    @action(InputEvent.EVENT_TYPE)
    @staticmethod
    def echo(event: Event, ctx: RunnerContext) -> None:  # 0.3.1 requires the annotations
        ctx.send_event(OutputEvent(output=event.input))

n, keys = int(sys.argv[1]), int(sys.argv[2])
inputs = [{"key": i % keys, "value": i} for i in range(n)]
env = AgentsExecutionEnvironment.get_execution_environment()
out = env.from_list(inputs).apply(Echo()).to_list()
t = time.perf_counter()
env.execute()
wall = time.perf_counter() - t
print(json.dumps({"wall_s": wall, "outputs": len(out)}))
"""


def run_ours(n: int, keys: int, record: bool) -> dict[str, float]:
    import flink_agents_runtime as fr

    class Echo(fr.Agent):
        @fr.action(fr.InputEvent)
        @staticmethod
        def echo(event: fr.Event, ctx: fr.RunnerContext) -> None:
            ctx.send_event(fr.OutputEvent(output=event.input))

    inputs = [{"key": i % keys, "value": i} for i in range(n)]
    env = fr.AgentsExecutionEnvironment.get_execution_environment()
    t, cpu = time.perf_counter(), time.process_time()
    run = env.from_list(inputs).apply(Echo()).execute(record=record)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    assert len(run.outputs) == n
    events = run.metric_counts["numOfEventProcessed"]
    assert events == 2 * n
    return {"wall_s": wall, "cpu_s": cpu, "events": events}


def run_baseline(n: int, keys: int, logging_mode: str) -> dict[str, float] | None:
    """Run the baseline in its venv; ``logging_mode`` is ``as-shipped`` (0.3.1 logs three
    INFO lines per input to stderr on import) or ``silenced`` (logging disabled)."""
    done = subprocess.run(
        [str(BASELINE_PY), "-c", BASELINE_SCRIPT, str(n), str(keys), logging_mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL if logging_mode == "silenced" else subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print("baseline failed:\n" + done.stderr[-2000:], file=sys.stderr)
        return None
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["outputs"] == n
    return {"wall_s": result["wall_s"], "events": 2 * n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--keys", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, keys = args.inputs, args.keys

    def line(name: str, r: dict[str, float]) -> float:
        rate = r["events"] / r["wall_s"]
        cpu = f" ({r['events'] / r['cpu_s']:,.0f} per CPU s)" if "cpu_s" in r else ""
        print(f"{name:<44} {n / r['wall_s']:>12,.0f} inputs/s {rate:>12,.0f} events/s{cpu}")
        return rate

    print(f"echo agent, {n:,} inputs on {keys} keys, metrics on (best of {args.repeat})")
    best: dict[bool, dict[str, float]] = {}
    for _ in range(args.repeat):
        for record in (False, True):
            r = run_ours(n, keys, record=record)
            if record not in best or r["cpu_s"] < best[record]["cpu_s"]:
                best[record] = r
    ours = line("flink-agents-nb (metrics, no recording)", best[False])
    recorded = line("flink-agents-nb (metrics + full recording)", best[True])
    cost_us = (best[True]["cpu_s"] - best[False]["cpu_s"]) / best[True]["events"] * 1e6
    rate = best[False]["cpu_s"] / best[True]["cpu_s"]
    print(f"  recording: {rate:.2f}x the unrecorded rate, {cost_us:.2f} CPU us per event")
    del recorded
    if not BASELINE_PY.exists():
        print("Apache Flink Agents 0.3.1: not installed (benchmarks/make_flink_agents_venv.sh)")
        return
    for mode in ("as-shipped", "silenced"):
        base = run_baseline(n, keys, mode)
        if base is None:
            return
        theirs = line(f"Flink Agents 0.3.1 local runner ({mode} logs)", base)
        print(f"  ratio (events/s, ours / Flink Agents 0.3.1 {mode}): {ours / theirs:.1f}x")


if __name__ == "__main__":
    main()
