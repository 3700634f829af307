"""One YAML agents file read and checked: its data, the line of each entry, errors that
name the file, the line and the entry.

The data come from ``yaml.safe_load`` (plain values only: no tags that build objects); the
lines from ``yaml.compose`` with the safe loader, which builds nodes and never constructs
anything. A syntax error names the line YAML stopped at; a shape error (a missing key, an
unknown key, a wrong type) names the entry by its section, index and ``name``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from flink_agents_runtime._errors import AgentDefinitionError, ArgumentValueError, ResourceError
from flink_agents_runtime.yamlagents._specs import UNION_TAGS, YamlDocument

Loc = tuple[str | int, ...]

#: Shape errors listed in one message at most (the rest are counted).
MAX_LISTED = 5


class YamlSource:
    """A parsed file: :attr:`document` (checked), and where its entries are.

    Raises :class:`AgentDefinitionError` naming the file (and the line) when the file cannot
    be read, is not YAML, is empty or does not have the agents file's shape.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AgentDefinitionError(f"load_yaml: cannot read {self.path}: {exc}") from None
        try:
            # one parse: the node tree (each entry's line) and the plain data built from it
            # by the safe constructor (no object-building tags), as safe_load does
            loader = yaml.SafeLoader(text)
            try:
                self._root = loader.get_single_node()
                data = loader.construct_document(self._root) if self._root is not None else None
            finally:
                loader.dispose()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{self.path}:{mark.line + 1}" if mark is not None else str(self.path)
            problem = getattr(exc, "problem", None) or str(exc)
            context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
            if context and start is not None:
                problem += f" ({context} at line {start.line + 1})"
            raise AgentDefinitionError(f"{where}: not valid YAML: {problem}") from None
        if data is None:
            raise AgentDefinitionError(f"{self.path}: the file is empty (no agents, no resources)")
        if not isinstance(data, dict):
            raise AgentDefinitionError(
                f"{self.path}:1: the top level must be a mapping (agents:, prompts:, ...), "
                f"got a {type(data).__name__}"
            )
        self.data: dict[str, Any] = data
        try:
            self.document = YamlDocument.model_validate(data)
        except ValidationError as exc:
            raise AgentDefinitionError(self._shape_message(exc)) from None

    # -- where things are ----------------------------------------------------------------
    def line(self, loc: Loc) -> int:
        """The 1-based line of the deepest node of ``loc`` that the file has."""
        node: Any = self._root
        for part in loc:
            child = _child(node, part)
            if child is None:
                break
            node = child
        return int(node.start_mark.line) + 1 if node is not None else 1

    def label(self, loc: Loc) -> str:
        """``agent 'a', tools[1] 'lookup'``: an entry named as a reader finds it."""
        parts: list[str] = []
        value: Any = self.data
        i = 0
        while i < len(loc):
            key = loc[i]
            nxt = loc[i + 1] if i + 1 < len(loc) else None
            value = value.get(key) if isinstance(value, dict) else None
            if isinstance(nxt, int) and isinstance(value, list) and nxt < len(value):
                item = value[nxt]
                name = item.get("name") if isinstance(item, dict) else item
                shown = f" {name!r}" if isinstance(name, str) else ""
                if key == "agents":
                    parts.append(f"agent{shown}" if shown else f"agents[{nxt}]")
                else:
                    parts.append(f"{key}[{nxt}]{shown}")
                value = item
                i += 2
                continue
            parts.append(f"'{key}'")
            i += 1
        if len(loc) and loc[0] != "agents" and parts:
            parts[0] = "file-level " + parts[0]
        return ", ".join(parts) if parts else "the file"

    def where(self, loc: Loc, key: str | None = None) -> str:
        """``path:line: label`` for an entry (the line of its ``key`` when given)."""
        line = self.line((*loc, key) if key else loc)
        return f"{self.path}:{line}: {self.label(loc)}"

    def error(self, loc: Loc, message: str, key: str | None = None) -> AgentDefinitionError:
        """An :class:`AgentDefinitionError` ``path:line: label: message``, at the line of
        the entry's ``key`` when given (and present)."""
        return AgentDefinitionError(f"{self.where(loc, key)}: {message}")

    @contextmanager
    def refusals_named_at(self, loc: Loc, key: str | None = None) -> Iterator[None]:
        """Within the block, a refusal of the kit's (:class:`AgentDefinitionError`,
        :class:`ResourceError`, :class:`ArgumentValueError`) is raised again as
        :meth:`error` at ``loc`` (and ``key``): its message kept, the file, line and entry
        put before it. Wrap only calls that do not name a location themselves (an
        :meth:`error` inside would be named twice)."""
        try:
            yield
        except (AgentDefinitionError, ResourceError, ArgumentValueError) as exc:
            raise self.error(loc, str(exc), key=key) from exc

    # -- shape errors --------------------------------------------------------------------
    def _shape_message(self, exc: ValidationError) -> str:
        lines = []
        errors = exc.errors()
        for err in errors[:MAX_LISTED]:
            loc: Loc = tuple(p for p in err["loc"] if p not in UNION_TAGS)
            kind = err["type"]
            if kind == "missing":
                entry, what = loc[:-1], f"{loc[-1]!r} is required"
            elif kind == "extra_forbidden":
                entry, what = loc[:-1], f"unknown key {loc[-1]!r}{_known(loc, self.data)}"
            else:
                entry, what = _entry_of(loc), _message(err, loc)
            # The line of the offending key or value when the file has it, else the entry's.
            lines.append(f"{self.path}:{self.line(loc)}: {self.label(entry)}: {what}")
        more = len(errors) - MAX_LISTED
        if more > 0:
            lines.append(f"... and {more} more")
        return "not a valid agents file:\n  " + "\n  ".join(lines)


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None


def _entry_of(loc: Loc) -> Loc:
    """The location of the entry (a list item) holding ``loc``'s value, else ``loc``."""
    for i in range(len(loc) - 1, 0, -1):
        if isinstance(loc[i], int):
            return loc[: i + 1]
    return loc


def _message(err: Any, loc: Loc) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    entry = _entry_of(loc)
    field = loc[len(entry) :]
    if field:
        return f"{'.'.join(str(p) for p in field)}: {msg} (got {err.get('input')!r})"
    return msg


def _known(loc: Loc, data: Any) -> str:
    """``; expected one of [...]`` for an unknown key (the keys its model takes)."""
    entry = loc[:-1]
    model: Any = YamlDocument
    path: Sequence[str | int] = [p for p in entry if isinstance(p, str)]
    for key in path:
        field = model.model_fields.get(key)
        if field is None:
            return ""
        model = _model_in(field.annotation)
        if model is None:
            return ""
    return f"; expected one of {sorted(model.model_fields)}"


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside ``list[Model]`` / ``list[Model | str]`` annotations."""
    stack = [annotation]
    while stack:
        ann = stack.pop()
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            return ann
        stack.extend(get_args(ann))
    return None
