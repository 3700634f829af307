"""Redis action state store: one that every host of a multi-host cluster can share.

Speaks RESP2 over a plain socket (stdlib only, so the runtime stays lean on Flink workers).
Layout per namespace ``ns``: a hash ``fa:{ns}:{key}:{seq}`` (field: step, value: pickled
:class:`ActionState`) per input, and a set ``fa:{ns}:inputs`` of ``{key}\\x00{seq}`` members.
"""

from __future__ import annotations

import socket
import threading
from typing import Any
from urllib.parse import unquote, urlsplit

import cloudpickle

from flink_agents_runtime._errors import ActionStateStoreError
from flink_agents_runtime.durable._base import ActionState, ActionStateStore, key_text


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``****`` (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return parts._replace(netloc=f"{user}:****@{host}{port}").geturl()


class RespError(Exception):
    """An error reply from the server."""


class RedisConnection:
    """A minimal, thread-safe Redis client (RESP2): ``call("SET", "k", b"v")``.

    Args:
        url: ``redis://[[user]:password@]host[:port][/db]``.
        timeout_s: connect and read timeout in seconds.
    """

    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme != "redis":
            raise ActionStateStoreError(
                f"actionStateStore.redis.url {redact_url(url)!r}: the scheme must be redis://"
            )
        self.url = url
        self._lock = threading.Lock()
        host, port = parts.hostname or "127.0.0.1", parts.port or 6379
        try:
            self._sock = socket.create_connection((host, port), timeout=timeout_s)
        except OSError as exc:
            raise ActionStateStoreError(
                f"actionStateStoreBackend redis: cannot connect to {redact_url(url)}: {exc}"
            ) from exc
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._file = self._sock.makefile("rb")
        try:
            if parts.password is not None:
                auth = [unquote(parts.password)]
                if parts.username:
                    auth.insert(0, unquote(parts.username))
                self.call("AUTH", *auth)
            db = parts.path.lstrip("/")
            if db:
                self.call("SELECT", db)
            self.call("PING")
        except (RespError, OSError) as exc:
            self.close()
            raise ActionStateStoreError(
                f"actionStateStoreBackend redis at {redact_url(url)}: {exc}"
            ) from exc

    def call(self, *args: Any) -> Any:
        """Send one command, return its reply (bytes, int, list or ``None``)."""
        out = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode("utf-8")
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
        with self._lock:
            self._sock.sendall(b"".join(out))
            return self._read()

    def _read(self) -> Any:
        line = self._file.readline()
        if not line:
            raise OSError("connection closed by the Redis server")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest
        if kind == b"-":
            raise RespError(rest.decode("utf-8", "replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self._file.read(n + 2)
            return data[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise OSError(f"unexpected reply from the Redis server: {line!r}")

    def close(self) -> None:
        """Close the socket."""
        try:
            self._file.close()
            self._sock.close()
        except OSError:
            pass


class RedisActionStateStore(ActionStateStore):
    """Action states in Redis at ``url`` (see :class:`RedisConnection`)."""

    backend = "redis"

    def __init__(self, url: str, namespace: str, *, timeout_s: float = 5.0) -> None:
        super().__init__(namespace)
        self._conn = RedisConnection(url, timeout_s)
        self._inputs = f"fa:{namespace}:inputs"

    def _hash(self, key: str, seq: int) -> str:
        return f"fa:{self.namespace}:{key}:{seq}"

    def put(self, key: Any, seq: int, step: int, state: ActionState) -> None:
        k = key_text(key)
        self._conn.call("HSET", self._hash(k, seq), step, cloudpickle.dumps(state))
        seqs = self.index.setdefault(k, set())
        if seq not in seqs:
            self._conn.call("SADD", self._inputs, f"{k}\x00{seq}")
            seqs.add(seq)

    def _load(self, key: str, seq: int) -> dict[int, ActionState]:
        flat = self._conn.call("HGETALL", self._hash(key, seq)) or []
        return {int(flat[i]): cloudpickle.loads(flat[i + 1]) for i in range(0, len(flat), 2)}

    def _scan(self) -> set[tuple[str, int]]:
        members = self._conn.call("SMEMBERS", self._inputs) or []
        found = set()
        for m in members:
            k, _, s = m.decode("utf-8").rpartition("\x00")
            found.add((k, int(s)))
        return found

    def _delete(self, inputs: list[tuple[str, int]]) -> None:
        for start in range(0, len(inputs), 500):
            chunk = inputs[start : start + 500]
            self._conn.call("DEL", *(self._hash(k, s) for k, s in chunk))
            self._conn.call("SREM", self._inputs, *(f"{k}\x00{s}" for k, s in chunk))

    def close(self) -> None:
        self._conn.close()
