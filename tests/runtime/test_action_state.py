"""Exactly-once actions on the local driver: the action state store (SQLite and Redis), replay
of completed actions, recorded durable calls in a half-finished action, the reconciler, and
fail-fast configuration. A side-effect log outside the run (O_APPEND lines) counts real calls.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flink_agents_runtime import (
    ActionFailedError,
    Agent,
    AgentConfiguration,
    ConfigError,
    InputEvent,
    LocalExecutionEnvironment,
    OutputEvent,
)
from flink_agents_runtime._errors import ActionStateStoreError
from flink_agents_runtime.durable import (
    ActionState,
    CallResult,
    RedisActionStateStore,
    SqliteActionStateStore,
    open_action_state_store,
)
from tests.helpers.ports import free_port
from tests.helpers.redis_server import redis_server
from tests.helpers.side_effects import pay as side_effect
from tests.helpers.side_effects import payments

pytestmark = pytest.mark.usefixtures("clean_env")


def pay_agent(log: str, crash_file: str, crash_at: int) -> Agent:
    """Per input: pay (durable), remember the count per key, emit the receipt. While
    ``crash_file`` exists, the action crashes on input value ``crash_at`` after paying."""

    def pay(event: Any, ctx: Any) -> None:
        value = event.input
        receipt = ctx.durable_execute(side_effect, log, f"pay-{value}")
        if value == crash_at and os.path.exists(crash_file):
            raise RuntimeError(f"injected crash at {value}")
        seen = ctx.short_term_memory.get("paid", 0) + 1
        ctx.short_term_memory.set("paid", seen)
        ctx.send_event(OutputEvent(output={"v": value, "receipt": receipt, "paid": seen}))

    return Agent().add_action("pay", [InputEvent], pay)


def run_local(agent: Agent, inputs: list[dict[str, Any]], **config: Any) -> Any:
    env = LocalExecutionEnvironment(AgentConfiguration.resolve(overrides=config))
    return env.from_list(inputs).apply(agent).execute(job_name=config.get("job-identifier"))


INPUTS = [{"key": f"k{i % 3}", "value": i} for i in range(12)]


def crash_then_recover(tmp_path: Path, **store: Any) -> tuple[Any, str]:
    log = str(tmp_path / "effects.log")
    crash = tmp_path / "crash"
    crash.touch()
    agent = pay_agent(log, str(crash), crash_at=7)
    cfg = {"job-identifier": "pay-job", **store}
    with pytest.raises(ActionFailedError) as info:
        run_local(agent, INPUTS, **cfg)
    assert "injected crash at 7" in str(info.value)
    assert payments(log)["pay-7"] == 1
    crash.unlink()
    return run_local(agent, INPUTS, **cfg), log


def check_exactly_once(run: Any, log: str) -> None:
    outs = run.output_values()
    assert sorted(o["v"] for o in outs) == list(range(12))  # every input: one output
    assert payments(log) == Counter(f"pay-{i}" for i in range(12))  # every call: once
    assert {o["receipt"] for o in outs} == {f"receipt-pay-{i}" for i in range(12)}
    # memory replayed: per key the count goes 1..4 as if nothing had failed
    for k in range(3):
        assert [o["paid"] for o in outs if o["v"] % 3 == k] == [1, 2, 3, 4]


def test_sqlite_store_recovery_runs_each_durable_call_once(tmp_path: Path) -> None:
    db = str(tmp_path / "state.sqlite")
    run, log = crash_then_recover(
        tmp_path, actionStateStoreBackend="sqlite", **{"actionStateStore.sqlite.path": db}
    )
    check_exactly_once(run, log)
    statuses = Counter(a.status for a in run.actions)
    assert statuses == {"replayed": 7, "ok": 5}  # inputs 0-6 replayed, 7 resumed, 8-11 new
    # a completed run is its own final checkpoint: its states are pruned
    store = SqliteActionStateStore(db, "pay-job")
    assert store.rebuild() == 0
    store.close()


def test_without_a_store_recovery_repeats_side_effects(tmp_path: Path) -> None:
    run, log = crash_then_recover(tmp_path)
    assert sorted(o["v"] for o in run.output_values()) == list(range(12))
    counts = payments(log)
    assert counts["pay-0"] == 2 and counts["pay-7"] == 2 and counts["pay-8"] == 1


def test_half_finished_action_gets_recorded_calls_in_order(tmp_path: Path) -> None:
    log = str(tmp_path / "effects.log")
    crash = tmp_path / "crash"
    crash.touch()

    def act(event: Any, ctx: Any) -> None:
        a = ctx.durable_execute(side_effect, log, "first")
        b = ctx.durable_execute(side_effect, log, "second")
        if os.path.exists(crash):
            raise RuntimeError("crash between calls")
        c = ctx.durable_execute(side_effect, log, "third")
        ctx.send_event(OutputEvent(output=[a, b, c]))

    agent = Agent().add_action("act", [InputEvent], act)
    cfg = {
        "job-identifier": "half",
        "actionStateStoreBackend": "sqlite",
        "actionStateStore.sqlite.path": str(tmp_path / "s.sqlite"),
    }
    with pytest.raises(ActionFailedError):
        run_local(agent, [{"key": "k", "value": 1}], **cfg)
    crash.unlink()
    run = run_local(agent, [{"key": "k", "value": 1}], **cfg)
    assert run.output_values() == [["receipt-first", "receipt-second", "receipt-third"]]
    assert Path(log).read_text().split() == ["first", "second", "third"]


def test_recorded_exception_is_raised_again_on_recovery(tmp_path: Path) -> None:
    calls = tmp_path / "calls.log"

    def flaky(n: int) -> int:
        side_effect(str(calls), f"flaky-{n}")
        raise ValueError(f"declined {n}")

    def act(event: Any, ctx: Any) -> None:
        try:
            ctx.durable_execute(flaky, event.input)
        except ValueError as exc:
            ctx.send_event(OutputEvent(output=str(exc)))
        if (tmp_path / "crash").exists():
            raise RuntimeError("crash after the call")

    (tmp_path / "crash").touch()
    agent = Agent().add_action("act", [InputEvent], act)
    cfg = {
        "job-identifier": "exc",
        "actionStateStoreBackend": "sqlite",
        "actionStateStore.sqlite.path": str(tmp_path / "s.sqlite"),
    }
    with pytest.raises(ActionFailedError):
        run_local(agent, [{"key": "k", "value": 5}], **cfg)
    (tmp_path / "crash").unlink()
    run = run_local(agent, [{"key": "k", "value": 5}], **cfg)
    assert run.output_values() == ["declined 5"]
    assert payments(str(calls)) == Counter({"flaky-5": 1})


KILLED_RUN = """
import os, sys
from flink_agents_runtime import Agent, AgentConfiguration, InputEvent, OutputEvent
from flink_agents_runtime import LocalExecutionEnvironment

