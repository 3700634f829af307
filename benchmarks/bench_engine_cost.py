"""CPU per input of the execution core's echo run: the engine's share of the Flink echo cost.

    .venv/bin/python benchmarks/bench_engine_cost.py [--inputs 100000] [--repeat 7]
        [--against REF] [--profile]

An echo agent (one action: the input event in, one output event out) over ``--inputs``
inputs on 100 keys, metrics on, nothing recorded, memory in a dict. Two ways of driving it:

- **core**: ``ExecutionCore.start`` then ``InputTask.step`` to the end, per input;
- **scheduler**: ``InputScheduler.submit`` per input, as the Flink driver's thread mode
  submits each element (the run finishes inside ``submit``; its outputs are read there);
- **action**: the echo action's own work alone (the lambda building the ``OutputEvent``,
  sent to a list), so that ``core`` minus ``action`` is the engine's share of an input.

CPU seconds (``time.process_time``) per input, the median and the least of ``--repeat``
runs of each (on a loaded machine the least is the steadier figure: contention only ever
adds CPU time).
With ``--against REF`` (a git revision, e.g. ``main``) the runtime at ``REF`` is loaded into
the same process beside this worktree's (each under its own modules: the old tree is
imported first, then its modules are set aside), and the two alternate run by run, so both
see the same load; the ratio new/old is printed. ``--profile`` prints a cProfile of one
run of this worktree's core instead. The load average is printed (the machine is shared).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import os
import pstats
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "flink_agents_runtime"
MODULES = {
    "api": "flink_agents_runtime",
    "core": "flink_agents_runtime.engine._core",
    "metrics": "flink_agents_runtime.api._metrics",
    "plan": "flink_agents_runtime.engine.plan._plan",
    "config": "flink_agents_runtime.config._configuration",
    "scheduler": "flink_agents_runtime.drivers._scheduler",
}


def _import_tree() -> SimpleNamespace:
    return SimpleNamespace(**{name: importlib.import_module(m) for name, m in MODULES.items()})


def _set_aside() -> None:
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def load_old(ref: str, where: Path) -> SimpleNamespace:
    """The runtime at git revision ``ref``, imported from a copy in ``where`` and then set
    aside (its objects keep working; later imports get this worktree's modules)."""
    archive = where / "old.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", ref, "runtime"], cwd=REPO, stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(where, filter="data")
    _set_aside()
    sys.path.insert(0, str(where / "runtime"))
    try:
        tree = _import_tree()
    finally:
        sys.path.remove(str(where / "runtime"))
        _set_aside()
    return tree


def make_core(tree: SimpleNamespace) -> Any:
    """A fresh core of ``tree`` running the echo agent (metrics on, nothing recorded)."""
    api = tree.api
    agent = api.Agent().add_action(
        "echo", [api.InputEvent], lambda e, ctx: ctx.send_event(api.OutputEvent(e.input))
    )
    plan = tree.plan.AgentPlan.from_agent(agent)
    group = tree.metrics.MetricRegistry().group()
    config = tree.config.AgentConfiguration()
    return tree.core.ExecutionCore(plan, config, group, tree.core.DictState())


def run_core(tree: SimpleNamespace, n: int) -> float:
    """CPU seconds of ``n`` inputs started and stepped on the core directly."""
    core = make_core(tree)
    outputs: list[Any] = []
    cpu = time.process_time()
    for i in range(n):
        task = core.start(i % 100, i, i)
        while task.step() is not None:
            pass
        outputs.extend(task.outputs)
    cpu = time.process_time() - cpu
    assert outputs[:3] == [0, 1, 2] and len(outputs) == n
    core.close()
    return cpu


def run_scheduler(tree: SimpleNamespace, n: int) -> float:
    """CPU seconds of ``n`` inputs submitted to the scheduler (the Flink driver's way)."""
    core = make_core(tree)
    outputs: list[Any] = []
    scheduler = tree.scheduler.InputScheduler(core, lambda run: None, enter=lambda run: None)
    submit = scheduler.submit
    cpu = time.process_time()
    for i in range(n):
        run = submit(i % 100, i, None, seq=i)
        outputs.extend(run.task.outputs)
    scheduler.drain()
    cpu = time.process_time() - cpu
    assert outputs[:3] == [0, 1, 2] and len(outputs) == n
    core.close()
    return cpu


def run_action(tree: SimpleNamespace, n: int) -> float:
    """CPU seconds of the echo action's own work, ``n`` times: the lambda, reading the
    input and building the ``OutputEvent``, sent to a list (input events made beforehand).
    ``core`` minus this is the engine's share of an input."""
    func = make_core(tree).plan.actions["echo"].func
    events = [tree.api.InputEvent(i) for i in range(n)]
    sent: list[Any] = []
    ctx = SimpleNamespace(send_event=sent.append)
    cpu = time.process_time()
    for event in events:
        func(event, ctx)
    cpu = time.process_time() - cpu
    assert len(sent) == n and sent[2].output == 2
    return cpu


WAYS: dict[str, Callable[[SimpleNamespace, int], float]] = {
    "core": run_core,
    "scheduler": run_scheduler,
    "action": run_action,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--against", default=None, help="a git revision to compare with")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    n = args.inputs
    with tempfile.TemporaryDirectory() as tmp:
        trees: dict[str, SimpleNamespace] = {}
        if args.against:
            trees[args.against] = load_old(args.against, Path(tmp))
        trees["this worktree"] = _import_tree()
        if args.profile:
            tree = trees["this worktree"]
            prof = cProfile.Profile()
            prof.runcall(run_core, tree, n)
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
            return
        for tree in trees.values():  # warm-up
            for way in WAYS.values():
                way(tree, 5_000)
        cpu: dict[tuple[str, str], list[float]] = {(t, w): [] for t in trees for w in WAYS}
        for _ in range(args.repeat):  # alternating, so every variant sees the same load
            for way_name, way in WAYS.items():
                for tree_name, tree in trees.items():
                    cpu[tree_name, way_name].append(way(tree, n))
    print(f"echo run, {n:,} inputs on 100 keys, metrics on, {args.repeat} runs each (CPU):")
    for way_name in WAYS:
        for stat in (statistics.median, min):
            per = {t: stat(cpu[t, way_name]) / n * 1e6 for t in trees}
            line = ", ".join(f"{t} {us:5.2f} us" for t, us in per.items())
            if args.against:
                ratio = per["this worktree"] / per[args.against]
                line += f"  (new/old {ratio:.2f}, {1 - ratio:.0%} saved)"
            print(f"  {way_name:9s} per input, {stat.__name__:6s}: {line}")
    for stat in (statistics.median, min):
        share = {t: (stat(cpu[t, "core"]) - stat(cpu[t, "action"])) / n * 1e6 for t in trees}
        line = ", ".join(f"{t} {us:5.2f} us" for t, us in share.items())
        if args.against:
            ratio = share["this worktree"] / share[args.against]
            line += f"  (new/old {ratio:.2f}, {1 - ratio:.0%} saved)"
        print(f"  engine's share (core - action), {stat.__name__:6s}: {line}")
    print(f"  load average {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
