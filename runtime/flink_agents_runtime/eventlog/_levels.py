"""Event-log levels: which records are written, and how much of them.

``OFF`` drops a record, ``STANDARD`` truncates long values (see
:mod:`flink_agents_runtime.eventlog._truncate`), ``VERBOSE`` keeps everything. The level of an event
type is set by ``event-log.level`` and per type by ``event-log.type.<type>.level``, resolved
up dotted prefixes as Apache Flink Agents does.
"""

from __future__ import annotations

from collections.abc import Mapping

from flink_agents_runtime.config._configuration import AgentConfiguration

OFF, STANDARD, VERBOSE = "OFF", "STANDARD", "VERBOSE"

_TYPE_PREFIX, _TYPE_SUFFIX = "event-log.type.", ".level"


class LevelResolver:
    """The level of an event type: exact per-type setting, else the nearest dotted prefix's,
    else ``event-log.level``. Results are cached."""

    def __init__(self, root: str, per_type: Mapping[str, str]) -> None:
        self.root = (root or STANDARD).upper()
        self.per_type = {k: v.upper() for k, v in per_type.items() if v}
        self._cache: dict[str, str] = {}

    @classmethod
    def from_config(cls, config: AgentConfiguration) -> LevelResolver:
        """From ``event-log.level`` and every ``event-log.type.<type>.level`` set."""
        per_type = {
            key[len(_TYPE_PREFIX) : -len(_TYPE_SUFFIX)]: value
            for key, value in config.explicit().items()
            if key.startswith(_TYPE_PREFIX) and key.endswith(_TYPE_SUFFIX) and value
        }
        return cls(config.get("event-log.level") or STANDARD, per_type)

    def level(self, event_type: str) -> str:
        """``OFF``, ``STANDARD`` or ``VERBOSE`` for ``event_type``."""
        found = self._cache.get(event_type)
        if found is None:
            found = self._resolve(event_type)
            self._cache[event_type] = found
        return found

    def _resolve(self, event_type: str) -> str:
        current = event_type
        while current:
            level = self.per_type.get(current)
            if level is not None:
                return level
            dot = current.rfind(".")
            current = current[:dot] if dot > 0 else ""
        return self.root

    @property
    def all_off(self) -> bool:
        """Whether every type resolves to OFF (then no log is needed)."""
        return self.root == OFF and all(v == OFF for v in self.per_type.values())
