"""Reading the ``agent:`` section of a YAML configuration file into (key, value, where).

Errors name the file and position: text that is not UTF-8, characters YAML does not allow,
invalid YAML, a key given twice (both lines). A ``str`` option takes a plain scalar as written
(``level: OFF`` is ``OFF``, not YAML 1.1's false; ``0123`` stays text).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from flink_agents_runtime._errors import ConfigError
from flink_agents_runtime.config._messages import short_text
from flink_agents_runtime.config._options import find_option


def agent_items(p: Path) -> Iterator[tuple[str, Any, str]]:
    """``(key, value, "file:line")`` of every option in the ``agent:`` section of ``p``, in
    file order (nested keys joined with dots); :class:`ConfigError` for an unreadable file."""
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {p}: {exc}", source=str(p)) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        where = f"{p}:{line}:{col}"
        raise ConfigError(
            f"{where}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at byte offset "
            f"{exc.start}); save the file as UTF-8",
            source=where,
        ) from None
    items: list[tuple[str, Any, str]] = []
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)  # checks the characters first
        root = loader.get_single_node()
        if root is None:
            return iter(())
        if not isinstance(root, yaml.MappingNode):
            raise ConfigError(f"{p}: the top level must be a mapping", source=str(p))
        _check_duplicates(root, "", p)
        for key_node, value_node in root.value:
            if key_node.value == "agent":
                _mapping_items(loader, value_node, "", p, items)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        where = f"{p}:{line}:{col}"
        raise ConfigError(
            f"{where}: character {chr(exc.character)!r} (U+{exc.character:04X}) is not "
            "allowed in YAML (a control character?); remove it",
            source=where,
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{p}:{mark.line + 1}" if mark else str(p)
        raise ConfigError(f"{where}: invalid YAML: {exc.problem}", source=where) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: invalid YAML: {short_text(str(exc))}", source=str(p)) from None
    except RecursionError:
        raise ConfigError(f"{p}: YAML nested too deeply", source=str(p)) from None
    finally:
        if loader is not None:
            loader.dispose()
    return iter(items)


def _mapping_items(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    prefix: str,
    p: Path,
    out: list[tuple[str, Any, str]],
) -> None:
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
        return
    if not isinstance(node, yaml.MappingNode):
        where = f"{p}:{node.start_mark.line + 1}"
        raise ConfigError(f"{where}: 'agent' must be a mapping of keys", source=where)
    for key_node, value_node in node.value:
        key = f"{prefix}{key_node.value}"
        where = f"{p}:{key_node.start_mark.line + 1}"
        option = find_option(key)
        if option is None and isinstance(value_node, yaml.MappingNode):
            _mapping_items(loader, value_node, key + ".", p, out)
            continue
        if option is not None and option.type is str and _plain_scalar(value_node):
            value: Any = value_node.value  # as written: OFF, no, 0123 stay text
        else:
            value = loader.construct_object(value_node, deep=True)
        out.append((key, value, where))


def _plain_scalar(node: yaml.Node) -> bool:
    """A scalar written without quotes that YAML would read as a bool, number or null."""
    return (
        isinstance(node, yaml.ScalarNode)
        and node.style is None
        and node.tag != "tag:yaml.org,2002:str"
        and node.value not in ("", "~", "null", "Null", "NULL")
    )


def _check_duplicates(node: yaml.MappingNode, prefix: str, p: Path) -> None:
    """A key given twice in one mapping (or the same dotted key nested and flat, e.g.
    ``event-log.level`` and ``event-log: {level: ...}``) is an error naming both lines."""
    seen: dict[str, int] = {}

    def walk(mapping: yaml.MappingNode, pre: str) -> None:
        for key_node, value_node in mapping.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = f"{pre}{key_node.value}"
            line = key_node.start_mark.line + 1
            if isinstance(value_node, yaml.MappingNode) and find_option(key) is None:
                walk(value_node, key + ".")
                continue
            if key in seen:
                where = f"{p}:{line}"
                shown = key.removeprefix("agent.")
                raise ConfigError(
                    f"{where}: key {short_text(shown)} is given twice (first at line "
                    f"{seen[key]}, again at line {line}); keep one",
                    key=shown,
                    source=where,
                )
            seen[key] = line

    walk(node, prefix)
