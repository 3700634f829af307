"""Replay vs the live run it replays: 500 inputs on 50 keys, a model behind the loopback
OpenAI-compatible server waiting 50 ms per reply (chat.async on, 50 async threads).

Run: ``.venv/bin/python benchmarks/bench_replay.py [--inputs 500] [--delay-ms 50]``.
Prints the live run's wall time, the replay's (every answer from the record, no request sent,
divergences computed), and their ratio; and the replay of the same agent against a scripted
live run, the replay machinery's own cost per input.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.helpers

import flink_agents_nb as fa
from tests.helpers.openai_server import OpenAIServer, ask_and_answer_agent


def timed(fn: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--inputs", type=int, default=500)
    parser.add_argument("--delay-ms", type=float, default=50.0)
    args = parser.parse_args()
    inputs = [{"key": f"k{i % 50}", "value": f"question {i}"} for i in range(args.inputs)]
    env = fa.local(config={"num-async-threads": 50})
    with OpenAIServer(delay_s=args.delay_ms / 1000) as server:
        conn = fa.ResourceDescriptor(fa.OpenAIChatModelConnection, base_url=server.url, api_key="b")
        agent = ask_and_answer_agent(conn)
        run, live_s = timed(lambda: env.from_list(inputs).apply(agent).execute())
        sent = len(server.requests)
        rep, replay_s = timed(lambda: fa.replay(run, agent))
        assert rep.identical and len(server.requests) == sent, rep.summary()
    print(f"live run over HTTP ({args.delay_ms:.0f} ms/reply): {live_s:.3f} s")
    print(f"replay (no request sent):            {replay_s:.3f} s")
    print(f"ratio live/replay: {live_s / replay_s:.1f}x")
    scripted = fa.ScriptedChatModelConnection(default_reply="ok")
    offline = ask_and_answer_agent(scripted)
    run2, scripted_s = timed(lambda: env.from_list(inputs).apply(offline).execute())
    rep2, replay2_s = timed(lambda: fa.replay(run2, offline))
    assert rep2.identical
    per_input = replay2_s / len(inputs) * 1e3
    print(
        f"scripted live run: {scripted_s:.3f} s; its replay: {replay2_s:.3f} s "
        f"({per_input:.2f} ms per input, ratio replay/live {replay2_s / scripted_s:.1f}x)"
    )


if __name__ == "__main__":
    main()
