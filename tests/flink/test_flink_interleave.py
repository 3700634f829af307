"""Many inputs in flight per subtask on a real MiniCluster (issue 16), thread mode, p=1.

An agent asks a loopback OpenAI-compatible server (asyncio, logs every call) about each
input; its second action appends the input to the key's short-term memory and outputs what
the key has seen, so per-key order is read from memory, not from file order. Interleaving is
read from the server's call log (calls in flight at once), never from wall time. The source
is bounded and finishes long before the calls do: every output arriving shows the drain at
end of input (the event-time timer on the final watermark).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.async_openai_server import AsyncOpenAIServer
from tests.helpers.failing_job import run_failing_job as failing_job
from tests.helpers.memory_agent import memory_agent

pytestmark = [pytest.mark.flink, pytest.mark.usefixtures("clean_env")]

KEYS = 8
PER_KEY = 6


def run_job(tmp_path: Path, url: str, inputs: list[str], **config: Any) -> list[dict[str, Any]]:
    from pyflink.common import Types
    from pyflink.datastream import StreamExecutionEnvironment

    from flink_agents_runtime import AgentsExecutionEnvironment, add_file_sink, read_file_sink

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    agents_env = AgentsExecutionEnvironment.get_execution_environment(
        env, config={"baseLogDir": str(tmp_path / "logs"), **config}
    )
    source = env.from_collection(inputs, type_info=Types.STRING())
    outputs = agents_env.from_datastream(source, key_selector=lambda s: s.split(":")[0])
    out_dir = str(tmp_path / "out")
    add_file_sink(outputs.apply(memory_agent(url)).to_datastream(), out_dir)
    agents_env.execute("interleave-test")
    return read_file_sink(out_dir)


def inputs_for(keys: int, per_key: int) -> list[str]:
    return [f"k{k}:{n}" for n in range(per_key) for k in range(keys)]


def metric_totals(tmp_path: Path) -> dict[str, Any]:
    """The subtask's metric totals file: ``metrics`` and the in-flight gauge ``series``."""
    files = list((tmp_path / "logs").glob("metrics-*.json"))
    assert len(files) == 1, files
    return dict(json.loads(files[0].read_text()))


def test_keys_interleave_each_key_in_order_and_the_bounded_input_drains(
    tmp_path: Path,
) -> None:
    with AsyncOpenAIServer(delay_s=0.2) as server:
        outputs = run_job(tmp_path, server.url, inputs_for(KEYS, PER_KEY))
        peak = server.peak_in_flight()
        calls = len(server.calls)
        span = max(e for _, e, _ in server.calls) - min(s for s, _, _ in server.calls)
    # Drain: the source ended while calls were waiting; still every input has its output.
    assert calls == KEYS * PER_KEY
    assert sorted((o["key"], o["n"]) for o in outputs) == sorted(
        (f"k{k}", n) for k in range(KEYS) for n in range(PER_KEY)
    )
    # Per key, in order, one at a time: each run saw exactly the key's earlier inputs.
    for o in outputs:
        assert o["seen"] == list(range(o["n"] + 1)), o
    # Interleaving: calls of different keys were in flight at once (at most one per key).
    assert 2 <= peak <= KEYS, peak
    totals = metric_totals(tmp_path)
    metrics = totals["metrics"]
    assert metrics["inputRunQueueLatencyMs"] > 0  # later inputs of a key waited their turn
    assert metrics["numOfActiveInputRuns"] == 0  # all drained at the end
    assert metrics["numOfPendingInputEvents"] == 0
    assert metrics["actionSchedulingLatencyMs"] >= 0
    active = [v for _t, name, v in totals["series"] if name == "numOfActiveInputRuns"]
    pending = [v for _t, name, v in totals["series"] if name == "numOfPendingInputEvents"]
    assert 2 <= max(active) <= KEYS  # sampled while inputs were in flight
    assert max(pending) > 0  # later inputs of busy keys were queued
    # The job's own time (first input to the end of the last run) holds every call.
    assert totals["firstInputAt"] > 0
    assert totals["lastRunAt"] - totals["firstInputAt"] >= span - 0.01


