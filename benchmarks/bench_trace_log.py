"""What the Trace Log writer costs a local run of a chat-and-tool agent.

    .venv/bin/python benchmarks/bench_trace_log.py [--inputs 2000] [--rounds 5] [--against REF]

The triage agent of the tests (``tests.helpers.triage_agent``: a scripted model, one tool;
an ``order N`` input makes chat -> tool -> chat, the others one chat) over ``--inputs``
inputs on 100 keys, model and tool called inline (``chat.async``/``tool-call.async`` off:
no thread pool in the figures). Two measures, each round running every case in turn (the
machine is shared), the best of ``--rounds`` kept:

- **run**: inputs/s of ``execute(record=False)`` with the Trace Log off (the baseline),
  with the default targets (``EVENT_ONLY``: event records only) and with ``ALL``; the
  ratio to off is what writing costs the run.
- **writer**: the same run's records (recorded once), replayed into a Trace Log sink
  writing into a temporary file, in microseconds per input: ``EVENT_ONLY`` fed the event
  records only (the baseline: what writing the events costs), ``EVENT_ONLY`` fed every
  record, as a run feeds it (the difference is what the action records cost a writer that
  writes none of them), and ``ALL``.

``--against REF`` (a git revision, e.g. ``main``): the same cases on REF's tree (``git
archive`` into a temporary directory) in a child process, alternating round by round with
this worktree's (also a child), so both see the same load; both tables and the ratios
new/old are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RUN_CASES = ("off", "EVENT_ONLY", "ALL")
WRITER_CASES = ("EVENT_ONLY, events only", "EVENT_ONLY", "ALL")
_INLINE = {"chat.async": False, "tool-call.async": False}


def _inputs(n: int) -> list[dict[str, Any]]:
    texts = ("where is order {i}?", "hello {i}", "order {i} is late", "thanks")
    return [{"key": i % 100, "value": texts[i % 4].format(i=i)} for i in range(n)]


def _targets(case: str) -> list[dict[str, str]]:
    return [{"scope": "ALL" if case == "ALL" else "EVENT_ONLY", "detail": "STANDARD"}]


def _run_once(case: str, data: list[dict[str, Any]], tmp: str) -> float:
    """Inputs/s of one local run, the Trace Log as ``case`` says."""
    import flink_agents_runtime as rt
    from tests.helpers.triage_agent import Triage

    config: dict[str, Any] = dict(_INLINE)
    if case != "off":
        config["trace-log.base-dir"] = tempfile.mkdtemp(dir=tmp)
        config["trace-log.targets"] = _targets(case)
    env = rt.AgentsExecutionEnvironment.get_execution_environment(config=config)
    result = env.from_list(data).apply(Triage()).execute(record=False)
    assert len(result.outputs) == len(data), "every input answers"
    return len(data) / result.wall_s


def _records(data: list[dict[str, Any]]) -> list[tuple[bool, Any]]:
    """The run's records in the order the core gave them: ``(is_event, record)``."""
    import flink_agents_runtime as rt
    from tests.helpers.triage_agent import Triage

    env = rt.AgentsExecutionEnvironment.get_execution_environment(config=dict(_INLINE))
    result = env.from_list(data).apply(Triage()).execute(record=True)
    tagged = [(True, r) for r in result.events or []] + [(False, r) for r in result.actions or []]
    tagged.sort(key=lambda pair: pair[1].seq)
    return tagged


def _replay_once(case: str, records: list[tuple[bool, Any]], tmp: str) -> float:
    """Seconds a Trace Log sink takes over ``records`` (written and closed)."""
    import flink_agents_runtime as rt
    from flink_agents_runtime.eventlog._trace_setup import trace_sink_for_task

    config = rt.AgentsExecutionEnvironment.get_execution_environment().get_config().copy()
    config.set("trace-log.base-dir", tempfile.mkdtemp(dir=tmp))
    config.set("trace-log.targets", _targets(case.split(",")[0]))
    events_only = case.endswith("events only")
    sink = trace_sink_for_task(config, "job", "local", 0, flush_every=1000, agent_name="Triage")
    assert sink is not None
    on_event, on_action = sink.on_event, sink.on_action
    t0 = time.perf_counter()
    for is_event, record in records:
        if is_event:
            on_event(record)
        elif not events_only:
            on_action(record)
    sink.close()
    return time.perf_counter() - t0


def measure(inputs: int, rounds: int) -> dict[str, float]:
    """Best inputs/s per run case and least microseconds per input per writer case."""
    data = _inputs(inputs)
    records = _records(data)
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(rounds):
            for case in RUN_CASES:
                rate = _run_once(case, data, tmp)
                best["run " + case] = max(best.get("run " + case, 0.0), rate)
            for case in WRITER_CASES:
                us = _replay_once(case, records, tmp) * 1e6 / inputs
                key = "writer " + case
                best[key] = min(best.get(key, float("inf")), us)
    return best


def _print(title: str, best: dict[str, float]) -> None:
    off = best["run off"]
    print(title)
    print(f"  run, Trace Log off       : {off:9,.0f} inputs/s")
    for case in RUN_CASES[1:]:
        rate = best["run " + case]
        print(f"  run, Trace Log {case:10}: {rate:9,.0f} inputs/s ({rate / off:.0%} of off)")
    base = best["writer " + WRITER_CASES[0]]
    print(f"  writer, {WRITER_CASES[0]:24}: {base:7.1f} us/input")
    for case in WRITER_CASES[1:]:
        us = best["writer " + case]
        print(f"  writer, {case:24}: {us:7.1f} us/input ({us / base:.2f}x the events alone)")


def _tree(ref: str, into: str) -> str:
    """REF's files (``git archive``) in a directory under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True
    ).stdout
    path = os.path.join(into, "tree")
    with tempfile.TemporaryFile() as f:
        f.write(archive)
        f.seek(0)
        with tarfile.open(fileobj=f) as tar:
            tar.extractall(path, filter="data")
    return path


def _child(tree: str, inputs: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{tree}/runtime"}
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--inputs", str(inputs), "--rounds", "1"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,
    ).stdout
    figures: dict[str, float] = json.loads(out.splitlines()[-1])
    return figures


def _against(ref: str, inputs: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        trees = {ref: _tree(ref, tmp), "this worktree": str(REPO)}
        best: dict[str, dict[str, float]] = {name: {} for name in trees}
        for i in range(rounds):  # alternate, the first of the two swapped each round
            for name in list(trees)[:: 1 if i % 2 == 0 else -1]:
                for key, value in _child(trees[name], inputs).items():
                    keep = max if key.startswith("run") else min
                    best[name][key] = keep(best[name].get(key, value), value)
    for name, figures in best.items():
        _print(f"{name}: {inputs:,} inputs, best of {rounds}", figures)
    old, new = best[ref], best["this worktree"]
    print("this worktree / " + ref + " (writer: time; run: throughput):")
    for key in old:
        print(f"  {key:34}: {new[key] / old[key]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--against", metavar="REF", help="compare with this git revision")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inputs < 1 or args.rounds < 1:
        parser.error("--inputs and --rounds must be at least 1")
    print(f"load average: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    if args.against:
        _against(args.against, args.inputs, args.rounds)
        return
    best = measure(args.inputs, args.rounds)
    if args.child:
        print(json.dumps(best))
        return
    _print(f"{args.inputs:,} inputs, best of {args.rounds}", best)


if __name__ == "__main__":
    main()
