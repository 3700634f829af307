"""Flink Agents' memory helpers: ``LocalMemoryObject`` (a memory object you can build in a
test) and ``validate_memory_value``."""

from __future__ import annotations

from typing import Any

from flink_agents_runtime._errors import EventAttributeError
from flink_agents_runtime.api._jsoncheck import check_json
from flink_agents_runtime.api._memory import MemoryObject, MemoryStore, MemoryType


class LocalMemoryObject(MemoryObject):
    """A standalone memory object (Flink Agents' ``LocalMemoryObject(type, store)``).

    The kit keeps memory as nested nodes, not Flink Agents' flat ``store`` dict: ``store``
    is accepted for the signature and its ``path -> value`` entries, if any, are loaded.
    ``prefix`` (a path) makes this object a view of that nested object.
    """

    __slots__ = ()

    def __init__(
        self,
        type: MemoryType | str = MemoryType.SHORT_TERM,
        store: dict[str, Any] | None = None,
        prefix: str = "",
    ) -> None:
        kind = "sensory" if MemoryType(type) is MemoryType.SENSORY else "short_term"
        memory = MemoryStore(kind)
        super().__init__(memory, memory.root, "")
        for path, value in (store or {}).items():
            if path and not isinstance(value, dict):
                self.set(path, value)
        if prefix:
            view = self.new_object(prefix)
            super().__init__(memory, view._node, prefix)


def validate_memory_value(path: str, value: Any) -> None:
    """Raise ``TypeError`` (the kit's :class:`EventAttributeError`) naming ``path`` when
    ``value`` cannot be kept in memory: JSON values and pydantic models can (Flink Agents
    0.4 accepts only JSON values and bytes; the kit is wider, never narrower, except for
    bytes, which it refuses)."""
    if isinstance(value, MemoryObject):
        raise EventAttributeError(
            f"value at memory path {path!r} is a MemoryObject; use new_object(...) instead",
            path=path,
            value_type="MemoryObject",
        )
    check_json(value, path, "memory value")