log, db, mode = sys.argv[1], sys.argv[2], sys.argv[3]

def charge(n):
    with open(log, "a") as f:
        f.write(f"charge-{n}\\n")
    if mode == "die":
        os._exit(17)  # the process dies after the side effect, before it is recorded
    return f"charged-{n}"

def settle():
    with open(log, "a") as f:
        f.write("reconcile\\n")
    return "charged-1 (reconciled)"

def act(event, ctx):
    r = ctx.durable_execute(charge, event.input, reconciler=settle)
    ctx.send_event(OutputEvent(output=r))

cfg = AgentConfiguration.resolve(overrides={
    "actionStateStoreBackend": "sqlite", "actionStateStore.sqlite.path": db})
env = LocalExecutionEnvironment(cfg)
run = env.from_list([{"key": "k", "value": 1}]).apply(
    Agent().add_action("act", [InputEvent], act)).execute(job_name="killed")
print(run.output_values())
"""


def test_reconciler_settles_a_call_whose_process_was_killed(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(KILLED_RUN)
    log, db = str(tmp_path / "effects.log"), str(tmp_path / "s.sqlite")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLINK_AGENTS_NB_")}
    first = subprocess.run(
        [sys.executable, str(script), log, db, "die"], capture_output=True, text=True, env=env
    )
    assert first.returncode == 17, first.stderr
    second = subprocess.run(
        [sys.executable, str(script), log, db, "live"], capture_output=True, text=True, env=env
    )
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "['charged-1 (reconciled)']"
    assert Path(log).read_text().split() == ["charge-1", "reconcile"]


def test_retry_strategy_reruns_failed_calls_but_not_successful_ones(tmp_path: Path) -> None:
    log = str(tmp_path / "effects.log")
    attempts = {"n": 0}

    def sometimes(what: str) -> str:
        attempts["n"] += 1
        if attempts["n"] < 3:
            side_effect(log, "declined")
            raise ConnectionError("try later")
        return side_effect(log, what)

    def act(event: Any, ctx: Any) -> None:
        ctx.durable_execute(side_effect, log, "reserve")
        ctx.send_event(OutputEvent(output=ctx.durable_execute(sometimes, "charge")))

    agent = Agent().add_action("act", [InputEvent], act)
    run = run_local(
        agent,
        [{"key": "k", "value": 1}],
        **{
            "error-handling-strategy": "retry",
            "max-retries": 3,
            "retry-wait-interval": 0,
            "actionStateStoreBackend": "sqlite",
            "actionStateStore.sqlite.path": str(tmp_path / "s.sqlite"),
        },
    )
    assert run.output_values() == ["receipt-charge"]
    assert payments(log) == Counter({"reserve": 1, "declined": 2, "charge": 1})
    assert [a.status for a in run.actions] == ["failed", "failed", "ok"]


def test_ignored_action_is_not_run_again_on_recovery(tmp_path: Path) -> None:
    log = str(tmp_path / "effects.log")

    def act(event: Any, ctx: Any) -> None:
        ctx.durable_execute(side_effect, log, f"call-{event.input}")
        if event.input == 0:
            raise ValueError("bad input")  # ignored
        if event.input == 2 and (tmp_path / "crash").exists():
            raise SystemExit("process dies")  # not an Exception: ends the run
        ctx.send_event(OutputEvent(output=event.input))

    (tmp_path / "crash").touch()
    agent = Agent().add_action("act", [InputEvent], act)
    cfg = {
        "job-identifier": "ign",
        "error-handling-strategy": "ignore",
        "actionStateStoreBackend": "sqlite",
        "actionStateStore.sqlite.path": str(tmp_path / "s.sqlite"),
    }
    inputs = [{"key": "k", "value": i} for i in range(4)]
    with pytest.raises(SystemExit):
        run_local(agent, inputs, **cfg)
    (tmp_path / "crash").unlink()
    run = run_local(agent, inputs, **cfg)
    assert run.output_values() == [1, 2, 3]
    assert payments(log) == Counter({f"call-{i}": 1 for i in range(4)})
    assert [a.status for a in run.actions] == ["ignored", "replayed", "ok", "ok"]


def test_store_api_put_get_prune_rebuild(tmp_path: Path) -> None:
    db = str(tmp_path / "s.sqlite")
    store = SqliteActionStateStore(db, "ns")
    state = ActionState("a", "fp", done=True, status="ok", events=[("x", {"v": 1})])
    state.calls[0] = CallResult("m.f", "ok", {"deep": [1, 2]})
    for seq in range(3):
        store.put("k", seq, 0, state)
    store.put(7, 0, 1, state)
    assert store.get("k", 1)[0] == state
    assert store.get("k", 9) == {}
    other = SqliteActionStateStore(db, "other-job")  # namespaces are separate
    assert other.rebuild() == 0 and other.get("k", 1) == {}
    reopened = SqliteActionStateStore(db, "ns")
    assert reopened.rebuild() == 4  # after a restore: what is there
    assert reopened.get(7, 0)[1].calls[0].value == {"deep": [1, 2]}
    assert reopened.get("7", 0) == {}  # keys keep their type
    assert reopened.prune("k", 2) == 2
    assert reopened.index == {"'k'": {2}, "7": {0}}
    assert SqliteActionStateStore(db, "ns").rebuild() == 2
    for s in (store, other, reopened):
        s.close()


# -- configuration: fail fast ---------------------------------------------------------------
def test_unknown_backend_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"actionStateStoreBackend.*one of sqlite, redis"):
        AgentConfiguration.resolve(overrides={"actionStateStoreBackend": "kafka"})


def test_unreachable_store_fails_before_any_action_runs(tmp_path: Path) -> None:
    ran: list[int] = []

    def act(event: Any, ctx: Any) -> None:
        ran.append(event.input)

    agent = Agent().add_action("act", [InputEvent], act)
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    with pytest.raises(ActionStateStoreError) as info:
        run_local(
            agent,
            [{"key": 1, "value": 1}],
            **{"actionStateStoreBackend": "redis", "actionStateStore.redis.url": url},
        )
    # Fails on the refused connection itself, not after waiting out a timeout.
    assert isinstance(info.value.__cause__, ConnectionRefusedError)
    assert "cannot connect" in str(info.value) and "****" in str(info.value)
    assert "hunter2" not in str(info.value)
    assert ran == []
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    with pytest.raises(ActionStateStoreError, match=r"cannot open .*actionStateStore\.sqlite"):
        run_local(
            agent,
            [{"key": 1, "value": 1}],
            **{
                "actionStateStoreBackend": "sqlite",
                "actionStateStore.sqlite.path": str(blocked / "s.sqlite"),
            },
        )
    assert ran == []


def test_redis_url_with_password_is_masked_in_config() -> None:
    cfg = AgentConfiguration.resolve(
        overrides={"actionStateStore.redis.url": "redis://:s3cret@10.0.0.1:6379/0"}
    )
    assert "s3cret" not in repr(cfg)
    assert cfg.to_dict()["actionStateStore.redis.url"] == "****"


# -- Redis: a store that a multi-host cluster shares ----------------------------------------
@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server on 127.0.0.1 (free port, password), stopped after the module."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def test_redis_store_recovery_runs_each_durable_call_once(tmp_path: Path, redis_url: str) -> None:
    run, log = crash_then_recover(
        tmp_path,
        actionStateStoreBackend="redis",
        **{"actionStateStore.redis.url": redis_url},
    )
    check_exactly_once(run, log)
    assert Counter(a.status for a in run.actions) == {"replayed": 7, "ok": 5}


def test_redis_store_api_and_bad_password(redis_url: str) -> None:
    cfg = AgentConfiguration.resolve(
        overrides={"actionStateStoreBackend": "redis", "actionStateStore.redis.url": redis_url}
    )
    store = open_action_state_store(cfg, "api")
    assert store is not None
    state = ActionState("a", "fp", done=True, status="ok", writes=[("short_term", "x", 1)])
    for seq in range(3):
        store.put("k", seq, 0, state)
        store.put("k", seq, 1, state)
    assert set(store.get("k", 2)) == {0, 1} and store.get("k", 2)[1] == state
    again = open_action_state_store(cfg, "api")
    assert again is not None and again.rebuild() == 3
    assert again.prune("k", 2) == 2 and again.get("k", 1) == {}
    assert store.prune_all() == 1
    store.close()
    again.close()
    bad = redis_url.replace("pw-123", "wrong")
    with pytest.raises(ActionStateStoreError) as info:
        RedisActionStateStore(bad, "x")
    assert "wrong" not in str(info.value) and "****" in str(info.value)


def test_sample_flink_config_agent_section_and_checkpoint_keys() -> None:
    import yaml

    from flink_agents_runtime.durable._recovery import checkpoint_settings

    sample = Path(__file__).resolve().parents[2] / "conf" / "flink-config.yaml"
    cfg = AgentConfiguration().load_yaml(sample)
    assert cfg.get("actionStateStoreBackend") == "redis"
    assert cfg.source_of("job-identifier").startswith(str(sample))
    flink = yaml.safe_load(sample.read_text())
    ours = AgentConfiguration.resolve(
        overrides={
            "checkpoint.interval-ms": 10_000,
            "checkpoint.dir": "file:///var/lib/flink/checkpoints",
            "state.backend": "hashmap",
            "restart.attempts": 5,
            "restart.delay-ms": 5000,
        }
    )
    settings = checkpoint_settings(ours)
    assert settings == {
        "execution.checkpointing.interval": "10000 ms",
        "execution.checkpointing.mode": "EXACTLY_ONCE",
        "execution.checkpointing.dir": flink["execution"]["checkpointing"]["dir"],
        "state.backend.type": flink["state"]["backend"]["type"],
        "restart-strategy.type": flink["restart-strategy"]["type"],
        "restart-strategy.fixed-delay.attempts": "5",
        "restart-strategy.fixed-delay.delay": "5000 ms",
    }
    assert checkpoint_settings(AgentConfiguration()) == {}  # unset: the cluster decides


def test_async_durable_calls_are_recorded_and_replayed_in_order(tmp_path: Path) -> None:
    log = str(tmp_path / "effects.log")

    async def act(event: Any, ctx: Any) -> None:
        a = await ctx.durable_execute_async(side_effect, log, f"a-{event.input}")
        if event.input == 2 and (tmp_path / "crash").exists():
            raise RuntimeError("crash between async calls")
        b = await ctx.durable_execute_async(side_effect, log, f"b-{event.input}")
        ctx.send_event(OutputEvent(output=[a, b]))

    (tmp_path / "crash").touch()
    agent = Agent().add_action("act", [InputEvent], act)
    cfg = {
        "job-identifier": "async",
        "num-async-threads": 4,
        "actionStateStoreBackend": "sqlite",
        "actionStateStore.sqlite.path": str(tmp_path / "s.sqlite"),
    }
    inputs = [{"key": i % 2, "value": i} for i in range(4)]
    with pytest.raises(ActionFailedError):
        run_local(agent, inputs, **cfg)
    (tmp_path / "crash").unlink()
    run = run_local(agent, inputs, **cfg)
    assert sorted(run.output_values()) == [[f"receipt-a-{i}", f"receipt-b-{i}"] for i in range(4)]
    assert payments(log) == Counter([f"a-{i}" for i in range(4)] + [f"b-{i}" for i in range(4)])


def test_first_input_after_a_restore_prunes_what_the_checkpoint_covers(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from flink_agents_runtime.durable import ActionStateTracker

    db = str(tmp_path / "s.sqlite")
    store = SqliteActionStateStore(db, "job")
    state = ActionState("a", "fp", done=True, status="ok")
    for seq in range(5):
        store.put("k", seq, 0, state)
    store.put("other", 0, 0, state)
    store.close()
    # the job restarts from a checkpoint where key "k" had processed 3 inputs
    reopened = SqliteActionStateStore(db, "job")
    reopened.rebuild()
    tracker = ActionStateTracker(reopened)
    ctx = SimpleNamespace(key="k")
    tracker.begin_input(ctx, 3)
    assert tracker.pruned == 3 and reopened.index == {"'k'": {3, 4}, "'other'": {0}}
    assert tracker._inputs["k"].stored[0] == state  # input 3 still finds its recorded state
    tracker.begin_input(SimpleNamespace(key="k"), 4)  # later inputs prune nothing more
    assert tracker.pruned == 3
    assert SqliteActionStateStore(db, "job").rebuild() == 3
    reopened.close()
