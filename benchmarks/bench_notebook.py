"""Notebook views on a 1M-event run: stepper moves and filters, the dashboard.

Targets (issue 5): stepper next/prev and filter under 50 ms each; the dashboard on 1M events
under 5 s. Baseline in the same run: a plain ``frame.groupby`` count over the same frame (the
cheapest useful pass over it), so the ratio says how far from "one pandas pass" we are.

Records are synthetic but shaped exactly like a run's (RECORD_COLUMNS): per input an
``_input_event`` handled by ``ask`` (two memory writes), a ``chat_response`` (tokens, one of
two models) handled by ``answer``, and an ``_output_event``: 3 events + 2 actions per input.

Run: ``.venv/bin/python benchmarks/bench_notebook.py [events]`` (default 1,000,000).
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np
import pandas as pd

from flink_agents_nb.run._frames import RECORD_COLUMNS


def synthetic_frame(events: int = 1_000_000, keys: int = 1000, seed: int = 7) -> pd.DataFrame:
    """A record frame of ``events`` events (rounded down to whole inputs) and their actions."""
    rng = np.random.default_rng(seed)
    n = events // 3
    seq0 = np.arange(n) * 5
    key = (np.arange(n) % keys).astype(str)
    key = np.char.add("user-", key).astype(object)
    t0 = 1_700_000_000_000_000_000
    start = t0 + np.arange(n, dtype=np.int64) * 20_000  # 50k inputs/s
    d_ask = rng.lognormal(-1.0, 0.6, n)  # ms
    d_ans = rng.lognormal(-2.0, 0.4, n)
    ids = np.array([f"{i:08x}-0000-0000-0000-000000000000" for i in range(3 * n)], dtype=object)
    in_id, resp_id, out_id = ids[0::3], ids[1::3], ids[2::3]
    model = np.where(np.arange(n) % 3 == 0, "big-model", "small-model").astype(object)
    prompt = rng.integers(50, 400, n)
    completion = rng.integers(10, 200, n)
    cols: dict[str, list[np.ndarray]] = {c: [] for c in RECORD_COLUMNS}
    none = np.full(n, None, dtype=object)
    nan = np.full(n, np.nan)

    def add(**kw: np.ndarray) -> None:
        for c in RECORD_COLUMNS:
            cols[c].append(kw.get(c, none if c not in ("duration_ms",) else nan))

    ask_ns = (d_ask * 1e6).astype(np.int64)
    ans_ns = (d_ans * 1e6).astype(np.int64)
    common = {
        "key": key,
        "input_seq": np.arange(n),
        "job": np.full(n, "bench", object),
        "task": np.full(n, "local", object),
        "subtask": np.zeros(n, np.int64),
    }
    add(
        record_type=np.full(n, "event", object),
        timestamp=start,
        seq=seq0,
        event_id=in_id,
        event_type=np.full(n, "_input_event", object),
        attributes=np.array([{"input": int(i)} for i in range(n)], dtype=object),
        **common,
    )
    add(
        record_type=np.full(n, "action", object),
        timestamp=start + 1000,
        seq=seq0 + 1,
        event_id=in_id,
        event_type=np.full(n, "_input_event", object),
        action=np.full(n, "ask", object),
        duration_ms=d_ask,
        status=np.full(n, "ok", object),
        attempt=np.ones(n, np.int64),
        attributes=np.array(
            [
                {
                    "sentEventIds": [r],
                    "memoryWrites": [
                        {"memory": "short_term", "path": "count", "value": int(i)},
                        {"memory": "sensory", "path": "question", "value": int(i)},
                    ],
                }
                for i, r in enumerate(resp_id)
            ],
            dtype=object,
        ),
        **common,
    )
    add(
        record_type=np.full(n, "event", object),
        timestamp=start + 1000 + ask_ns,
        seq=seq0 + 2,
        event_id=resp_id,
        event_type=np.full(n, "chat_response", object),
        upstream_event_id=in_id,
        upstream_action=np.full(n, "ask", object),
        prompt_tokens=prompt,
        completion_tokens=completion,
        model=model,
        attributes=np.array([{"text": "ok", "model": m} for m in model], dtype=object),
        **common,
    )
    add(
        record_type=np.full(n, "action", object),
        timestamp=start + 2000 + ask_ns,
        seq=seq0 + 3,
        event_id=resp_id,
        event_type=np.full(n, "chat_response", object),
        action=np.full(n, "answer", object),
        duration_ms=d_ans,
        status=np.full(n, "ok", object),
        attempt=np.ones(n, np.int64),
        attributes=np.array(
            [{"sentEventIds": [o], "memoryWrites": []} for o in out_id], dtype=object
        ),
        **common,
    )
    add(
        record_type=np.full(n, "event", object),
        timestamp=start + 2000 + ask_ns + ans_ns,
        seq=seq0 + 4,
        event_id=out_id,
        event_type=np.full(n, "_output_event", object),
        upstream_event_id=resp_id,
        upstream_action=np.full(n, "answer", object),
        attributes=np.array([{"output": "ok"}] * n, dtype=object),
        **common,
    )
    data = {c: np.concatenate(v) for c, v in cols.items()}
    frame = pd.DataFrame(data)
    frame = frame.sort_values("seq", kind="stable").reset_index(drop=True)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    for c in ("seq", "input_seq", "subtask", "attempt", "prompt_tokens", "completion_tokens"):
        frame[c] = pd.array(frame[c].to_numpy(dtype=float), dtype="Float64").astype("Int64")
    return frame


def _ms(fn: object, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        best = min(best, (time.perf_counter() - t) * 1000)
    return best


def main() -> None:
    from flink_agents_nb.charts._dashboard import dashboard
    from flink_agents_nb.stepper._stepper import Stepper

    events = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    t = time.perf_counter()
    frame = synthetic_frame(events)
    print(f"built {len(frame):,} records ({events:,} events) in {time.perf_counter() - t:.1f}s")
    base = _ms(lambda: frame.groupby("event_type").size(), 3)
    print(f"baseline frame.groupby('event_type').size(): {base:.1f} ms")
    t = time.perf_counter()
    s = Stepper(frame)
    print(f"Stepper(frame) construction: {(time.perf_counter() - t) * 1000:.0f} ms")
    s.jump(s.total // 2)
    nxt = _ms(s.next, 20)
    prv = _ms(s.prev, 20)
    flt = _ms(lambda: s.filter(key="user-7", event_type="chat_response"), 5)
    flt_all = _ms(lambda: s.filter(action="answer"), 5)
    s.clear_filters()
    s.jump(s.total // 2)
    t = time.perf_counter()
    s.view()
    first_view = (time.perf_counter() - t) * 1000
    view = _ms(s.view, 5)
    print(f"stepper next: {nxt:.3f} ms, prev: {prv:.3f} ms (target < 50 ms)")
    print(
        f"stepper filter key+type: {flt:.1f} ms, filter action: {flt_all:.1f} ms "
        f"({flt / base:.2f}x baseline)"
    )
    print(
        f"stepper view (record, lineage, memory, metrics) mid-run: {view:.1f} ms "
        f"(first, building the memory index: {first_view:.0f} ms)"
    )
    t = time.perf_counter()
    fig = dashboard(frame)
    dash = time.perf_counter() - t
    print(
        f"dashboard on {events:,} events: {dash:.2f} s (target < 5 s), "
        f"{len(fig.data)} traces, {dash * 1000 / base:.0f}x baseline"
    )


def live_overhead(inputs: int = 100_000, rounds: int = 5) -> None:
    """A local run of a two-action agent: without sinks, with a no-op sink, with a LiveChart."""
    import flink_agents_nb as fa
    from flink_agents_runtime import Event, InputEvent, OutputEvent

    def first(event: object, ctx: object) -> None:
        ctx.send_event(Event(type="step", attributes={"v": event.input}))  # type: ignore[attr-defined]

    def second(event: object, ctx: object) -> None:
        ctx.send_event(OutputEvent(output=event.v))  # type: ignore[attr-defined]

    agent = fa.Agent()
    agent.add_action("first", [InputEvent], first)
    agent.add_action("second", ["step"], second)
    data = [{"key": i % 100, "value": i} for i in range(inputs)]

    def once(sinks: list[object]) -> float:
        t = time.perf_counter()
        fa.local().from_list(data).apply(agent).execute(record=False, sinks=sinks)
        return time.perf_counter() - t

    class Null:
        def on_event(self, record: object) -> None:
            pass

        def on_action(self, record: object) -> None:
            pass

    # Interleaved rounds (plain, no-op sink, LiveChart in turn), so drift in the machine's load
    # (2 shared cores) hits all three alike; min and median over the rounds.
    times: dict[str, list[float]] = {"plain": [], "null": [], "live": []}
    live: object = None
    for _ in range(rounds):
        times["plain"].append(once([]))
        times["null"].append(once([Null()]))
        live = fa.LiveChart()
        times["live"].append(once([live]))
    plain, null, with_live = (min(times[k]) for k in ("plain", "null", "live"))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(
        f"local run of {inputs:,} inputs ({rounds} interleaved rounds, min): {plain:.2f} s "
        f"without sinks, {null:.2f} s with a no-op sink (the core then builds records), "
        f"{with_live:.2f} s with a LiveChart: {(with_live / null - 1) * 100:+.1f}% vs the no-op "
        f"sink (median {(med['live'] / med['null'] - 1) * 100:+.1f}%; target < +10%), "
        f"{(with_live / plain - 1) * 100:+.1f}% vs no sinks; "
        f"{getattr(live, 'redraws', 0)} redraws"
    )


if __name__ == "__main__":
    live_overhead()
    main()
