"""chat.async on vs off: 1k inputs on 50 keys through the OpenAI-compatible HTTP connection
to the loopback test server, which waits 50 ms before every reply.

Run: ``.venv/bin/python benchmarks/bench_chat_async.py [--inputs 1000] [--delay-ms 50]``.
Prints both wall times and the ratio (target: async at least 5x faster). The async pool
size is ``num-async-threads`` (set to the number of keys).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.helpers

from flink_agents_runtime import (
    Agent,
    AgentsExecutionEnvironment,
    OpenAIChatModelConnection,
    ResourceDescriptor,
)
from tests.helpers.openai_server import OpenAIServer, ask_and_answer_agent


def agent(url: str) -> Agent:
    connection = ResourceDescriptor(OpenAIChatModelConnection, base_url=url, api_key="bench")
    return ask_and_answer_agent(connection)  # type: ignore[no-any-return]


def run(url: str, inputs: list[dict[str, Any]], chat_async: bool, threads: int) -> float:
    env = AgentsExecutionEnvironment.get_execution_environment(
        config={"chat.async": chat_async, "num-async-threads": threads}
    )
    start = time.perf_counter()
    result = env.from_list(inputs).apply(agent(url)).execute(record=False)
    wall = time.perf_counter() - start
    assert len(result.outputs) == len(inputs), (len(result.outputs), len(inputs))
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inputs", type=int, default=1000)
    parser.add_argument("--keys", type=int, default=50)
    parser.add_argument("--delay-ms", type=float, default=50.0)
    args = parser.parse_args()
    inputs = [{"key": i % args.keys, "value": f"message {i}"} for i in range(args.inputs)]
    with OpenAIServer(delay_s=args.delay_ms / 1000) as server:
        run(server.url, inputs[: args.keys], True, args.keys)  # warm-up (imports, sockets)
        on = run(server.url, inputs, True, args.keys)
        off = run(server.url, inputs, False, args.keys)
    n = args.inputs
    print(f"{n} inputs on {args.keys} keys, {args.delay_ms:.0f} ms model latency over HTTP")
    print(f"chat.async on : {on:7.2f} s  ({n / on:8.1f} inputs/s)")
    print(f"chat.async off: {off:7.2f} s  ({n / off:8.1f} inputs/s)")
    print(f"ratio off/on  : {off / on:7.1f}x  (target >= 5x)")


if __name__ == "__main__":
    main()
