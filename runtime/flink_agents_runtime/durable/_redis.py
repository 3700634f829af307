"""Redis action state store: one that every host of a multi-host cluster can share.

Uses redis-py (pooling, TLS with ``rediss://``, timeouts, auth), imported only when this
backend is opened. Layout per namespace ``ns``: a hash ``fa:{ns}:{key}:{seq}`` (field: step,
value: the JSON of an :class:`ActionState`, see :mod:`._codec`) per input, and a set
``fa:{ns}:inputs`` of ``{key}\\x00{seq}`` members, plus a set ``fa:{ns}:seqs:{key}`` of
each key's seqs (a scoped store reads one key's inputs from it). Values are data, never
pickles: anyone who can write to the server can corrupt states (refused on read) but not
run code.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlsplit

from flink_agents_runtime._errors import ActionStateStoreError
from flink_agents_runtime._redact import redact_text, redact_url
from flink_agents_runtime.durable._base import ActionState, ActionStateStore, key_text
from flink_agents_runtime.durable._codec import StoredStateError, decode_state, encode_state

__all__ = ["RedisActionStateStore", "redact_url"]


def _redact(text: str, url: str) -> str:
    """``text`` (an exception message) without ``url``'s password."""
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    return redact_text(text, [password])


class RedisActionStateStore(ActionStateStore):
    """Action states in Redis at ``url`` (``redis://[[user]:password@]host[:port][/db]`` or
    ``rediss://`` for TLS). ``timeout_s`` bounds connecting and each command.

    Raises :class:`ActionStateStoreError` (password redacted) when the server cannot be
    reached or refuses the credentials.
    """

    backend = "redis"

    def __init__(self, url: str, namespace: str, *, timeout_s: float = 5.0) -> None:
        super().__init__(namespace)
        import redis

        where = redact_url(url)
        if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
            raise ActionStateStoreError(
                f"actionStateStore.redis.url {where!r}: the scheme must be redis://, rediss:// "
                "or unix://"
            )
        self.url = url
        try:
            self._conn = redis.Redis.from_url(
                url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
            )
            self._conn.ping()
        except (redis.RedisError, OSError, ValueError) as exc:
            raise ActionStateStoreError(
                f"actionStateStoreBackend redis: cannot connect to {where}: "
                f"{_redact(str(exc), url)}"
            ) from _cause(exc)
        self._inputs = f"fa:{namespace}:inputs"

    def _key_seqs(self, key: str) -> str:
        """The set of one key's seqs with state (read by a scoped store, key by key)."""
        return f"fa:{self.namespace}:seqs:{key}"

    def _hash(self, key: str, seq: int) -> str:
        return f"fa:{self.namespace}:{key}:{seq}"

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        import redis

        try:
            return fn(*args)
        except (redis.RedisError, OSError) as exc:
            raise ActionStateStoreError(
                f"redis action state store at {redact_url(self.url)}: {what}: "
                f"{_redact(str(exc), self.url)}"
            ) from _cause(exc)

    def put(self, key: Any, seq: int, step: int, state: ActionState) -> None:
        k = key_text(key)
        data = encode_state(state)
        what = f"cannot write the state of action {state.action!r} for key {k} input {seq}"
        self._call(what, self._conn.hset, self._hash(k, seq), str(step), data)
        if self._note(k, seq):
            self._call(what, self._conn.sadd, self._inputs, f"{k}\x00{seq}")
            self._call(what, self._conn.sadd, self._key_seqs(k), str(seq))

    def _load(self, key: str, seq: int) -> dict[int, ActionState]:
        found = self._call(
            f"cannot read key {key} input {seq}", self._conn.hgetall, self._hash(key, seq)
        )
        out = {}
        for step, data in (found or {}).items():
            try:
                out[int(step)] = decode_state(data)
            except (StoredStateError, ValueError) as exc:
                raise StoredStateError(
                    f"redis action state store at {redact_url(self.url)}, hash "
                    f"{self._hash(key, seq)!r} field {step!r}: {exc}"
                ) from None
        return out

    def _scan(self) -> set[tuple[str, int]]:
        members = self._call("cannot list inputs", self._conn.smembers, self._inputs) or ()
        found = set()
        for m in members:
            k, _, s = m.decode("utf-8", "replace").rpartition("\x00")
            try:
                found.add((k, int(s)))
            except ValueError:
                continue  # not one of ours: ignored (never interpreted)
        return found

    def _seqs(self, key: str) -> set[int]:
        members = self._call(
            f"cannot list the inputs of key {key}", self._conn.smembers, self._key_seqs(key)
        )
        found = set()
        for m in members or ():
            try:
                found.add(int(m))
            except ValueError:
                continue  # not one of ours: ignored (never interpreted)
        return found

    def _delete(self, inputs: list[tuple[str, int]]) -> None:
        for start in range(0, len(inputs), 500):
            chunk = inputs[start : start + 500]
            self._call("cannot delete", self._conn.delete, *(self._hash(k, s) for k, s in chunk))
            members = [f"{k}\x00{s}" for k, s in chunk]
            self._call("cannot delete", self._conn.srem, self._inputs, *members)
            by_key: dict[str, list[str]] = {}
            for k, s in chunk:
                by_key.setdefault(k, []).append(str(s))
            for k, seqs in by_key.items():
                self._call("cannot delete", self._conn.srem, self._key_seqs(k), *seqs)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing must not raise
            self._conn.close()


def _cause(exc: BaseException) -> BaseException:
    """The OS-level cause of a redis-py error when there is one (``ConnectionRefusedError``),
    else ``exc``; never carries the password (redis-py messages hold host and port only)."""
    cur: BaseException | None = exc
    while cur is not None:
        if isinstance(cur, OSError) and not type(cur).__module__.startswith("redis"):
            return cur
        cur = cur.__cause__ or cur.__context__
    return exc
