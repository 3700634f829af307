"""Exactly-once on Flink: checkpointing and restarts from the kit's config, the action state
store inside each subtask, and an exactly-once file sink for outputs.

- Outputs: Flink checkpoints make keyed state (short-term memory, the per-key input sequence
  number) and the source position consistent; a transactional sink (:func:`add_file_sink`,
  Flink's ``FileSink``: files commit on checkpoints) makes outputs exactly-once.
- Actions: a restored job replays the inputs since the last checkpoint; the action state store
  (``actionStateStoreBackend``) lets completed actions replay their recorded effects instead of
  running again, and gives half-finished actions their recorded durable call results.

PyFlink is imported inside the functions only (the runtime imports without it).
"""

from __future__ import annotations

import logging
from typing import Any

# Imported eagerly: a thread-mode Python worker reuses its interpreter across jobs while the
# shipped runtime's directory of an earlier job is gone, so lazy submodule imports can fail.
from flink_agents_runtime import durable as _statestore
from flink_agents_runtime.api._memory import MemoryNode
from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.drivers._filesink import add_file_sink, read_file_sink  # noqa: F401

logger = logging.getLogger(__name__)

#: Name of the keyed ValueState holding a key's input sequence number.
SEQ_STATE_NAME = "flink-agents-input-seq"


def checkpoint_settings(config: AgentConfiguration) -> dict[str, str]:
    """Flink configuration keys for the kit's ``checkpoint.*``, ``state.backend`` and
    ``restart.*`` options (only those set; unset ones leave the cluster's config alone)."""
    out: dict[str, str] = {}
    interval = config.get("checkpoint.interval-ms")
    if interval:
        out["execution.checkpointing.interval"] = f"{int(interval)} ms"
        mode = str(config.get("checkpoint.mode")).replace("-", "_").upper()
        out["execution.checkpointing.mode"] = mode
    directory = config.get("checkpoint.dir")
    if directory:
        out["execution.checkpointing.dir"] = str(directory)
    backend = config.get("state.backend")
    if backend:
        out["state.backend.type"] = str(backend)
    attempts = config.get("restart.attempts")
    if attempts is not None:
        out["restart-strategy.type"] = "fixed-delay"
        out["restart-strategy.fixed-delay.attempts"] = str(int(attempts))
        out["restart-strategy.fixed-delay.delay"] = f"{int(config.get('restart.delay-ms'))} ms"
    return out


def configure_checkpointing(env: Any, config: AgentConfiguration) -> dict[str, str]:
    """Apply :func:`checkpoint_settings` to a PyFlink ``StreamExecutionEnvironment``;
    returns what was set."""
    settings = checkpoint_settings(config)
    if settings:
        from pyflink.common import Configuration

        conf = Configuration()
        for key, value in settings.items():
            conf.set_string(key, value)
        env.configure(conf)
        logger.info("Flink checkpointing and restarts: %s", settings)
    return settings


def store_namespace(config: AgentConfiguration, job_id: str) -> str:
    """The action state namespace of a job: ``job-identifier`` when set (stable across
    resubmissions from a savepoint), else the Flink job id (stable across failover restarts)."""
    return str(config.get("job-identifier") or job_id)


def check_action_state_store(config: AgentConfiguration, namespace: str) -> None:
    """Fail fast, before a job is submitted, when the configured store cannot be used:
    raises :class:`ConfigError` / :class:`ActionStateStoreError` (nothing when unset)."""
    if config.get("actionStateStoreBackend") is None:
        return
    store = _statestore.open_action_state_store(config, namespace)
    if store is not None:
        store.close()


class SeqKeyedState:
    """A driver's ``KeyedState`` plus the key's input sequence number in a Flink
    ``ValueState`` (checkpointed with memory, so replayed inputs get the same numbers)."""

    def __init__(self, inner: Any, seq_state: Any) -> None:
        self._inner = inner
        self._seq = seq_state
        self._taken: dict[Any, int] = {}  # key -> number of its input in flight

    def load(self, key: Any) -> MemoryNode:
        return self._inner.load(key)

    def save(self, key: Any, root: MemoryNode) -> None:
        self._inner.save(key, root)
        seq = self._taken.pop(key, None)
        if seq is not None:
            self._seq.update(seq + 1)

    def next_seq(self, key: Any) -> int:
        """The current key's next input number (Flink scopes the state to the key).

        The number is consumed when the input's cascade saves memory at its end, so a
        checkpoint taken while the input waits (issue 16) keeps it: the re-run after a
        restore gets the same number and replays what the first attempt recorded."""
        value = self._seq.value()
        seq = int(value) if value is not None else 0
        self._taken[key] = seq
        return seq


def open_subtask_store(
    runtime_context: Any, keyed: Any, config: AgentConfiguration, job_id: str
) -> tuple[Any, Any]:
    """In a subtask's ``open``: ``(keyed_state, durable_store)`` for the execution core.

    Without ``actionStateStoreBackend`` returns ``(keyed, None)`` unchanged. Else wraps
    ``keyed`` in :class:`SeqKeyedState` and opens the store *scoped* to the subtask's keys:
    it reads what earlier attempts recorded for a key when the key's first input arrives, and
    only the keys this subtask owns (Flink routes no other) ever arrive, so after a rescale
    no subtask holds, replays or prunes the entries of keys that moved elsewhere.
    """
    if config.get("actionStateStoreBackend") is None:
        return keyed, None
    from pyflink.common import Types
    from pyflink.datastream.state import ValueStateDescriptor

    seq_state = runtime_context.get_state(ValueStateDescriptor(SEQ_STATE_NAME, Types.LONG()))
    tracker = _statestore.open_tracker(config, store_namespace(config, job_id), scoped=True)
    return SeqKeyedState(keyed, seq_state), tracker


def prune_finished_job(config: AgentConfiguration, job_id: str | None) -> int:
    """After a job finished successfully (its final checkpoint), its action states are no
    longer needed for a restore: delete the namespace. Returns how many inputs were pruned
    (0 without a store). Failures to prune are logged, never raised: the job succeeded."""
    if job_id is None or config.get("actionStateStoreBackend") is None:
        return 0
    try:
        store = _statestore.open_action_state_store(config, store_namespace(config, job_id))
        if store is None:
            return 0
        try:
            return store.prune_all()
        finally:
            store.close()
    except Exception:
        logger.exception("pruning the action states of finished job %s failed", job_id)
        return 0
