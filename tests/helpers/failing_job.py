"""A MiniCluster job that pays once per input and fails once mid-stream, for the
exactly-once tests (recovery with and without the action state store, with inputs waiting
or not).

Numbers ``0..n-1`` (throttled at the source so checkpoints land mid-stream), keyed by
``n % keys``, go through one action that pays ``pay-<n>`` (a durable call with a side
effect outside Flink, see ``side_effects``), fails once on ``fail_at`` after paying, counts
per key in short-term memory and outputs ``{"n", "receipt", "paid"}`` to a FileSink.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.helpers.side_effects import pay, payments


def slow_pay(log: str, what: str) -> str:
    """A payment that takes 0.15 s, so many inputs wait when the job fails."""
    time.sleep(0.15)
    return pay(log, what)


def run_failing_job(
    tmp_path: Path,
    *,
    n: int,
    keys: int,
    fail_at: int,
    throttle_s: float,
    awaited: bool = False,
    **config: Any,
) -> tuple[list[Any], Counter[str]]:
    """Run the job (parallelism 1, checkpoints every 200 ms, 3 restarts) with the kit's
    ``config`` added; ``awaited``: the action awaits a slow payment
    (``durable_execute_async``, inputs of other keys run meanwhile) instead of paying
    inline. Returns the committed outputs and how often each payment was made."""
    from pyflink.common import Types, WatermarkStrategy
    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.datastream.connectors.number_seq import NumberSequenceSource

    from flink_agents_runtime import (
        Agent,
        AgentsExecutionEnvironment,
        InputEvent,
        OutputEvent,
        add_file_sink,
        read_file_sink,
    )

    log = str(tmp_path / "payments.log")
    marker = str(tmp_path / "failed-once")
    out_dir = str(tmp_path / "out")

    def fail_once_then_count(n: int, receipt: str, ctx: Any) -> None:
        if n == fail_at and not os.path.exists(marker):
            open(marker, "w").close()
            raise RuntimeError(f"injected failure after {n} records")
        paid = ctx.short_term_memory.get("paid", 0) + 1
        ctx.short_term_memory.set("paid", paid)
        ctx.send_event(OutputEvent(output={"n": n, "receipt": receipt, "paid": paid}))

    def pay_inline(event: Any, ctx: Any) -> None:
        receipt = ctx.durable_execute(pay, log, f"pay-{event.input}")
        fail_once_then_count(event.input, receipt, ctx)

    async def pay_awaited(event: Any, ctx: Any) -> None:
        receipt = await ctx.durable_execute_async(slow_pay, log, f"pay-{event.input}")
        fail_once_then_count(event.input, receipt, ctx)

    agent = Agent().add_action("pay", [InputEvent], pay_awaited if awaited else pay_inline)
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    config = {
        "job-identifier": f"recovery-{tmp_path.name}",
        "checkpoint.interval-ms": 200,
        "restart.attempts": 3,
        "restart.delay-ms": 100,
        **config,
    }
    agents_env = AgentsExecutionEnvironment.get_execution_environment(env, config=config)

    def throttle(number: int) -> int:
        time.sleep(throttle_s)
        return int(number)

    numbers = env.from_source(
        NumberSequenceSource(0, n - 1), WatermarkStrategy.no_watermarks(), "numbers"
    ).map(throttle, output_type=Types.PICKLED_BYTE_ARRAY())
    outputs = agents_env.from_datastream(numbers, key_selector=lambda x: x % keys).apply(agent)
    add_file_sink(outputs.to_datastream(), out_dir)
    agents_env.execute("recovery-test")
    assert os.path.exists(marker), "the failure was not injected"
    return read_file_sink(out_dir), payments(log)
