"""``trace-log.targets``: which entities the Trace Log records, and in how much detail.

A target is ``{"scope": ..., "detail": "OFF" | "STANDARD" | "VERBOSE"}``. Scopes, as Apache
Flink Agents 0.4 spells them:

- ``"EVENT_ONLY"``: every event (entity type ``event``);
- ``"ALL"``: every entity (events, actions, llm, tool, parser, ...);
- ``{"<entity type>": "<name>"}`` (or ``{"type": ..., "name": ...}``, or the string
  ``"<entity type>:<name>"``): entities of that type whose name is ``<name>``, or starts with
  the prefix before a trailing ``*`` (``"chat.*"``, ``"chat*"``; ``"*"`` is every name).

For one entity the most specific matching target wins: an exact name, then the longest
prefix, then the type's ``"*"``, then ``EVENT_ONLY`` (events only), then ``ALL``; among equal
ones the later target. No match: ``OFF``. The default is
``[{"scope": "EVENT_ONLY", "detail": "STANDARD"}]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flink_agents_runtime._errors import FlinkAgentsError

OFF, STANDARD, VERBOSE = "OFF", "STANDARD", "VERBOSE"
DETAILS = (OFF, STANDARD, VERBOSE)
DEFAULT_TARGETS: list[dict[str, Any]] = [{"scope": "EVENT_ONLY", "detail": STANDARD}]


class TraceTargetError(FlinkAgentsError, ValueError):
    """A ``trace-log.targets`` entry that cannot be understood (names the entry)."""


@dataclass(frozen=True)
class Target:
    """One parsed target: ``kind`` ``"EVENT_ONLY"``, ``"ALL"`` or ``"entity"`` (then
    ``entity_type`` and ``name``: an exact name, or a prefix when ``prefix``)."""

    kind: str
    detail: str
    entity_type: str = ""
    name: str = ""
    prefix: bool = False

    def rank(self, entity_type: str, name: str) -> tuple[int, int] | None:
        """How specifically this target matches (higher wins), or ``None``."""
        if self.kind == "ALL":
            return (0, 0)
        if self.kind == "EVENT_ONLY":
            return (1, 0) if entity_type == "event" else None
        if self.entity_type != entity_type:
            return None
        if not self.prefix:
            return (4, 0) if name == self.name else None
        if name.startswith(self.name):
            return (3, len(self.name)) if self.name else (2, 0)
        return None


def _scope(scope: Any, where: str) -> tuple[str, str, str, bool]:
    if isinstance(scope, str):
        upper = scope.strip().upper()
        if upper in ("EVENT_ONLY", "ALL"):
            return upper, "", "", False
        if ":" not in scope:
            return "entity", scope.strip(), "*", True
        entity_type, name = scope.split(":", 1)
    elif isinstance(scope, dict) and set(scope) == {"type", "name"}:
        entity_type, name = scope["type"], scope["name"]
    elif isinstance(scope, dict) and len(scope) == 1:
        ((entity_type, name),) = scope.items()
    else:
        raise TraceTargetError(
            f"{where}: scope {scope!r} is not EVENT_ONLY, ALL or {{<entity type>: <name>}}"
        )
    if not isinstance(entity_type, str) or not entity_type or not isinstance(name, str):
        raise TraceTargetError(f"{where}: scope {scope!r} needs a type and a name (strings)")
    name = name.strip()
    if name.endswith(".*"):
        return "entity", entity_type.strip(), name[:-1], True
    if name.endswith("*"):
        return "entity", entity_type.strip(), name[:-1], True
    return "entity", entity_type.strip(), name, False


def parse_targets(value: Any) -> list[Target]:
    """``trace-log.targets`` (a list of ``{scope, detail}``; ``None``: the default) as
    :class:`Target` objects. Raises :class:`TraceTargetError` naming the bad entry."""
    if value is None:
        value = DEFAULT_TARGETS
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise TraceTargetError(f"trace-log.targets must be a list of {{scope, detail}}: {value!r}")
    out = []
    for i, item in enumerate(value):
        where = f"trace-log.targets[{i}]"
        if not isinstance(item, dict) or "scope" not in item:
            raise TraceTargetError(f"{where}: {item!r} is not a {{scope, detail}} mapping")
        detail = str(item.get("detail", STANDARD)).strip().upper()
        if detail not in DETAILS:
            raise TraceTargetError(
                f"{where}: detail {item.get('detail')!r} is not one of {DETAILS}"
            )
        kind, entity_type, name, prefix = _scope(item["scope"], where)
        out.append(Target(kind, detail, entity_type, name, prefix))
    return out


class TargetResolver:
    """The detail of each (entity type, name), resolved once and cached."""

    def __init__(self, targets: list[Target]) -> None:
        self.targets = targets
        self._cache: dict[tuple[str, str], str] = {}
        self.all_off = all(t.detail == OFF for t in targets)

    @classmethod
    def from_config(cls, config: Any) -> TargetResolver:
        """From ``trace-log.targets`` of an :class:`AgentConfiguration` (or a dict)."""
        return cls(parse_targets(config.get("trace-log.targets")))

    def detail(self, entity_type: str, name: str) -> str:
        """``OFF``, ``STANDARD`` or ``VERBOSE`` for this entity."""
        found = self._cache.get((entity_type, name))
        if found is None:
            best: tuple[int, int] | None = None
            found = OFF
            for target in self.targets:
                rank = target.rank(entity_type, name)
                if rank is not None and (best is None or rank >= best):
                    best, found = rank, target.detail
            if len(self._cache) < 10_000:  # names are bounded by the plan; junk is not cached
                self._cache[(entity_type, name)] = found
        return found
