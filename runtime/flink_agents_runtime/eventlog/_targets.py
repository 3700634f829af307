"""``trace-log.targets``: which entities the Trace Log records, and in how much detail.

A target is ``{"scope": ..., "detail": "OFF" | "STANDARD" | "VERBOSE"}`` (no other field).
Scopes, as Apache Flink Agents 0.4 spells them:

- ``"EVENT_ONLY"``: every event (entity type ``event``);
- ``"ALL"``: every entity (events, actions, llm, tool, parser, ...);
- ``{"entityType": "<type>", "entityName": "<name>"}``: entities of that type whose name is
  ``<name>``, or, for ``"<namespace>.*"``, whose name is ``<namespace>`` or starts with
  ``<namespace>.``; without ``entityName``, the whole type.

The kit also takes ``{"<type>": "<name>"}``, ``{"type": ..., "name": ...}`` and the string
``"<type>:<name>"``, where a name may end in a plain ``*`` (``"chat*"``: any name starting
with ``chat``; ``"*"``: the whole type).

For one entity the most specific matching target wins: an exact name, then the longest
prefix, then the whole type, then ``EVENT_ONLY`` (events only), then ``ALL``; the order of
the targets does not matter. No match: ``OFF``. A target without ``detail`` takes a preset's,
as upstream: ``ALL`` defaults to ``STANDARD``, ``EVENT_ONLY`` to ``ALL``'s detail; an entity
target takes ``EVENT_ONLY``'s (events) or ``ALL``'s detail, else the other preset's, else
``STANDARD``. Two targets of one scope with different details are an error, as upstream. The
default is ``[{"scope": "EVENT_ONLY", "detail": "STANDARD"}]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flink_agents_runtime._errors import FlinkAgentsError

OFF, STANDARD, VERBOSE = "OFF", "STANDARD", "VERBOSE"
DETAILS = (OFF, STANDARD, VERBOSE)
DEFAULT_TARGETS: list[dict[str, Any]] = [{"scope": "EVENT_ONLY", "detail": STANDARD}]
_TARGET_FIELDS = ("scope", "detail")
_SCOPE_FIELDS = ("entityType", "entityName")


class TraceTargetError(FlinkAgentsError, ValueError):
    """A ``trace-log.targets`` entry that cannot be understood (names the entry)."""


@dataclass(frozen=True)
class Target:
    """One parsed target: ``kind`` ``"EVENT_ONLY"``, ``"ALL"`` or ``"entity"`` (then
    ``entity_type`` and ``name``: an exact name; a prefix when ``prefix``, a namespace
    (``name`` itself or ``name.``...) when ``namespace`` too; the whole type when ``prefix``
    and ``name`` is empty)."""

    kind: str
    detail: str
    entity_type: str = ""
    name: str = ""
    prefix: bool = False
    namespace: bool = False

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
        if not self.name:
            return (2, 0)
        if self.namespace:  # "a.b.*": "a.b" or "a.b.<anything>"
            hit = name == self.name or name.startswith(self.name + ".")
            return (3, len(self.name) + 1) if hit else None
        return (3, len(self.name)) if name.startswith(self.name) else None


def _name(name: Any, scope: Any, where: str) -> tuple[str, bool, bool]:
    """(name, prefix, namespace) of an entity name as written (``None``: the whole type)."""
    if name is None:
        return "", True, False
    if not isinstance(name, str) or not name.strip():
        raise TraceTargetError(f"{where}: scope {scope!r}: the entity name must be a string")
    name = name.strip()
    if name == ".*":
        raise TraceTargetError(
            f"{where}: scope {scope!r}: '.*' needs a namespace before it "
            "(omit entityName to select the whole type)"
        )
    if name.endswith(".*"):
        return name[:-2], True, True
    if name.endswith("*"):
        return name[:-1], True, False
    return name, False, False


def _scope(scope: Any, where: str) -> tuple[str, str, str, bool, bool]:
    """(kind, entity type, name, prefix, namespace) of one target's scope."""
    entity_type: Any
    name: Any
    if isinstance(scope, str):
        upper = scope.strip().upper()
        if upper in ("EVENT_ONLY", "ALL"):
            return upper, "", "", False, False
        if ":" not in scope:
            return "entity", scope.strip(), "", True, False
        entity_type, name = scope.split(":", 1)
    elif isinstance(scope, dict) and "entityType" in scope:  # upstream's form
        unknown = sorted(str(k) for k in scope if k not in _SCOPE_FIELDS)
        if unknown:
            raise TraceTargetError(
                f"{where}: scope has unknown field {unknown[0]!r} "
                f"(an entity scope has entityType and, optionally, entityName)"
            )
        entity_type, name = scope["entityType"], scope.get("entityName")
    elif isinstance(scope, dict) and set(scope) == {"type", "name"}:
        entity_type, name = scope["type"], scope["name"]
    elif isinstance(scope, dict) and len(scope) == 1:
        ((entity_type, name),) = scope.items()
    else:
        raise TraceTargetError(
            f"{where}: scope {scope!r} is not EVENT_ONLY, ALL or "
            "{entityType: <type>, entityName: <name or namespace.*>}"
        )
    if not isinstance(entity_type, str) or not entity_type.strip():
        raise TraceTargetError(f"{where}: scope {scope!r} needs an entity type (a string)")
    return ("entity", entity_type.strip(), *_name(name, scope, where))