def test_max_in_flight_inputs_bounds_the_calls_in_flight(tmp_path: Path) -> None:
    with AsyncOpenAIServer(delay_s=0.1) as server:
        outputs = run_job(tmp_path, server.url, inputs_for(KEYS, 3), **{"max-in-flight-inputs": 2})
        peak = server.peak_in_flight()
    assert len(outputs) == KEYS * 3
    assert peak == 2, peak  # the bound, reached


# -- failure mid-flight --------------------------------------------------------------------
N = 48
RECOVERY_KEYS = 6
FAIL_AT = 30


def run_failing_job(tmp_path: Path, **store: Any) -> tuple[list[Any], Any]:
    """N inputs on RECOVERY_KEYS keys through an action that awaits a slow payment and
    fails once on FAIL_AT, with many inputs in flight (``tests.helpers.failing_job``)."""
    return failing_job(
        tmp_path,
        n=N,
        keys=RECOVERY_KEYS,
        fail_at=FAIL_AT,
        throttle_s=0.02,
        awaited=True,
        **{"num-async-threads": 16},
        **store,
    )


def test_failure_mid_flight_with_the_store_each_output_and_call_exactly_once(
    tmp_path: Path,
) -> None:
    from collections import Counter

    store = {
        "actionStateStoreBackend": "sqlite",
        "actionStateStore.sqlite.path": str(tmp_path / "action-state.sqlite"),
    }
    outputs, counts = run_failing_job(tmp_path, **store)
    assert sorted(o["n"] for o in outputs) == list(range(N))  # one output per input
    assert counts == Counter(f"pay-{n}" for n in range(N))  # every call ran once
    for k in range(RECOVERY_KEYS):  # memory consistent across the restore, in order
        paid = [o["paid"] for o in sorted(outputs, key=lambda o: o["n"]) if o["n"] % 6 == k]
        assert paid == list(range(1, N // RECOVERY_KEYS + 1))


def test_failure_mid_flight_without_the_store_repeats_calls_not_outputs(
    tmp_path: Path,
) -> None:
    outputs, counts = run_failing_job(tmp_path)
    assert sorted(o["n"] for o in outputs) == list(range(N))  # outputs: still exactly once
    assert counts[f"pay-{FAIL_AT}"] == 2  # paid before the failure, and again after


def finish_time(delay_s: float) -> float:
    """A call that takes ``delay_s`` (blocking: runs on the pool)."""
    import time

    time.sleep(delay_s)
    return time.time()


def test_runs_progress_while_no_record_arrives(tmp_path: Path) -> None:
    """The source pauses 3 s before its last record: the runs waiting on calls must finish
    during the pause (resumed by the processing-time timer), not when a record or the end
    of input arrives."""
    import time

    from pyflink.common import Types
    from pyflink.datastream import StreamExecutionEnvironment

    from flink_agents_runtime import (
        Agent,
        AgentsExecutionEnvironment,
        InputEvent,
        OutputEvent,
        add_file_sink,
        read_file_sink,
    )

    released = tmp_path / "released"

    async def act(event: Any, ctx: Any) -> None:
        await ctx.durable_execute_async(finish_time, 0.3)
        ctx.send_event(OutputEvent({"n": event.input, "resumed_at": time.time()}))

    def pause_before_last(n: int) -> int:
        if n == 99:
            time.sleep(3)
            released.write_text(str(time.time()))
        return n

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    agents_env = AgentsExecutionEnvironment.get_execution_environment(
        env, config={"num-async-threads": 16}
    )
    numbers = env.from_collection([*range(12), 99], type_info=Types.INT()).map(
        pause_before_last, output_type=Types.INT()
    )
    agent = Agent().add_action("act", [InputEvent], act)
    out = agents_env.from_datastream(numbers, key_selector=lambda n: n % 6).apply(agent)
    add_file_sink(out.to_datastream(), str(tmp_path / "out"))
    agents_env.execute("interleave-progress-test")
    outputs = read_file_sink(str(tmp_path / "out"))
    assert sorted(o["n"] for o in outputs) == [*range(12), 99]
    release = float(released.read_text())
    assert all(o["resumed_at"] < release for o in outputs if o["n"] != 99)
