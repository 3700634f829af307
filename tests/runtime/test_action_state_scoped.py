"""A scoped action state store (each Flink subtask's, upstream bug #1010): after a restore or
a rescale it reads a key's recovered states when the key's first input arrives, so it never
holds, replays or prunes the entries of keys that another subtask owns. SQLite and Redis."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from flink_agents_runtime.durable import (
    ActionState,
    ActionStateStore,
    ActionStateTracker,
    RedisActionStateStore,
    SqliteActionStateStore,
)
from tests.helpers.redis_server import redis_server

pytestmark = pytest.mark.usefixtures("clean_env")

Opener = Callable[[str], ActionStateStore]


@pytest.fixture(params=["sqlite", "redis"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """A factory ``open_store(namespace) -> store`` for each backend."""
    opened: list[ActionStateStore] = []
    if request.param == "sqlite":

        def make(ns: str) -> ActionStateStore:
            opened.append(SqliteActionStateStore(str(tmp_path / "s.sqlite"), ns))
            return opened[-1]

        yield make
    else:
        with redis_server(tmp_path) as url:

            def make(ns: str) -> ActionStateStore:
                opened.append(RedisActionStateStore(url, ns))
                return opened[-1]

            yield make
    for store in opened:
        store.close()


def done(action: str) -> ActionState:
    return ActionState(action, "fp", done=True, status="ok", events=[("out", {"v": action})])


def test_a_scoped_store_reads_only_the_keys_it_handles(open_store: Opener) -> None:
    # Before the rescale: two subtasks wrote states of keys a, b (one) and c, d (other).
    writer = open_store("job")
    for key in "abcd":
        for seq in range(3):
            writer.put(key, seq, 0, done(f"{key}{seq}"))
    # After it: a subtask that owns a and c only ever sees inputs of a and c.
    store = open_store("job")
    assert store.rebuild(scoped=True) == 0  # nothing read up front
    assert store.keys() == []
    assert store.get("a", 2)[0].action == "a2"
    assert store.prune("c", 2) == 2  # c's inputs 0 and 1 are covered by the restore
    assert store.get("c", 2)[0].action == "c2"
    assert store.get("a", 9) == {}
    assert store.keys() == ["'a'", "'c'"]  # b and d were never read, held or pruned
    # ... and the other subtask still finds b and d whole.
    other = open_store("job")
    other.rebuild(scoped=True)
    assert sorted(other.get("b", s)[0].action for s in range(3)) == ["b0", "b1", "b2"]
    assert other.prune("d", 1) == 1
    assert other.keys() == ["'b'", "'d'"]
    # An unscoped store (the local driver) still reads the whole namespace at once.
    everything = open_store("job")
    assert everything.rebuild() == 4 * 3 - 2 - 1
    assert everything.keys() == ["'a'", "'b'", "'c'", "'d'"]


def test_a_scoped_store_remembers_what_it_writes_for_new_keys(open_store: Opener) -> None:
    store = open_store("job")
    store.rebuild(scoped=True)
    store.put("new", 0, 0, done("x"))
    store.put("new", 1, 0, done("y"))
    assert store.keys() == ["'new'"]
    assert store.prune("new", 1) == 1
    reopened = open_store("job")
    reopened.rebuild(scoped=True)
    assert list(reopened.get("new", 1)) == [0]
    assert reopened.get("new", 0) == {}  # pruned for good


def test_the_tracker_of_a_subtask_prunes_and_holds_its_own_keys_only(
    open_store: Opener,
) -> None:
    writer = open_store("job")
    for key in ("mine", "theirs"):
        for seq in range(4):
            writer.put(key, seq, 0, done(f"{key}{seq}"))
    store = open_store("job")
    store.rebuild(scoped=True)
    tracker = ActionStateTracker(store)
    ctx = SimpleNamespace(key="mine")
    tracker.begin_input(ctx, 3)  # restored: this key's next input is number 3
    assert tracker.pruned == 3
    summary = tracker.summary()
    assert summary["keysHandled"] == ["'mine'"]
    assert summary["keysHeld"] == ["'mine'"]
    other = open_store("job")
    other.rebuild()
    assert other.index == {"'mine'": {3}, "'theirs'": {0, 1, 2, 3}}


def test_the_index_of_a_long_running_subtask_keeps_one_entry_per_key(
    open_store: Opener,
) -> None:
    store = open_store("job")
    store.rebuild(scoped=True)
    tracker = ActionStateTracker(store)
    ctx = SimpleNamespace(key="k")
    for seq in range(50):
        tracker.begin_input(ctx, seq)
        store.put("k", seq, 0, done(f"k{seq}"))
    assert store.index == {"'k'": {49}}  # memory: not one entry per input
    reopened = open_store("job")
    assert reopened.rebuild() == 50  # every input's state is still stored for a restore
