"""Short-term and sensory memory: nested JSON-only objects addressed by dotted paths.

``ctx.short_term_memory`` is kept per key across inputs; ``ctx.sensory_memory`` is cleared
after each input's cascade. Both are :class:`MemoryObject` views over a :class:`MemoryStore`,
which the execution core loads from and saves to its state backend.

Every write can be journaled (so a failed action's writes are rolled back) and recorded (so
a stepper can show memory at each step); both hooks cost nothing when off.
"""

from __future__ import annotations

import copy
import enum
from dataclasses import dataclass
from typing import Any, ClassVar

from flink_agents_runtime._errors import MemoryAccessError
from flink_agents_runtime.api._jsoncheck import check_json

_MISSING = object()


class MemoryType(str, enum.Enum):
    """Which memory a :class:`MemoryRef` points into (Flink Agents' names)."""

    SENSORY = "sensory"
    SHORT_TERM = "short_term"


@dataclass(frozen=True)
class MemoryRef:
    """A reference to a value in memory, as :meth:`MemoryObject.set` returns it.

    ``path`` is absolute (from the memory's root). Pass it to ``MemoryObject.get`` or
    :meth:`resolve` it with a runner context. It is small and JSON-friendly, so it can
    travel in event attributes (:meth:`to_dict`, :meth:`from_dict`).
    """

    memory_type: MemoryType = MemoryType.SHORT_TERM
    path: str = ""
    _json_model: ClassVar[bool] = True  # may travel in event attributes (as its dict)

    @staticmethod
    def create(memory_type: MemoryType | str, path: str) -> MemoryRef:
        """A reference to ``path`` in ``memory_type``."""
        return MemoryRef(MemoryType(memory_type), path)

    def resolve(self, ctx: Any) -> Any:
        """The value the reference points at, read through ``ctx``'s memory."""
        if self.memory_type is MemoryType.SENSORY:
            return ctx.sensory_memory.get(self)
        return ctx.short_term_memory.get(self)

    def to_dict(self) -> dict[str, str]:
        """``{"memory_type": ..., "path": ...}``."""
        return {"memory_type": self.memory_type.value, "path": self.path}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> MemoryRef:
        """A reference from :meth:`to_dict` output."""
        return MemoryRef(MemoryType(data.get("memory_type", "short_term")), str(data["path"]))

    def model_dump(self, mode: str = "python", **_: Any) -> dict[str, Any]:
        """Flink Agents' pydantic-style dump (same as :meth:`to_dict`)."""
        return self.to_dict()


class MemoryNode(dict[str, Any]):
    """A dict that is an object node of memory (as opposed to a dict *value*)."""

    __slots__ = ()


class MemoryStore:
    """The root of one memory (short-term or sensory) plus its write hooks.

    Attributes:
        kind: ``"short_term"`` or ``"sensory"`` (names recorded writes).
        root: the root node.
        journal: when a list, each write appends an undo entry ``(node, field, old)``.
        writes: when a list, each write appends ``(kind, path, value)``; ``value`` is
            ``None`` with the path of a new object node marked by a trailing ``{}``.
    """

    __slots__ = ("journal", "kind", "root", "writes")

    def __init__(self, kind: str, root: MemoryNode | None = None) -> None:
        self.kind = kind
        self.root = root if root is not None else MemoryNode()
        self.journal: list[tuple[MemoryNode, str, Any]] | None = None
        self.writes: list[tuple[str, str, Any]] | None = None

    def rollback(self) -> None:
        """Undo the journaled writes, newest first, and clear the journal."""
        if not self.journal:
            return
        for node, name, old in reversed(self.journal):
            if old is _MISSING:
                node.pop(name, None)
            else:
                node[name] = old
        self.journal.clear()

    def view(self) -> MemoryObject:
        """A :class:`MemoryObject` over the root."""
        return MemoryObject(self, self.root, "")


def _split(path: str) -> list[str]:
    if not isinstance(path, str) or not path:
        raise MemoryAccessError(f"a memory path must be a non-empty str, got {path!r}")
    parts = path.split(".")
    if any(not p for p in parts):
        raise MemoryAccessError(f"memory path {path!r} has an empty segment")
    return parts


