"""The action state store interface and the state of one action run.

Keyed like Apache Flink Agents' ``ActionStateStore``: (key, sequence number of the input for
that key, the event handled, the action). Here the event and action are identified by the
action's position in the input's cascade (``step``, stable because a cascade is deterministic)
and checked by a fingerprint (action name plus a hash of the event's type and attributes), so
a cascade that changed between runs is detected instead of replayed wrongly.

A store holds one *namespace* (the job's identity): a restarted job with the same identity
finds what an earlier attempt recorded.

A *scoped* store (each Flink subtask's, see :meth:`ActionStateStore.rebuild`) reads the
stored inputs of a key only when the key's first input arrives. A subtask receives inputs of
the keys it owns only, so after a restore or a rescale it never holds, replays or prunes the
recovered entries of keys another subtask owns (upstream Flink Agents' bug #1010: every
subtask loaded every key's recovered states and kept those of other subtasks' keys for good).
"""

from __future__ import annotations

import hashlib
import json
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from flink_agents_runtime.api._values import json_default

logger = logging.getLogger(__name__)

#: ``CallResult.status`` values.
CALL_OK = "ok"
CALL_ERROR = "error"
CALL_PENDING = "pending"


@dataclass
class CallResult:
    """One durable call's outcome.

    Attributes:
        func_id: the called function's qualified name (checked on replay).
        status: ``ok`` (``value`` is the result), ``error`` (``value`` is the exception) or
            ``pending`` (started, outcome never recorded: settled by a reconciler).
        value: the result or exception.
    """

    func_id: str
    status: str
    value: Any = None


@dataclass
class ActionState:
    """What one action run on one event did, as far as it got.

    Attributes:
        action: the action's name.
        fingerprint: :func:`event_fingerprint` of the handled event.
        done: the action finished (``status`` says how); its effects can be replayed.
        status: ``running``, ``ok`` or ``ignored`` (failed under the ignore strategy).
        events: ``(type, attributes)`` of each event it sent, in order.
        writes: ``(memory, path, value)`` memory writes, in order (as ``MemoryStore.writes``).
        calls: durable call outcomes by call index (0 is the action's first call).
    """

    action: str
    fingerprint: str
    done: bool = False
    status: str = "running"
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    writes: list[tuple[str, str, Any]] = field(default_factory=list)
    calls: dict[int, CallResult] = field(default_factory=dict)


def event_fingerprint(event_type: str, attributes: dict[str, Any]) -> str:
    """A short stable hash of an event's type and JSON-only attributes."""
    text = json.dumps(
        [event_type, attributes], sort_keys=True, separators=(",", ":"), default=json_default
    )
    return hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()


def key_text(key: Any) -> str:
    """The stored form of an input key (``repr``: ``'a'`` and ``1`` stay distinct)."""
    return repr(key)


class ActionStateStore(ABC):
    """Where action states live, for one namespace. Implementations are thread-safe.

    Lifecycle: open (``rebuild`` is called once, after a restore or at start), then ``get`` at
    each input and ``put`` as actions progress, ``prune`` once a checkpoint (or a whole local
    run) made a key's older inputs unnecessary to replay, ``close`` at the end.
    """

    #: A short name for messages (``sqlite``, ``redis``).
    backend = "?"

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        #: key_text -> the seqs of its inputs with stored state (filled by :meth:`rebuild`,
        #: or key by key when first used in a scoped store).
        self.index: dict[str, set[int]] = {}
        #: read each key's inputs from the backend when first used (see :meth:`rebuild`).
        self.scoped = False

    @abstractmethod
    def put(self, key: Any, seq: int, step: int, state: ActionState) -> None:
        """Store ``state`` for the action at cascade position ``step`` of input ``seq`` of
        ``key`` (replacing an earlier state there). Durable when it returns."""

    @abstractmethod
    def _load(self, key: str, seq: int) -> dict[int, ActionState]:
        """Every stored state of one input, by step (backend read)."""

    @abstractmethod
    def _scan(self) -> set[tuple[str, int]]:
        """``(key_text, seq)`` of every input with state in the namespace (backend read)."""

    @abstractmethod
    def _delete(self, inputs: list[tuple[str, int]]) -> None:
        """Delete all states of these inputs (backend write)."""

    def _seqs(self, key: str) -> set[int]:
        """The seqs of one key's inputs with state (backend read; backends index it)."""
        return {s for k, s in self._scan() if k == key}

    def _known(self, k: str) -> set[int] | None:
        """The seqs of key text ``k`` with state; a scoped store reads them on first use."""
        seqs = self.index.get(k)
        if seqs is None and self.scoped:
            seqs = self.index[k] = self._seqs(k)
        return seqs

    def get(self, key: Any, seq: int) -> dict[int, ActionState]:
        """The stored states of input ``seq`` of ``key`` by step (empty when none)."""
        k = key_text(key)
        if seq not in (self._known(k) or ()):
            return {}
        return self._load(k, seq)

    def note_written(self, key: Any, seq: int) -> None:
        """Remember that input ``seq`` of ``key`` now has state (for :meth:`prune`)."""
        self._note(key_text(key), seq)

    def _note(self, k: str, seq: int) -> bool:
        """Add ``seq`` to key text ``k``'s index; ``True`` when it was not there."""
        seqs = self._known(k)
        if seqs is None:
            seqs = self.index[k] = set()
        if seq in seqs:
            return False
        seqs.add(seq)
        return True

    def rebuild(self, *, scoped: bool = False) -> int:
        """Reload which inputs have state (after a restore, or at start); returns how many.

        ``scoped``: load nothing now; each key's inputs are read when the key is first used
        (:meth:`get`, :meth:`prune`), so the store only ever holds the keys its user handles
        (a Flink subtask: the keys it owns). Returns 0 then (nothing was read)."""
        self.index = {}
        self.scoped = scoped
        if scoped:
            return 0
        for k, seq in self._scan():
            self.index.setdefault(k, set()).add(seq)
        return self.inputs()

    def forget_below(self, key: Any, seq: int) -> None:
        """Drop ``key``'s inputs before ``seq`` from the in-memory index only (their states
        stay stored for a restore, which rebuilds the index): a key's inputs run in order,
        so this instance never reads them again, and the index stays one entry per key
        instead of growing with every input of a long-running job."""
        seqs = self.index.get(key_text(key))
        if seqs and min(seqs) < seq:
            seqs.difference_update([s for s in seqs if s < seq])

    def keys(self) -> list[str]:
        """The keys (stored form) whose inputs this instance holds in its index, sorted."""
        return sorted(self.index)

    def inputs(self) -> int:
        """How many inputs have stored state (as far as this store instance knows)."""
        return sum(len(seqs) for seqs in self.index.values())

    def prune(self, key: Any, upto_seq: int) -> int:
        """Delete the states of ``key``'s inputs with ``seq < upto_seq``; returns how many
        inputs were pruned. Call only once no restore can go back before ``upto_seq``."""
        k = key_text(key)
        seqs = self._known(k)
        doomed = sorted((k, s) for s in seqs or () if s < upto_seq)
        if doomed and seqs is not None:
            self._delete(doomed)
            seqs.difference_update(s for _, s in doomed)
        return len(doomed)

    def prune_all(self) -> int:
        """Delete every state of the namespace (a run that completed); returns how many
        inputs were pruned."""
        found = self._scan()
        doomed = sorted(found | {(k, s) for k, seqs in self.index.items() for s in seqs})
        if doomed:
            self._delete(doomed)
        self.index.clear()
        return len(found)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(namespace={self.namespace!r}, inputs={self.inputs()})"
