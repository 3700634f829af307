"""Echo agent on PyFlink's MiniCluster vs a bare PyFlink Python map, same input, same run.

Usage: .venv/bin/python benchmarks/bench_flink.py [N=100000] [thread|process]

Both jobs read N ``(key, value)`` pairs from a collection (pickled), run Python per record
and collect the results (pickled); the agent job runs the execution core per input (one
action, input event + output event, metrics, keyed state, no event log). Also reports the
end-to-end time of 10k inputs (environment + job + collect). Target: agent >= 25% of the
bare map's records/s.
"""

from __future__ import annotations

import sys
import time

from pyflink.datastream import StreamExecutionEnvironment

from flink_agents_runtime import Agent, InputEvent, OutputEvent, action
from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.drivers.flink import RemoteExecutionEnvironment, python_settings
from flink_agents_runtime.drivers.flink._remote import pair_key, pair_value


class Echo(Agent):
    @action(InputEvent)
    @staticmethod
    def echo(event, ctx):  # type: ignore[no-untyped-def]
        ctx.send_event(OutputEvent(event.input))


def agent_job(n: int, mode: str) -> tuple[float, int]:
    conf = AgentConfiguration.resolve(overrides={"flink.execution-mode": mode})
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    agents_env = RemoteExecutionEnvironment(env, conf)
    pairs = [(i % 100, i) for i in range(n)]
    t0 = time.perf_counter()
    out = agents_env.from_datastream(
        env.from_collection(pairs), key_selector=pair_key, value_selector=pair_value
    ).apply(Echo())
    got = sum(1 for _ in out.to_datastream().execute_and_collect("bench-agent"))
    return time.perf_counter() - t0, got


def bare_map_job(n: int, mode: str) -> tuple[float, int]:
    from pyflink.common import Configuration

    conf = Configuration()
    for key, value in python_settings(
        AgentConfiguration.resolve(overrides={"flink.execution-mode": mode})
    ).items():
        conf.set_string(key, value)
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    env.set_parallelism(1)
    pairs = [(i % 100, i) for i in range(n)]
    t0 = time.perf_counter()
    got = sum(1 for _ in env.from_collection(pairs).map(lambda r: r[1]).execute_and_collect("bare"))
    return time.perf_counter() - t0, got


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    mode = sys.argv[2] if len(sys.argv) > 2 else "thread"
    t0 = time.perf_counter()
    agent_job(10_000, mode)
    print(f"first job (JVM start + 10k inputs, end to end): {time.perf_counter() - t0:.1f} s")
    small, got = agent_job(10_000, mode)
    print(f"agent 10k inputs end to end: {small:.1f} s = {got / small:,.0f} inputs/s")
    bare_s, bare_n = bare_map_job(n, mode)
    agent_s, agent_n = agent_job(n, mode)
    assert bare_n == agent_n == n, (bare_n, agent_n)
    bare_rate, agent_rate = n / bare_s, n / agent_s
    print(f"mode {mode}, {n:,} records, job time incl. MiniCluster start and collect:")
    print(f"  bare PyFlink map: {bare_s:6.1f} s = {bare_rate:9,.0f} records/s")
    print(f"  echo agent:       {agent_s:6.1f} s = {agent_rate:9,.0f} inputs/s")
    print(f"  ratio agent/bare: {agent_rate / bare_rate:.0%} (target >= 25%)")


if __name__ == "__main__":
    main()