def _plain(value: Any) -> Any:
    """A detached copy: object nodes and container values become new dicts and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class MemoryObject:
    """A view of one object node of memory (Flink Agents' ``MemoryObject``).

    Paths are dotted (``"user.profile.name"``) and relative to this object.
    """

    __slots__ = ("_node", "_prefix", "_store")

    def __init__(self, store: MemoryStore, node: MemoryNode, prefix: str) -> None:
        self._store = store
        self._node = node
        self._prefix = prefix

    # -- reading -----------------------------------------------------------------------
    def _lookup(self, path: str) -> Any:
        node: Any = self._node
        for part in _split(path):
            if not isinstance(node, dict) or part not in node:
                return _MISSING
            node = node[part]
        return node

    def get(self, path: str | MemoryRef, default: Any = None) -> Any:
        """The value at ``path``; a :class:`MemoryObject` for an object node; else ``default``.

        ``path`` may be a :class:`MemoryRef` (from :meth:`set`): its absolute path is read
        from this memory's root.

        A list or dict value comes back as a copy: change memory with :meth:`set`, so the
        write is journaled (rolled back if the action fails), recorded for the stepper and
        saved to Flink state.
        """
        if isinstance(path, MemoryRef):
            root = MemoryObject(self._store, self._store.root, "")
            return root.get(path.path, default)
        value = self._lookup(path)
        if value is _MISSING:
            return default
        if isinstance(value, MemoryNode):
            return MemoryObject(self._store, value, self._full(path))
        if isinstance(value, (dict, list, tuple)):
            return _plain(value)
        return value

    def is_exist(self, path: str) -> bool:
        """Whether a field or object exists at ``path``."""
        return self._lookup(path) is not _MISSING

    def get_field_names(self) -> list[str]:
        """The names of this object's direct fields."""
        return list(self._node)

    def get_fields(self) -> dict[str, Any]:
        """This object's fields as plain, nested dicts."""
        return _plain(self._node)

    def to_dict(self) -> dict[str, Any]:
        """Same as :meth:`get_fields`."""
        return self.get_fields()

    # -- writing -----------------------------------------------------------------------
    def _full(self, path: str) -> str:
        return f"{self._prefix}.{path}" if self._prefix else path

    def _parent(self, parts: list[str], create: bool) -> MemoryNode:
        node = self._node
        walked: list[str] = []
        for part in parts[:-1]:
            walked.append(part)
            child = node.get(part, _MISSING)
            if child is _MISSING:
                if not create:
                    raise MemoryAccessError(f"no object at {self._full('.'.join(walked))!r}")
                child = MemoryNode()
                self._record(node, part, _MISSING, child, ".".join(walked))
            elif not isinstance(child, MemoryNode):
                raise MemoryAccessError(
                    f"{self._store.kind} memory field {self._full('.'.join(walked))!r} holds a "
                    f"value, not an object; cannot address a field inside it"
                )
            node = child
        return node

    def _record(self, node: MemoryNode, name: str, old: Any, new: Any, rel: str) -> None:
        store = self._store
        if store.journal is not None:
            store.journal.append((node, name, old))
        node[name] = new
        if store.writes is not None:
            if isinstance(new, MemoryNode):
                store.writes.append((store.kind, self._full(rel) + "{}", None))
            else:
                snap = (
                    new if type(new) in (str, int, float, bool, type(None)) else copy.deepcopy(new)
                )
                store.writes.append((store.kind, self._full(rel), snap))

    def set(self, path: str, value: Any) -> MemoryRef:
        """Set the field at ``path`` to ``value`` (JSON-only or a pydantic model), creating
        parent objects; returns a :class:`MemoryRef` to it.

        Raises :class:`MemoryAccessError` when ``path`` crosses a value or would overwrite an
        object with a value, and :class:`EventAttributeError` for a non-JSON value.
        """
        if isinstance(value, MemoryObject):
            raise MemoryAccessError("do not set a MemoryObject as a value; use new_object()")
        parts = _split(path)
        check_json(value, f"{self._store.kind}_memory.{self._full(path)}", "memory value")
        parent = self._parent(parts, create=True)
        old = parent.get(parts[-1], _MISSING)
        if isinstance(old, MemoryNode):
            raise MemoryAccessError(
                f"{self._store.kind} memory field {self._full(path)!r} is an object; "
                "cannot overwrite it with a value"
            )
        self._record(parent, parts[-1], old, value, path)
        kind = MemoryType.SENSORY if self._store.kind == "sensory" else MemoryType.SHORT_TERM
        return MemoryRef(kind, self._full(path))

    def new_object(self, path: str, *, overwrite: bool = False) -> MemoryObject:
        """Create (or return the existing) object node at ``path``.

        With ``overwrite=True`` an existing value at ``path`` is replaced by an empty object.
        """
        parts = _split(path)
        parent = self._parent(parts, create=True)
        old = parent.get(parts[-1], _MISSING)
        if isinstance(old, MemoryNode):
            return MemoryObject(self._store, old, self._full(path))
        if old is not _MISSING and not overwrite:
            raise MemoryAccessError(
                f"{self._store.kind} memory field {self._full(path)!r} holds a value; pass "
                "overwrite=True to replace it with an object"
            )
        node = MemoryNode()
        self._record(parent, parts[-1], old, node, path)
        return MemoryObject(self._store, node, self._full(path))

    def __repr__(self) -> str:
        where = self._prefix or "<root>"
        return f"MemoryObject({self._store.kind}:{where}, {self.get_fields()!r})"