def _detail(item: dict[str, Any], where: str) -> str | None:
    if item.get("detail") is None:
        return None
    detail = str(item["detail"]).strip().upper()
    if detail not in DETAILS:
        raise TraceTargetError(f"{where}: detail {item['detail']!r} is not one of {DETAILS}")
    return detail


def parse_targets(value: Any) -> list[Target]:
    """``trace-log.targets`` (a list of ``{scope, detail}``; ``None``: the default) as
    :class:`Target` objects, details inherited as the module says. Raises
    :class:`TraceTargetError` naming the bad entry."""
    if value is None:
        value = DEFAULT_TARGETS
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise TraceTargetError(f"trace-log.targets must be a list of {{scope, detail}}: {value!r}")
    parsed: list[tuple[tuple[str, str, str, bool, bool], str | None, str]] = []
    for i, item in enumerate(value):
        where = f"trace-log.targets[{i}]"
        if not isinstance(item, dict) or "scope" not in item:
            raise TraceTargetError(f"{where}: {item!r} is not a {{scope, detail}} mapping")
        unknown = sorted(str(k) for k in item if k not in _TARGET_FIELDS)
        if unknown:
            raise TraceTargetError(
                f"{where}: unknown field {unknown[0]!r} (a target has scope and detail)"
            )
        parsed.append((_scope(item["scope"], where), _detail(item, where), where))
    presets = {scope[0]: detail for scope, detail, _ in parsed if scope[0] != "entity"}
    all_detail = (presets.get("ALL") or STANDARD) if "ALL" in presets else None
    event_detail = presets.get("EVENT_ONLY") or all_detail or STANDARD
    out: list[Target] = []
    seen: dict[tuple[str, str, str, bool, bool], tuple[str, str]] = {}
    for scope, detail, where in parsed:
        kind, entity_type = scope[0], scope[1]
        if detail is None:
            if kind == "ALL":
                detail = STANDARD
            elif kind == "EVENT_ONLY" or entity_type == "event":
                detail = event_detail
            else:
                detail = all_detail or event_detail
        key = scope if kind == "entity" else (kind, "", "", False, False)
        if key in seen and seen[key][0] != detail:
            raise TraceTargetError(
                f"{where}: detail {detail} conflicts with {seen[key][1]}'s {seen[key][0]} "
                f"for the same scope"
            )
        seen.setdefault(key, (detail, where))
        out.append(Target(kind, detail, *scope[1:]))
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

    def may_write(self, entity_type: str) -> bool:
        """Whether some entity of ``entity_type`` may be written: a target not ``OFF``
        could match it (``False``: :meth:`detail` is ``OFF`` for every name of the type)."""
        return any(
            t.detail != OFF
            and (
                t.kind == "ALL"
                or (t.kind == "EVENT_ONLY" and entity_type == "event")
                or (t.kind == "entity" and t.entity_type == entity_type)
            )
            for t in self.targets
        )

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
