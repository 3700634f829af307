"""Exactly-once costs and timings.

1. Local: an agent making one durable call per input, over ``--inputs`` inputs, without an
   action state store (baseline), with SQLite and with Redis (when redis-server is installed):
   inputs/s and the ratio to the baseline.
2. MiniCluster: the same agent over a throttled stream with checkpoints every 200 ms and the
   SQLite store, once clean and once with a failure injected mid-stream: wall times, the
   checkpoint figures Flink reports over REST (count, end-to-end duration), and the recovery
   time seen in the event log (failed action -> next action after the restart).

    .venv/bin/python benchmarks/bench_recovery.py [--inputs 10000] [--no-flink]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the repository, for tests.helpers


def charge(n: int) -> str:
    return f"receipt-{n}"


def local_rate(inputs: int, **config: Any) -> float:
    from flink_agents_runtime import (
        Agent,
        AgentConfiguration,
        InputEvent,
        LocalExecutionEnvironment,
        OutputEvent,
    )

    def act(event: Any, ctx: Any) -> None:
        ctx.send_event(OutputEvent(output=ctx.durable_execute(charge, event.input)))

    agent = Agent().add_action("pay", [InputEvent], act)
    env = LocalExecutionEnvironment(AgentConfiguration.resolve(overrides=config))
    data = [{"key": i % 100, "value": i} for i in range(inputs)]
    start = time.perf_counter()
    env.from_list(data).apply(agent).execute(record=False)
    return inputs / (time.perf_counter() - start)


def bench_local(inputs: int) -> None:
    print(f"local: one durable call per input, {inputs:,} inputs on 100 keys")
    base = local_rate(inputs)
    print(f"  no action state store            {base:>10,.0f} inputs/s")
    work = Path(tempfile.mkdtemp(prefix="bench-store-"))
    rate = local_rate(
        inputs,
        actionStateStoreBackend="sqlite",
        **{"actionStateStore.sqlite.path": str(work / "s.sqlite")},
    )
    print(f"  sqlite store                     {rate:>10,.0f} inputs/s   ({rate / base:.2f}x)")
    if shutil.which("redis-server"):
        from tests.helpers.redis_server import redis_server

        with redis_server(work) as url:
            rate = local_rate(
                inputs, actionStateStoreBackend="redis", **{"actionStateStore.redis.url": url}
            )
        print(f"  redis store (loopback)           {rate:>10,.0f} inputs/s   ({rate / base:.2f}x)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def flink_job(work: Path, fail_at: int | None, n: int = 60) -> dict[str, Any]:
    import httpx
    from pyflink.common import Configuration, Types, WatermarkStrategy
    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.datastream.connectors.number_seq import NumberSequenceSource

    from flink_agents_runtime import (
        Agent,
        AgentsExecutionEnvironment,
        InputEvent,
        OutputEvent,
        add_file_sink,
    )

    marker = str(work / "failed")

    def act(event: Any, ctx: Any) -> None:
        receipt = ctx.durable_execute(charge, event.input)
        if event.input == fail_at and not os.path.exists(marker):
            open(marker, "w").close()
            raise RuntimeError("injected")
        ctx.send_event(OutputEvent(output=receipt))

    port = free_port()
    conf = Configuration()
    conf.set_string("rest.port", str(port))
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    env.set_parallelism(1)
    agents_env = AgentsExecutionEnvironment.get_execution_environment(
        env,
        config={
            "checkpoint.interval-ms": 200,
            "restart.attempts": 3,
            "restart.delay-ms": 100,
            "actionStateStoreBackend": "sqlite",
            "actionStateStore.sqlite.path": str(work / "s.sqlite"),
            "baseLogDir": str(work / "logs"),
        },
    )

    def slowly(x: int) -> int:
        time.sleep(0.04)
        return int(x)

    numbers = env.from_source(
        NumberSequenceSource(0, n - 1), WatermarkStrategy.no_watermarks(), "numbers"
    ).map(slowly, output_type=Types.PICKLED_BYTE_ARRAY())
    out = agents_env.from_datastream(numbers, key_selector=lambda x: x % 3).apply(
        Agent().add_action("pay", [InputEvent], act)
    )
    add_file_sink(out.to_datastream(), str(work / "out"))
    stats: dict[str, Any] = {}

    def poll() -> None:  # the MiniCluster's REST API, while the job runs
        while "done" not in stats:
            try:
                jobs = httpx.get(f"http://127.0.0.1:{port}/jobs", timeout=1).json()["jobs"]
                for job in jobs:
                    cp = httpx.get(
                        f"http://127.0.0.1:{port}/jobs/{job['id']}/checkpoints", timeout=1
                    ).json()
                    done = cp.get("counts", {}).get("completed", 0)
                    if done >= (stats.get("checkpoints") or {}).get("counts", {}).get(
                        "completed", 0
                    ):
                        stats["checkpoints"] = cp
            except Exception as exc:
                stats["poll_error"] = repr(exc)
            time.sleep(0.1)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    start = time.perf_counter()
    agents_env.execute("bench-recovery")
    stats["wall_s"] = time.perf_counter() - start
    stats["done"] = True
    poller.join()
    return stats


def recovery_gap_s(log_dir: Path) -> float | None:
    records = []
    for f in log_dir.glob("events-*.log"):
        records += [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
    actions = sorted(
        (r for r in records if r.get("recordType") == "action"), key=lambda r: r["timestamp"]
    )
    for i, r in enumerate(actions):
        if r["status"] == "failed" and i + 1 < len(actions):
            from datetime import datetime

            def ts(x: dict[str, Any]) -> datetime:
                return datetime.fromisoformat(x["timestamp"].replace("Z", "+00:00"))

            return (ts(actions[i + 1]) - ts(r)).total_seconds()
    return None


def bench_flink() -> None:
    print("MiniCluster: 60 inputs (40 ms apart), checkpoints every 200 ms, sqlite store")
    for label, fail_at in (("clean", None), ("failure at input 30", 30)):
        work = Path(tempfile.mkdtemp(prefix="bench-recovery-"))
        stats = flink_job(work, fail_at)
        cp = stats.get("checkpoints") or {}
        counts = cp.get("counts", {})
        e2e = (cp.get("summary") or {}).get("end_to_end_duration", {})
        line = (
            f"  {label:22} wall {stats['wall_s']:.1f} s; checkpoints completed "
            f"{counts.get('completed', '?')}, restored {counts.get('restored', 0)}; "
            f"end-to-end ms avg {e2e.get('avg', '?')} max {e2e.get('max', '?')}"
        )
        gap = recovery_gap_s(work / "logs")
        if gap is not None:
            line += f"; failure -> next action {gap:.2f} s"
        print(line)
        if "poll_error" in stats and not cp:
            print("   (REST poll:", stats["poll_error"], ")")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--no-flink", action="store_true")
    args = parser.parse_args()
    bench_local(args.inputs)
    if not args.no_flink:
        bench_flink()


if __name__ == "__main__":
    main()
