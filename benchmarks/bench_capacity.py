"""Capacity notes: inputs/s per subtask at parallelism 1, 2 and 4 on a standalone cluster.

Usage: .venv/bin/python benchmarks/bench_capacity.py [ECHO_N=20000] [LLM_N=400]

Starts ``fa.StandaloneCluster`` (two task managers x two slots, loopback) and runs, at each
parallelism, (1) the echo agent over ECHO_N bounded inputs on 200 keys and (2) an LLM-bound
agent (one chat call per input to a loopback OpenAI-compatible server answering after 50 ms)
over LLM_N inputs on 100 keys. Job time is submission to FINISHED as the cluster reports it
(``duration``), minus nothing: it includes deployment, so small jobs understate throughput.
Prints inputs/s and inputs/s per subtask, and each parallelism's ratio to parallelism 1 in
the same run. This machine has 2 cores: past 2 subtasks the CPU-bound echo agent cannot
scale; the LLM-bound agent scales with subtasks as long as calls wait, not compute.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.helpers

import flink_agents_nb as fa
from flink_agents_runtime import OpenAIChatModelConnection, ResourceDescriptor
from tests.helpers.openai_server import OpenAIServer, ask_and_answer_agent


def echo_agent() -> fa.Agent:
    agent = type("Echo", (fa.Agent,), {})()
    agent.add_action(
        "echo", [fa.InputEvent], lambda e, ctx: ctx.send_event(fa.OutputEvent(e.input))
    )
    return agent


def job_seconds(agent: Any, inputs: list[dict[str, Any]], url: str, parallelism: int) -> float:
    log_dir = tempfile.mkdtemp(prefix="capacity-")
    config = {"event-log.level": "OFF", f"event-log.type.{fa.OutputEvent.EVENT_TYPE}.level": "OFF"}
    job = fa.submit(agent, inputs, url, parallelism=parallelism, log_dir=log_dir, config=config)
    job.wait(timeout=900)
    return float(job.rest.get(f"/jobs/{job.job_id}")["duration"]) / 1000


def main() -> None:
    echo_n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    llm_n = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    with (
        fa.StandaloneCluster(taskmanagers=2, slots=2) as cluster,
        OpenAIServer(delay_s=0.05) as server,
    ):
        connection = ResourceDescriptor(
            OpenAIChatModelConnection, base_url=server.url, api_key="bench"
        )
        cases = [
            ("echo", echo_agent, [{"key": i % 200, "value": i} for i in range(echo_n)]),
            (
                "llm-50ms",
                lambda: ask_and_answer_agent(connection),
                [{"key": i % 100, "value": f"q{i}"} for i in range(llm_n)],
            ),
        ]
        for name, make, inputs in cases:
            base = 0.0
            for parallelism in (1, 2, 4):
                started = time.perf_counter()
                seconds = job_seconds(make(), inputs, cluster.rest_url, parallelism)
                rate = len(inputs) / seconds
                base = base or rate
                print(
                    f"{name:9} p={parallelism}: {len(inputs)} inputs in {seconds:6.1f} s "
                    f"(submit to end {time.perf_counter() - started:5.1f} s): "
                    f"{rate:8.0f} inputs/s, "
                    f"{rate / parallelism:8.0f} per subtask, {rate / base:4.2f}x p=1",
                    flush=True,
                )


if __name__ == "__main__":
    main()
