"""Savepoints and rescales of a job with inputs in flight and an action state store, on a
standalone cluster with two task managers (issue 18: items 3 and 5; upstream bug #1010).

The agent pays (a durable call with a side effect: one line in a file) and then asks a slow
loopback model; a second action appends the input to the key's short-term memory and
outputs what the key has seen. The job is stopped with a savepoint while many inputs wait
on the model, resumed at parallelism 4, stopped again mid-flight, and resumed at 1. Across
the three jobs: every input has exactly one output, every payment happened once (inputs in
flight at a savepoint replay their completed actions from the store), per-key order holds
(read from memory), and each subtask held only the stored states of the keys it handled.

Also: the agent's counters reach Flink's REST API within about the sync interval once an
unbounded job goes quiet (no record arrives after the last burst).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import flink_agents_nb as fa
from flink_agents_runtime.drivers._sources import DirectorySource
from tests.flink.test_flink_operations import counter, drop
from tests.helpers.async_openai_server import AsyncOpenAIServer
from tests.helpers.memory_agent import add_echo_model
from tests.helpers.side_effects import payments

pytestmark = [pytest.mark.flink, pytest.mark.slow]

KEYS = 8
PER_FILE = 48  # 6 inputs per key per file: ~5 s of model calls per key


def paying_agent(url: str, log: str) -> Any:
    """Input ``n`` of key ``k<n % KEYS>``: pay ``pay-<n>`` (durable), ask the model, then
    output ``{"n", "seen", "receipt"}`` with the key's inputs so far (short-term memory)."""
    from flink_agents_runtime import (
        Agent,
        ChatMessage,
        ChatRequestEvent,
        ChatResponseEvent,
        InputEvent,
        OutputEvent,
    )
    from tests.helpers.side_effects import pay

    async def pay_then_ask(event: Any, ctx: Any) -> None:
        n = int(event.input)
        receipt = await ctx.durable_execute_async(pay, log, f"pay-{n}")
        ctx.send_event(ChatRequestEvent("model", [ChatMessage(content=f"{n}:{receipt}")]))

    def answer(event: Any, ctx: Any) -> None:
        n, receipt = event.response.content.removeprefix("echo: ").split(":")
        seen = [*(ctx.short_term_memory.get("seen") or []), int(n)]
        ctx.short_term_memory.set("seen", seen)
        ctx.send_event(OutputEvent({"n": int(n), "seen": seen, "receipt": receipt}))

    agent = add_echo_model(type("Payer", (Agent,), {})(), url)
    agent.add_action("pay", [InputEvent], pay_then_ask)
    agent.add_action("answer", [ChatResponseEvent], answer)
    return agent


def outputs_of(job: fa.FlinkJob) -> list[dict[str, Any]]:
    return [out for _key, out in job.outputs()]


def wait_until(jobs: list[fa.FlinkJob], n: int, timeout: float = 120.0) -> list[dict[str, Any]]:
    """Wait until the jobs' outputs together number at least ``n``; returns them."""
    deadline = time.monotonic() + timeout
    while True:
        outs = [o for job in jobs for o in outputs_of(job)]
        if len(outs) >= n:
            return outs
        if time.monotonic() > deadline:
            raise AssertionError(f"{n} outputs expected, got {len(outs)}")
        time.sleep(0.3)


def subtask_totals(log_dir: Path, job: fa.FlinkJob) -> list[dict[str, Any]]:
    """The metric totals file of each subtask of ``job`` (written when it closed)."""
    files = sorted(log_dir.glob(f"metrics-{job.job_id}-*.json"))
    return [json.loads(f.read_text()) for f in files]


