"""Stored state never runs code (issue 13, item 1): action states are JSON with an explicit
codec; a planted pickle row or value is refused as data, not executed; the default SQLite
file lives in a per-user 0700 directory and a directory owned by someone else is refused."""

from __future__ import annotations

import ast
import dataclasses
import math
import os
import pickle
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import flink_agents_runtime
from flink_agents_runtime import (
    ActionFailedError,
    Agent,
    AgentConfiguration,
    InputEvent,
    LocalExecutionEnvironment,
    OutputEvent,
    register_durable_type,
)
from flink_agents_runtime._errors import ActionStateStoreError
from flink_agents_runtime.durable import (
    ActionState,
    CallResult,
    RedisActionStateStore,
    SqliteActionStateStore,
    default_sqlite_path,
)
from flink_agents_runtime.durable._codec import (
    StoredStateError,
    UnstorableValueError,
    decode_state,
    encode_state,
)
from tests.helpers.redis_server import redis_server


class _Exploit:
    """Unpickling this touches ``marker`` (what a planted row would do with os.system)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.marker, "w"))


def _agent() -> Agent:
    def act(event: Any, ctx: Any) -> None:
        ctx.send_event(OutputEvent(output=ctx.durable_execute(str.upper, "x")))

    return Agent().add_action("act", [InputEvent], act)


def _run(**config: Any) -> Any:
    env = LocalExecutionEnvironment(AgentConfiguration.resolve(overrides=config))
    return env.from_list([{"key": "k", "value": 1}]).apply(_agent()).execute(job_name="t")


def test_planted_pickle_row_in_sqlite_is_refused_not_run(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    marker = tmp_path / "pwned"
    store = SqliteActionStateStore(str(db), "job")
    with store._lock:  # plant a pickle where the first action's state of key 'k' goes
        store._db.execute(
            "INSERT INTO action_state VALUES (?, ?, ?, ?, ?)",
            ("t", "'k'", 0, 0, pickle.dumps(_Exploit(str(marker)))),
        )
    store.close()
    cfg = {"job-identifier": "job", "actionStateStoreBackend": "sqlite"}
    with pytest.raises((ActionFailedError, ActionStateStoreError)) as info:
        _run(**cfg, **{"actionStateStore.sqlite.path": str(db)})
    assert not marker.exists()
    text = str(info.value) + str(info.value.__cause__ or "")
    assert "refused" in text and str(db) in text and "'k'" in text


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def test_planted_pickle_value_in_redis_is_refused_not_run(tmp_path: Path, redis_url: str) -> None:
    import redis

    marker = tmp_path / "pwned"
    client = redis.Redis.from_url(redis_url)
    client.execute_command("HSET", "fa:t:'k':0", "0", pickle.dumps(_Exploit(str(marker))))
    client.sadd("fa:t:inputs", "'k'\x000")
    client.close()
    cfg = {"job-identifier": "rjob", "actionStateStoreBackend": "redis"}
    with pytest.raises((ActionFailedError, ActionStateStoreError)) as info:
        _run(**cfg, **{"actionStateStore.redis.url": redis_url})
    assert not marker.exists()
    text = str(info.value) + str(info.value.__cause__ or "")
    assert "refused" in text and "pw-123" not in text
    store = RedisActionStateStore(redis_url, "t")
    store.prune_all()
    store.close()


def test_durable_package_has_no_pickle() -> None:
    root = Path(flink_agents_runtime.__file__).parent / "durable"
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not {n.split(".")[0] for n in names} & {
                "pickle",
                "cloudpickle",
                "dill",
                "marshal",
            }, path


@dataclasses.dataclass
class Receipt:
    id: str
    amount: float


register_durable_type(Receipt)


class Unregistered:
    pass


def test_codec_round_trips_plain_and_registered_values() -> None:
    state = ActionState("a", "fp", done=True, status="ok", events=[("x", {"$fa": 1})])
    state.writes = [("short_term", "p", {"n": [1, 2.5, None, True]})]
    values = [
        (1, "a"),
        b"\x00\xff",
        {1: "int key", (2, 3): "tuple key"},
        {"$fa": "looks like a tag", "v": 1},
        {3, 4},
        float("inf"),
        Receipt("r1", 9.5),
        ValueError("declined"),
    ]
    for i, v in enumerate(values):
        state.calls[i] = CallResult("m.f", "ok", v)
    back = decode_state(encode_state(state))
    assert back.events == state.events and back.writes == state.writes
    got = [back.calls[i].value for i in range(len(values))]
    assert got[:7] == values[:7]
    assert isinstance(got[7], ValueError) and str(got[7]) == "declined"
    nan = decode_state(
        encode_state(ActionState("a", "f", calls={0: CallResult("f", "ok", math.nan)}))
    )
    assert math.isnan(nan.calls[0].value)


def test_unregistered_result_type_is_a_clear_error_naming_the_call(tmp_path: Path) -> None:
    def act(event: Any, ctx: Any) -> None:
        ctx.durable_execute(Unregistered)

    agent = Agent().add_action("make", [InputEvent], act)
    cfg = {"actionStateStoreBackend": "sqlite", "actionStateStore.sqlite.path": str(tmp_path / "s")}
    env = LocalExecutionEnvironment(AgentConfiguration.resolve(overrides=cfg))
    with pytest.raises(ActionFailedError) as info:
        env.from_list([{"key": "k", "value": 1}]).apply(agent).execute(job_name="u")
    cause = info.value.__cause__
    assert isinstance(cause, UnstorableValueError), repr(cause)
    assert "Unregistered" in str(cause) and "'make'" in str(cause)
    assert "register_durable_type" in str(cause)


def test_unknown_tags_and_exception_types_are_refused_or_inert() -> None:
    bad = (
        b'{"format":1,"action":"a","fingerprint":"f","done":true,"status":"ok",'
        b'"events":[],"writes":[],"calls":{"0":["f","ok",{"$fa":"type:os.system","v":"id"}]}}'
    )
    with pytest.raises(StoredStateError, match="not registered"):
        decode_state(bad)
    err = bad.replace(b'{"$fa":"type:os.system","v":"id"}', b'{"$fa":"error","v":["os.Foo","m"]}')
    value = decode_state(err).calls[0].value
    assert isinstance(value, ActionStateStoreError) and "os.Foo: m" in str(value)
    with pytest.raises(StoredStateError, match="not JSON"):
        decode_state(b"\x80\x04garbage")


def test_default_sqlite_file_is_in_a_private_per_user_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = default_sqlite_path()
    parent = Path(path).parent
    assert parent == tmp_path / "state" / "flink-agents-nb"
    assert stat.S_IMODE(parent.stat().st_mode) == 0o700
    parent.chmod(0o777)
    with pytest.raises(ActionStateStoreError, match="mode 777"):
        default_sqlite_path()
    parent.chmod(0o700)
    monkeypatch.setattr(os, "getuid", lambda: parent.stat().st_uid + 4242)
    with pytest.raises(ActionStateStoreError, match="owned by uid"):
        default_sqlite_path()


FULL_DISK = """
import resource, signal, sys
from flink_agents_runtime import Agent, AgentConfiguration, InputEvent, OutputEvent
from flink_agents_runtime import LocalExecutionEnvironment
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
def act(event, ctx):
    r = ctx.durable_execute(lambda n: "x" * 20000 + str(n), event.input)
    ctx.send_event(OutputEvent(output=len(r)))
agent = Agent().add_action("store_big", [InputEvent], act)
cfg = AgentConfiguration.resolve(overrides={
    "actionStateStoreBackend": "sqlite", "actionStateStore.sqlite.path": sys.argv[1]})
env = LocalExecutionEnvironment(cfg)
resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000))  # the disk fills up
try:
    env.from_list([{"key": f"k{i}", "value": i} for i in range(40)]).apply(agent).execute()
except Exception as exc:
    print(type(exc).__name__, exc)
    print("partial outputs:", len(exc.run.outputs))
"""


def test_full_disk_names_path_action_key_and_keeps_the_partial_run(tmp_path: Path) -> None:
    import subprocess
    import sys

    db = tmp_path / "s.sqlite"
    out = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    text = out.stdout
    assert "ActionFailedError" in text, out.stdout + out.stderr
    assert str(db) in text and "'store_big'" in text and "for key 'k" in text
    partial = int(text.rsplit("partial outputs:", 1)[1])
    assert 0 < partial < 40
