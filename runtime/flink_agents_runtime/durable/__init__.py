"""Action state stores: exactly-once actions across recovery.

``actionStateStoreBackend`` picks the backend: ``sqlite`` (embedded, one host) or ``redis``
(shared by every host of a cluster). :func:`open_action_state_store` opens the configured one
and fails fast, with the key to fix, when it cannot be used.
"""

from __future__ import annotations

import logging
import os
import tempfile
from typing import Any

from flink_agents_runtime._errors import ActionStateStoreError, ConfigError
from flink_agents_runtime.durable._base import (
    ActionState,
    ActionStateStore,
    CallResult,
    event_fingerprint,
)
from flink_agents_runtime.durable._codec import register_durable_type
from flink_agents_runtime.durable._redis import RedisActionStateStore, redact_url
from flink_agents_runtime.durable._sqlite import SqliteActionStateStore, private_dir
from flink_agents_runtime.durable._tracker import ActionStateTracker, CallSlot

logger = logging.getLogger(__name__)

BACKENDS = ("sqlite", "redis")

__all__ = [
    "BACKENDS",
    "ActionState",
    "ActionStateStore",
    "ActionStateTracker",
    "CallResult",
    "CallSlot",
    "RedisActionStateStore",
    "SqliteActionStateStore",
    "close_tracker",
    "default_sqlite_dir",
    "default_sqlite_path",
    "event_fingerprint",
    "open_action_state_store",
    "open_tracker",
    "register_durable_type",
]


def default_sqlite_dir() -> str:
    """The per-user directory of the default SQLite store: ``$XDG_STATE_HOME/flink-agents-nb``
    (``~/.local/state/flink-agents-nb``), or ``<temp dir>/flink-agents-nb-<uid>`` without a
    home directory. Not created here (see :func:`default_sqlite_path`)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    if not os.path.isabs(base) or base.startswith("~"):
        uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
        return os.path.join(tempfile.gettempdir(), f"flink-agents-nb-{uid}")
    return os.path.join(base, "flink-agents-nb")


def default_sqlite_path() -> str:
    """``<per-user dir>/action-state.sqlite`` (shared by this user's processes on one host).

    The directory is created with mode 0700; one owned by another user, or that others may
    write to, is refused (:class:`ActionStateStoreError`): a store must not be plantable.
    """
    return os.path.join(private_dir(default_sqlite_dir()), "action-state.sqlite")


def open_action_state_store(
    config: Any, namespace: str, *, scoped: bool = False
) -> ActionStateStore | None:
    """The configured store for ``namespace`` (the job's identity), rebuilt; ``None`` when
    ``actionStateStoreBackend`` is unset. ``scoped``: read each key's states when the key is
    first used, not the whole namespace now (a Flink subtask, see
    :meth:`ActionStateStore.rebuild`).

    Raises :class:`ConfigError` for an unknown backend and :class:`ActionStateStoreError` when
    the store cannot be opened or reached (message names the key to fix; no password shown).
    """
    backend = config.get("actionStateStoreBackend")
    if backend is None:
        return None
    timeout = float(config.get("actionStateStore.timeout"))
    store: ActionStateStore
    if backend == "sqlite":
        path = config.get("actionStateStore.sqlite.path") or default_sqlite_path()
        store = SqliteActionStateStore(path, namespace, timeout_s=max(timeout, 1.0))
        where = path
    elif backend == "redis":
        url = config.get("actionStateStore.redis.url")
        store = RedisActionStateStore(url, namespace, timeout_s=timeout)
        where = redact_url(url)
    else:  # pragma: no cover - the option's choices prevent it
        raise ConfigError(
            f"actionStateStoreBackend {backend!r} is not one of {', '.join(BACKENDS)}",
            key="actionStateStoreBackend",
        )
    try:
        found = store.rebuild(scoped=scoped)
    except Exception as exc:
        store.close()
        raise ActionStateStoreError(
            f"{backend} action state store at {where}: cannot read namespace {namespace!r}: {exc}"
        ) from exc
    logger.info(
        "action state store %s at %s, namespace %r: %s",
        backend,
        where,
        namespace,
        "read key by key" if scoped else f"{found} inputs with state",
    )
    return store


def open_tracker(config: Any, namespace: str, *, scoped: bool = False) -> ActionStateTracker | None:
    """The core's ``durable_store`` for the configured backend (``None`` when unset); see
    :func:`open_action_state_store` for ``scoped`` and errors."""
    store = open_action_state_store(config, namespace, scoped=scoped)
    return ActionStateTracker(store) if store is not None else None


def close_tracker(tracker: ActionStateTracker | None, *, completed: bool) -> None:
    """End of a run: a run that ``completed`` needs no replay, so its states are pruned
    (a completed run is its own final checkpoint); then the store is closed."""
    if tracker is None:
        return
    try:
        if completed:
            tracker.store.prune_all()
    finally:
        tracker.close()
