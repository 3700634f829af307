"""SQLite action state store: the embedded default (one machine: notebook, MiniCluster, or a
standalone cluster on one host). WAL journal, so parallel subtasks in other processes can
share the file; a write is durable against a process crash when ``put`` returns."""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any

import cloudpickle

from flink_agents_runtime._errors import ActionStateStoreError
from flink_agents_runtime.durable._base import ActionState, ActionStateStore, key_text

_SCHEMA = """
CREATE TABLE IF NOT EXISTS action_state (
    ns TEXT NOT NULL, k TEXT NOT NULL, seq INTEGER NOT NULL, step INTEGER NOT NULL,
    data BLOB NOT NULL, PRIMARY KEY (ns, k, seq, step)
) WITHOUT ROWID
"""


class SqliteActionStateStore(ActionStateStore):
    """Action states in the SQLite file ``path`` (created with its directory if missing).

    Raises :class:`ActionStateStoreError` naming the path when it cannot be opened.
    """

    backend = "sqlite"

    def __init__(self, path: str, namespace: str, *, timeout_s: float = 30.0) -> None:
        super().__init__(namespace)
        self.path = path
        self._lock = threading.Lock()
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
        blob = cloudpickle.dumps(state)
        k = key_text(key)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO action_state VALUES (?, ?, ?, ?, ?)",
                (self.namespace, k, seq, step, blob),
            )
        self.index.setdefault(k, set()).add(seq)

    def _load(self, key: str, seq: int) -> dict[int, ActionState]:
        with self._lock:
            rows = self._db.execute(
                "SELECT step, data FROM action_state WHERE ns = ? AND k = ? AND seq = ?",
                (self.namespace, key, seq),
            ).fetchall()
        return {int(step): cloudpickle.loads(data) for step, data in rows}

    def _scan(self) -> set[tuple[str, int]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT k, seq FROM action_state WHERE ns = ?", (self.namespace,)
            ).fetchall()
        return {(str(k), int(s)) for k, s in rows}

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
