"""SQLite action state store: the embedded default (one machine: notebook, MiniCluster, or a
standalone cluster on one host). WAL journal, so parallel subtasks in other processes can
share the file; a write is durable against a process crash when ``put`` returns.

Rows hold JSON (:mod:`._codec`), never pickles: a planted row is refused as data. The default
file lives in a per-user directory created with mode 0700 (:func:`private_dir`); a directory
or file owned by another user is refused.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from typing import Any

from flink_agents_runtime._errors import ActionStateStoreError
from flink_agents_runtime.durable._base import ActionState, ActionStateStore, key_text
from flink_agents_runtime.durable._codec import StoredStateError, decode_state, encode_state

_SCHEMA = """
CREATE TABLE IF NOT EXISTS action_state (
    ns TEXT NOT NULL, k TEXT NOT NULL, seq INTEGER NOT NULL, step INTEGER NOT NULL,
    data BLOB NOT NULL, PRIMARY KEY (ns, k, seq, step)
) WITHOUT ROWID
"""


def private_dir(path: str) -> str:
    """Create ``path`` (and parents) with mode 0700 if missing; raise
    :class:`ActionStateStoreError` when it is not a directory owned by this user or others
    may write to it (another user could plant states there). Returns ``path``."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
    except OSError as exc:
        raise ActionStateStoreError(f"action state directory {path!r}: {exc}") from exc
    if not stat.S_ISDIR(info.st_mode):
        raise ActionStateStoreError(f"action state directory {path!r} is not a directory")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise ActionStateStoreError(
            f"action state directory {path!r} is owned by uid {info.st_uid}, not by this user "
            f"(uid {os.getuid()}); refused (someone else could plant states in it): remove it "
            "or set actionStateStore.sqlite.path"
        )
    if info.st_mode & 0o077:
        raise ActionStateStoreError(
            f"action state directory {path!r} has mode {stat.S_IMODE(info.st_mode):o}; "
            "refused (others could read or plant states): chmod 700 it"
        )
    return path


def _check_owner(path: str) -> None:
    """Refuse an existing store file owned by another user."""
    try:
        info = os.stat(path)
    except OSError:
        return  # missing or unreachable: opening it reports the error
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise ActionStateStoreError(
            f"actionStateStoreBackend sqlite: {path!r} is owned by uid {info.st_uid}, not by "
            "this user; refused (its states could have been planted)"
        )


class SqliteActionStateStore(ActionStateStore):
    """Action states in the SQLite file ``path`` (created with its directory if missing).

    Raises :class:`ActionStateStoreError` naming the path when it cannot be opened, read or
    written (a full disk names the path, key, input and action).
    """

    backend = "sqlite"

    def __init__(self, path: str, namespace: str, *, timeout_s: float = 30.0) -> None:
        super().__init__(namespace)
        self.path = path
        self._lock = threading.Lock()
        _check_owner(path)
        try:
            parent = os.path.dirname(os.path.abspath(path))
            os.makedirs(parent, exist_ok=True)
            self._db = sqlite3.connect(
                path, timeout=timeout_s, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ActionStateStoreError(
                f"actionStateStoreBackend sqlite: cannot open {path!r}: {exc}; set "
                "actionStateStore.sqlite.path to a writable file"
            ) from exc

    def put(self, key: Any, seq: int, step: int, state: ActionState) -> None:
        data = encode_state(state)
        k = key_text(key)
        try:
            with self._lock:
                self._db.execute(
                    "INSERT OR REPLACE INTO action_state VALUES (?, ?, ?, ?, ?)",
                    (self.namespace, k, seq, step, data),
                )
        except sqlite3.Error as exc:
            raise ActionStateStoreError(
                f"sqlite action state store {self.path!r}: cannot write the state of action "
                f"{state.action!r} for key {k} (input {seq}, step {step}): {exc}"
            ) from exc
        self._note(k, seq)

    def _load(self, key: str, seq: int) -> dict[int, ActionState]:
        with self._lock:
            rows = self._db.execute(
                "SELECT step, data FROM action_state WHERE ns = ? AND k = ? AND seq = ?",
                (self.namespace, key, seq),
            ).fetchall()
        out = {}
        for step, data in rows:
            try:
                out[int(step)] = decode_state(data)
            except StoredStateError as exc:
                raise StoredStateError(
                    f"sqlite action state store {self.path!r}, namespace {self.namespace!r}, "
                    f"key {key} input {seq} step {step}: {exc} (delete the file if it was "
                    "written by an older version)"
                ) from None
        return out

    def _scan(self) -> set[tuple[str, int]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT k, seq FROM action_state WHERE ns = ?", (self.namespace,)
            ).fetchall()
        return {(str(k), int(s)) for k, s in rows}

    def _seqs(self, key: str) -> set[int]:
        with self._lock:  # a prefix of the primary key: an index lookup
            rows = self._db.execute(
                "SELECT DISTINCT seq FROM action_state WHERE ns = ? AND k = ?",
                (self.namespace, key),
            ).fetchall()
        return {int(s) for (s,) in rows}

    def _delete(self, inputs: list[tuple[str, int]]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "DELETE FROM action_state WHERE ns = ? AND k = ? AND seq = ?",
                [(self.namespace, k, s) for k, s in inputs],
            )
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()
