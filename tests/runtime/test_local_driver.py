"""The local driver through the one core: ordering, async, error strategies, bad input."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

import flink_agents_nb as fa

pytestmark = pytest.mark.usefixtures("clean_env")


def echo_agent() -> fa.Agent:
    return fa.Agent().add_action(
        "echo", [fa.InputEvent], lambda e, ctx: ctx.send_event(fa.OutputEvent(output=e.input))
    )


def test_cascade_runs_fifo_with_lineage_and_records() -> None:
    def split(event, ctx):  # type: ignore[no-untyped-def]
        for word in event.input.split():
            ctx.send_event(fa.Event(type="word", word=word))

    def shout(event, ctx):  # type: ignore[no-untyped-def]
        ctx.send_event(fa.OutputEvent(output=event.word.upper()))

    agent = (
        fa.Agent().add_action("split", [fa.InputEvent], split).add_action("shout", ["word"], shout)
    )
    run = fa.local().from_list([{"key": "k", "value": "a b"}]).apply(agent).execute()
    assert run.result.output_values() == ["A", "B"]
    events = run.events
    assert list(events["event_type"]) == [
        "_input_event",
        "word",
        "word",
        "_output_event",
        "_output_event",
    ]
    by_id = dict(zip(events["event_id"], events["event_type"], strict=True))
    words = events[events["event_type"] == "word"]
    assert set(words["upstream_action"]) == {"split"}
    assert {by_id[u] for u in words["upstream_event_id"]} == {"_input_event"}
    outs = events[events["event_type"] == "_output_event"]
    assert {by_id[u] for u in outs["upstream_event_id"]} == {"word"}
    actions = run.actions
    assert list(actions["action"]) == ["split", "shout", "shout"]
    assert (actions["duration_ms"] >= 0).all() and set(actions["status"]) == {"ok"}


def test_send_event_rejects_non_json_attributes_naming_the_path() -> None:
    def bad(event, ctx):  # type: ignore[no-untyped-def]
        ctx.send_event(fa.Event(type="x", order={"items": [1, {"when": time}]}))

    agent = fa.Agent().add_action("bad", [fa.InputEvent], bad)
    with pytest.raises(fa.ActionFailedError) as info:
        fa.local().from_list([{"key": 1, "value": 1}]).apply(agent).execute()
    cause = info.value.__cause__
    assert isinstance(cause, fa.EventAttributeError)
    assert cause.path == "x.attributes.order.items[1].when"
    assert "holds a value of type module," in str(cause)


def test_bad_inputs_are_clear_errors() -> None:
    env = fa.local()
    with pytest.raises(fa.InputError, match="input 1 has no 'value'"):
        env.from_list([{"key": 1, "value": 1}, {"key": 2, "val": 3}]).apply(echo_agent()).execute()
    with pytest.raises(fa.InputError, match="input 0 is a list"):
        env.from_list([[1, 2]]).apply(echo_agent()).execute()
    with pytest.raises(fa.EventAttributeError, match="input value input holds a"):
        env.from_list([{"key": 1, "value": object()}]).apply(echo_agent()).execute()


def test_missing_key_defaults_to_position_and_k_v_are_accepted() -> None:
    run = fa.local().from_list([{"value": "a"}, {"k": "x", "v": "b"}]).apply(echo_agent()).execute()
    assert run.to_list() == [{0: "a"}, {"x": "b"}]


def test_environment_runs_many_times_and_to_list_fills() -> None:
    env = fa.local()
    builder = env.from_list([{"key": 1, "value": 1}]).apply(echo_agent())
    out = builder.to_list()
    assert out == []
    env.execute()
    assert out == [{1: 1}]
    again = env.from_list([{"key": 2, "value": 2}]).apply(echo_agent()).execute()
    assert again.to_list() == [{2: 2}]


def test_fail_strategy_stops_with_names_and_keeps_the_partial_run() -> None:
    def boom(event, ctx):  # type: ignore[no-untyped-def]
        if event.input == 3:
            raise ValueError("no threes")
        ctx.send_event(fa.OutputEvent(output=event.input))

    agent = fa.Agent().add_action("boom", [fa.InputEvent], boom)
    with pytest.raises(fa.ActionFailedError) as info:
        fa.local().from_list([{"key": "k", "value": i} for i in range(5)]).apply(agent).execute()
    err = info.value
    assert "action 'boom' failed on event type '_input_event' for key 'k'" in str(err)
    assert "ValueError: no threes" in str(err)
    assert (err.action, err.event_type, err.key) == ("boom", "_input_event", "k")
    assert isinstance(err.run, fa.Run)
    assert err.run.result.output_values() == [0, 1, 2]


def test_ignore_strategy_counts_and_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    def odd_fails(event, ctx):  # type: ignore[no-untyped-def]
        if event.input % 2:
            raise RuntimeError("odd")
        ctx.send_event(fa.OutputEvent(output=event.input))

    agent = fa.Agent().add_action("even", [fa.InputEvent], odd_fails)
    run = (
        fa.local(error_handling_strategy="ignore")
        .from_list([{"key": i, "value": i} for i in range(6)])
        .apply(agent)
        .execute()
    )
    assert run.result.output_values() == [0, 2, 4]
    assert run.metric_counts["numOfActionsFailed"] == 3
    assert run.metric_counts["action.even.numOfActionsFailed"] == 3
    assert list(run.actions["status"]) == ["ok", "ignored"] * 3
    assert "action 'even' failed on event '_input_event' for key 1; ignored" in caplog.text


def test_retry_strategy_backs_off_then_succeeds_or_fails() -> None:
    attempts: dict[int, int] = {}
    stamps: list[float] = []

    def flaky(event, ctx):  # type: ignore[no-untyped-def]
        attempts[event.input] = attempts.get(event.input, 0) + 1
        stamps.append(time.monotonic())
        if attempts[event.input] < 3 or event.input == 99:
            raise TimeoutError("try again")
        ctx.send_event(fa.OutputEvent(output=attempts[event.input]))

    agent = fa.Agent().add_action("flaky", [fa.InputEvent], flaky)
    env = fa.local(error_handling_strategy="retry", max_retries=2, retry_wait_interval=0.02)
    run = env.from_list([{"key": 1, "value": 1}]).apply(agent).execute()
    assert run.result.output_values() == [3]
    assert run.metric_counts["numOfActionRetries"] == 2
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert gaps[0] >= 0.02 and gaps[1] >= 0.04  # exponential backoff
    assert list(run.actions["attempt"]) == [1, 2, 3]
    with pytest.raises(fa.ActionFailedError, match="failed after 3 attempts") as info:
        env.from_list([{"key": 1, "value": 99}]).apply(agent).execute()
    assert info.value.attempts == 3


def test_async_actions_interleave_keys_but_keep_each_key_in_order() -> None:
    log: list[tuple[str, int, str]] = []
    lock = threading.Lock()

    other_key_started = threading.Event()

    def slow(key: str, n: int) -> int:
        with lock:
            log.append((key, n, "start"))
        if key != "a":
            other_key_started.set()
        if (key, n) == ("a", 0):  # the first call waits for another key: no race with load
            other_key_started.wait(10)
        time.sleep(0.05)
        with lock:
            log.append((key, n, "end"))
        return n * 10

    async def call(event, ctx):  # type: ignore[no-untyped-def]
        result = await ctx.durable_execute_async(slow, ctx.key, event.input)
        ctx.send_event(fa.OutputEvent(output=result))

    agent = fa.Agent().add_action("call", [fa.InputEvent], call)
    inputs = [{"key": k, "value": n} for n in range(3) for k in "abcd"]
    run = fa.local(num_async_threads=8).from_list(inputs).apply(agent).execute()
    per_key: dict[object, list[int]] = {}
    for out in run.result.outputs:
        per_key.setdefault(out.key, []).append(out.value)
    assert per_key == {k: [0, 10, 20] for k in "abcd"}
    for key in "abcd":  # a key's calls never overlap and run in input order
        mine = [(n, what) for k, n, what in log if k == key]
        assert mine == [
            (0, "start"),
            (0, "end"),
            (1, "start"),
            (1, "end"),
            (2, "start"),
            (2, "end"),
        ]
    starts_before_first_end = log.index(next(x for x in log if x[2] == "end"))
    assert starts_before_first_end >= 2  # other keys started while the first waited
    in_flight = list(itertools.accumulate(1 if what == "start" else -1 for _, _, what in log))
    assert max(in_flight) >= 2  # calls of different keys overlapped (one per key at most)
    assert max(in_flight) <= 4


def test_async_action_may_not_await_foreign_awaitables() -> None:
    import asyncio

    async def bad(event, ctx):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0)

    agent = fa.Agent().add_action("bad", [fa.InputEvent], bad)
    with pytest.raises(fa.ActionFailedError, match=r"may only await ctx\.durable_execute_async"):
        fa.local().from_list([{"key": 1, "value": 1}]).apply(agent).execute()


def test_durable_execute_runs_inline_and_returns_the_result() -> None:
    def act(event, ctx):  # type: ignore[no-untyped-def]
        ctx.send_event(fa.OutputEvent(output=ctx.durable_execute(pow, event.input, 2)))

    agent = fa.Agent().add_action("act", [fa.InputEvent], act)
    assert fa.local().from_list([{"key": 1, "value": 7}]).apply(agent).execute().to_list() == [
        {1: 49}
    ]


def test_recording_is_a_switch() -> None:
    agent = echo_agent()
    run = fa.local().from_list([{"key": 1, "value": 1}]).apply(agent).execute(record=False)
    assert run.result.events is None
    assert run.outputs["output"].tolist() == [1]
    with pytest.raises(ValueError, match="execute with record=True"):
        _ = run.events
    inputs = ({"key": i, "value": i} for i in range(10))  # unknown length: not recorded
    assert fa.local().from_list(inputs).apply(agent).execute().result.events is None


def test_retry_strategy_respects_errors_that_already_retried() -> None:
    calls = []

    class Exhausted(RuntimeError):
        retryable = False

    def gives_up(event, ctx):  # type: ignore[no-untyped-def]
        calls.append(1)
        raise Exhausted("retried in place already")

    agent = fa.Agent().add_action("gives_up", [fa.InputEvent], gives_up)
    env = fa.local(error_handling_strategy="retry", max_retries=3, retry_wait_interval=0)
    with pytest.raises(fa.ActionFailedError, match="Exhausted: retried in place already"):
        env.from_list([{"key": 1, "value": 1}]).apply(agent).execute()
    assert len(calls) == 1
