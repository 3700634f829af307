"""Where a key's time goes between the model's answer and its next request (benchmark 1).

    .venv/bin/python benchmarks/gaps_in_flight.py [--runs 3]

1,000 inputs on 50 keys, the ask-and-answer agent, the loopback model answering after 50 ms
(``cpu_in_flight``'s workload). A key's inputs run one after another, so the job takes the
slowest key's chain: its first request's start, 20 model calls, the 19 gaps between an
answer and the key's next request, the run's end. Each gap is cut at points logged on the
``time.monotonic`` clock, which the server's call log uses too:

- ``answer read``: the server's end of the call (its log) to the transport's return;
- ``to scheduler``: to the run being queued as ready (the call's future completed);
- ``wait for step``: to the scheduler stepping it (other runs stepped first);
- ``step + send``: to the next request entering the transport (the run's step, its next
  input's start, the loop's turn that starts the call);
- ``to server``: to the server's start of the next call (the send and the server's read).

Means, medians and 90th percentiles over all gaps, and the slowest key's chain, with the
load average. The cut points patch the transport and the scheduler in this process only.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.helpers

from benchmarks.bench_in_flight import inputs, llm_agent
from flink_agents_runtime import AgentsExecutionEnvironment
from flink_agents_runtime.chat.providers import _async_http
from flink_agents_runtime.drivers import _scheduler
from tests.helpers.async_openai_server import ServerProcess

N, KEYS, DELAY = 1000, 50, 0.05
_KEY = re.compile(rb'"content": "k(\d+):')
events: dict[int, dict[str, list[float]]] = {}


def note(key: int, point: str) -> None:
    events.setdefault(key, {}).setdefault(point, []).append(time.monotonic())


def patch() -> None:
    """Log the cut points (see the module docstring) per key."""
    post, resume = _async_http.AsyncTransport.post, _scheduler.InputScheduler._resume_later
    advance = _scheduler.InputScheduler._advance

    async def logged_post(self: Any, url: str, data: bytes, *args: Any) -> Any:
        found = _KEY.search(data)
        key = int(found.group(1)) if found else -1
        note(key, "sent")
        reply = await post(self, url, data, *args)
        note(key, "read")
        return reply

    def logged_resume(self: Any, run: Any, fut: Any) -> None:
        note(run.key, "ready")
        resume(self, run, fut)

    def logged_advance(self: Any, run: Any) -> None:
        note(run.key, "stepped")
        advance(self, run)

    _async_http.AsyncTransport.post = logged_post  # type: ignore[method-assign]
    _scheduler.InputScheduler._resume_later = logged_resume  # type: ignore[method-assign]
    _scheduler.InputScheduler._advance = logged_advance  # type: ignore[method-assign]


#: each measured run: its start and end, and its cut points per key.
pending: list[tuple[float, float, dict[int, dict[str, list[float]]]]] = []


def analyse(calls: list[tuple[float, float, str]]) -> None:
    """The gaps of each logged run, from the server's log of all runs (in order)."""
    by_key: dict[int, list[tuple[float, float]]] = {}
    for start, end, text in calls:
        by_key.setdefault(int(text.split(":")[0][1:]), []).append((start, end))
    for t0, t1, logged in pending:
        parts: dict[str, list[float]] = {
            "answer read": [],
            "to scheduler": [],
            "wait for step": [],
            "step + send": [],
            "to server": [],
        }
        chains = []
        for key, points in logged.items():
            mine = sorted(c for c in by_key[key] if t0 <= c[0] <= t1)
            sent, read = points["sent"], points["read"]
            ready, stepped = points["ready"], points["stepped"]
            for i in range(len(mine) - 1):
                parts["answer read"].append(read[i] - mine[i][1])
                parts["to scheduler"].append(ready[i] - read[i])
                parts["wait for step"].append(stepped[i] - ready[i])
                parts["step + send"].append(sent[i + 1] - stepped[i])
                parts["to server"].append(mine[i + 1][0] - sent[i + 1])
            gaps = sum(b[0] - a[1] for a, b in itertools.pairwise(mine))
            chains.append((mine[-1][1], mine[0][0] - t0, sum(e - s for s, e in mine), gaps))
        for name, xs in parts.items():
            xs.sort()
            print(
                f"  {name:14} mean {statistics.mean(xs) * 1e3:5.2f} ms, median "
                f"{xs[len(xs) // 2] * 1e3:5.2f}, p90 {xs[int(len(xs) * 0.9)] * 1e3:5.2f}"
            )
        end, first, model, gaps = max(chains)
        print(
            f"  slowest key: first request at {first * 1e3:.1f} ms, model {model * 1e3:.0f} ms, "
            f"gaps {gaps * 1e3:.1f} ms, run end {(t1 - end) * 1e3:.1f} ms later"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    patch()
    data = inputs(N, KEYS)
    with ServerProcess(delay_s=DELAY) as server:
        env = AgentsExecutionEnvironment.get_execution_environment()
        env.from_list(data[:KEYS]).apply(llm_agent(server.url)).execute(record=False)  # warm
        for _ in range(args.runs):
            events.clear()
            t0 = time.monotonic()
            result = env.from_list(data).apply(llm_agent(server.url)).execute(record=False)
            t1 = time.monotonic()
            print(f"job {result.wall_s:.3f} s ({1.0 / result.wall_s:.0%} of the limit)")
            pending.append(
                (t0, t1, {k: {p: list(v) for p, v in d.items()} for k, d in events.items()})
            )
    print(f"load average {os.getloadavg()[0]:.1f}")
    analyse(server.calls)  # the server's log arrives when it stops


if __name__ == "__main__":
    main()