def test_savepoints_mid_flight_and_rescales_keep_each_input_and_payment_once(
    flink_cluster_2tm: Any, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    logs = tmp_path / "logs"
    paid = str(tmp_path / "payments.log")
    source = DirectorySource(str(inbox), key="key", value="n", poll_ms=200)
    config = {
        "actionStateStoreBackend": "sqlite",
        "actionStateStore.sqlite.path": str(tmp_path / "action-state.sqlite"),
        "num-async-threads": 16,
        "flink.metrics-sync-interval-ms": 300,  # subtasks rewrite their totals this often
    }

    def rows(start: int) -> list[dict[str, Any]]:
        return [{"key": f"k{n % KEYS}", "n": n} for n in range(start, start + PER_FILE)]

    jobs: list[fa.FlinkJob] = []
    in_flight_at_stop: list[int] = []
    with AsyncOpenAIServer(delay_s=0.8) as server:
        savepoint: str | None = None
        for step, parallelism in enumerate([2, 4, 1]):
            if step == 0:
                drop(inbox, "0.jsonl", rows(0))
            job = fa.submit(
                paying_agent(server.url, paid),
                source,
                flink_cluster_2tm.rest_url,
                log_dir=str(logs),
                config=config,
                parallelism=parallelism,
                savepoint=savepoint,
            )
            jobs.append(job)
            if step == 2:  # the last job runs everything still in flight to its end
                wait_until(jobs, 2 * PER_FILE)
                time.sleep(1.5)  # nothing may follow
                job.cancel()
                job.wait(60)  # closed: its subtasks wrote their totals
                break
            if step == 1:
                # The inputs in flight at the savepoint finish with no record arriving (the
                # subtasks they moved to hold no timer of the old job's), then more come.
                wait_until(jobs, PER_FILE)
                drop(inbox, "1.jsonl", rows(PER_FILE))
            # Stop while inputs wait on the model: each key has answered some, not all.
            done = wait_until(jobs, step * PER_FILE + KEYS)
            savepoint = job.stop(savepoint=True)
            assert savepoint is not None
            in_flight_at_stop.append((step + 1) * PER_FILE - len(done))
    outputs = [o for job in jobs for o in outputs_of(job)]

    # The stops happened mid-flight (inputs were held in keyed state; see also the replays).
    assert all(n > 0 for n in in_flight_at_stop), in_flight_at_stop
    # Every input exactly one output, across two savepoints and two rescales.
    total = 2 * PER_FILE
    assert Counter(o["n"] for o in outputs) == Counter(range(total))
    # Every payment once: inputs in flight replayed their completed action from the store.
    assert payments(paid) == Counter(f"pay-{n}" for n in range(total))
    assert {o["receipt"] for o in outputs} == {f"receipt-pay-{n}" for n in range(total)}
    # Per key in order, one at a time: each output saw exactly the key's earlier inputs.
    for o in outputs:
        n = o["n"]
        assert o["seen"] == [m for m in range(n + 1) if m % KEYS == n % KEYS], o

    # Upstream #1010: after a rescale each subtask held the stored states of its own keys
    # only (read key by key), never those of keys other subtasks own.
    # (Subtasks rewrite their totals file on the metrics sync timer: PyFlink never calls
    # ``close`` when an unbounded job is stopped.)
    for job, parallelism in zip(jobs[1:], [4, 1], strict=True):
        totals = subtask_totals(logs, job)
        assert 1 <= len(totals) <= parallelism
        handled: list[str] = []
        replayed = 0
        for subtask in totals:
            state = subtask["actionState"]
            assert state["keysHandled"], subtask["subtaskIndex"]
            assert set(state["keysHeld"]) <= set(state["keysHandled"]), state
            handled += state["keysHandled"]
            replayed += state["replayedActions"]
        assert len(handled) == len(set(handled))  # each key in one subtask
        # The inputs in flight at the savepoint had paid: that action was replayed.
        assert replayed > 0, parallelism


def test_counters_reach_rest_when_the_stream_goes_quiet(
    flink_cluster_2tm: Any, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    source = DirectorySource(str(inbox), key="user", value="msg", poll_ms=200)
    job = fa.submit(
        counter("q"),
        source,
        flink_cluster_2tm.rest_url,
        log_dir=str(tmp_path / "logs"),
        config={"flink.metrics-sync-interval-ms": 500},
        parallelism=1,
    )
    try:
        # Two bursts; after each the stream is quiet. Each input is two events.
        for burst, size in enumerate([5, 7]):
            drop(inbox, f"{burst}.jsonl", [{"user": "u", "msg": i} for i in range(size)])
            expected = 2 * (5 if burst == 0 else 12)
            deadline = time.monotonic() + 60
            seen = 0.0
            while time.monotonic() < deadline:
                seen = job.metrics().get("numOfEventProcessed", 0.0)
                if seen >= expected:
                    break
                time.sleep(0.25)
            assert seen == expected, (burst, seen, job.metrics())
    finally:
        job.cancel()
