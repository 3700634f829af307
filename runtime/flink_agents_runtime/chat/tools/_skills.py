"""Agent skills: folders with a ``SKILL.md``, offered to a chat model and loaded on demand.

A skill is a directory holding ``SKILL.md``: YAML front matter with ``name`` and
``description``, then the instructions (Markdown), and any other files it refers to. A
:class:`Skills` resource says where skills live (``Skills.from_local_dir(dir, ...)``: each
immediate subdirectory with a ``SKILL.md`` is a skill; ``Skills.from_package((pkg, path))``:
the same inside an installed package). Declare it with ``@skills``.

A chat model setup enables skills by name (``ChatModelSetup(..., skills=["refunds"])``):
the model then sees a system message listing those skills (name and description) and gets
the ``load_skill`` tool; ``load_skill(name)`` answers the skill's instructions and the
files it holds, ``load_skill(name, path)`` one of those files. Loading is a tool call, so it
is an event in the log like any other. (Upstream's ``bash`` tool is not offered.)
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from flink_agents_runtime._errors import ArgumentValueError, ResourceError
from flink_agents_runtime.api._agent import ResourceType
from flink_agents_runtime.chat.tools._skill_sources import is_url, skills_root
from flink_agents_runtime.chat.tools._tool import Tool

LOAD_SKILL_TOOL = "load_skill"
_MAX_FILE_CHARS = 20_000


@dataclass(frozen=True)
class Skill:
    """One skill: its name, description, instructions and directory."""

    name: str
    description: str
    instructions: str
    directory: str

    def files(self) -> list[str]:
        """The skill's other files, relative to its directory, sorted."""
        root = Path(self.directory)
        return sorted(
            str(p.relative_to(root))
            for p in root.rglob("*")
            if p.is_file() and p.name != "SKILL.md"
        )


def read_skill(directory: Path) -> Skill:
    """The skill in ``directory``; :class:`ResourceError` names the file and what is wrong."""
    path = directory / "SKILL.md"
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        raise ResourceError(f"{path}: SKILL.md must start with YAML front matter (---)")
    try:
        _, head, body = text.split("---", 2)
        meta = yaml.safe_load(head) or {}
    except (ValueError, yaml.YAMLError) as exc:
        raise ResourceError(f"{path}: bad front matter: {exc}") from None
    if not isinstance(meta, dict) or not meta.get("name") or not meta.get("description"):
        raise ResourceError(f"{path}: the front matter needs a name and a description")
    return Skill(str(meta["name"]), str(meta["description"]).strip(), body.strip(), str(directory))


class Skills:
    """Where skills are loaded from (Flink Agents' ``Skills`` resource)."""

    resource_type = ResourceType.SKILLS

    def __init__(self, paths: list[str]) -> None:
        self.paths = list(paths)
        self._skills: dict[str, Skill] | None = None

    @classmethod
    def from_local_dir(cls, *paths: str) -> Skills:
        """Skills in the immediate subdirectories of each directory, or at the top level of
        each ``.zip`` file."""
        return cls([str(Path(p)) for p in paths])

    @classmethod
    def from_url(cls, *urls: str) -> Skills:
        """Skills at the top level of each ``http(s)`` URL's zip (fetched on first load)."""
        bad = [u for u in urls if not is_url(u)]
        if bad:
            raise ResourceError(f"Skills.from_url takes http(s) URLs, got {bad}")
        return cls(list(urls))

    @classmethod
    def from_package(cls, *pairs: tuple[str, str]) -> Skills:
        """Skills in directories inside installed packages: ``(package, path)`` pairs."""
        paths = []
        for package, resource in pairs:
            try:
                paths.append(str(importlib.resources.files(package).joinpath(resource)))
            except ModuleNotFoundError as exc:
                raise ResourceError(f"skills package {package!r} not found: {exc}") from None
        return cls(paths)

    def load(self) -> dict[str, Skill]:
        """Every skill by name (read once). A missing directory or a duplicate name is a
        :class:`ResourceError`."""
        if self._skills is None:
            found: dict[str, Skill] = {}
            for base in self.paths:
                root = skills_root(base)
                for sub in sorted(p for p in root.iterdir() if (p / "SKILL.md").is_file()):
                    skill = read_skill(sub)
                    if skill.name in found:
                        raise ResourceError(
                            f"skill {skill.name!r} is defined twice: {found[skill.name].directory}"
                            f" and {sub}"
                        )
                    found[skill.name] = skill
            self._skills = found
        return dict(self._skills)

    def __repr__(self) -> str:
        return f"Skills({self.paths!r})"


def discovery_prompt(skills: list[Skill]) -> str:
    """The system message listing the enabled skills."""
    lines = [
        "## Skills",
        f"Skills hold instructions for special tasks. Call `{LOAD_SKILL_TOOL}(name)` to read a "
        f"skill before you use it, and `{LOAD_SKILL_TOOL}(name, path)` for one of its files.",
    ]
    lines += [f"- {s.name}: {s.description}" for s in skills]
    return "\n".join(lines)


class LoadSkillTool(Tool):
    """The ``load_skill`` tool of a chat model setup with skills."""

    def __init__(self, skills: dict[str, Skill]) -> None:
        super().__init__(
            LOAD_SKILL_TOOL,
            "Read the instructions of a skill, or one of its files.",
            {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "enum": sorted(skills)},
                    "path": {"type": "string", "description": "a file of the skill"},
                },
                "required": ["name"],
            },
        )
        self.skills = skills

    def call(self, **kwargs: Any) -> Any:
        skill = self.skills[kwargs["name"]]
        path = kwargs.get("path")
        if not path:
            files = skill.files()
            listing = "\n".join(f"- {f}" for f in files) if files else "(none)"
            return f"# Skill {skill.name}\n\n{skill.instructions}\n\nFiles:\n{listing}"
        root = Path(skill.directory).resolve()
        target = (root / path).resolve()
        if root not in target.parents or not target.is_file():
            raise ArgumentValueError(
                f"skill {skill.name!r} has no file {path!r}; it has {skill.files()}"
            )
        return target.read_text(encoding="utf-8")[:_MAX_FILE_CHARS]


def resolve_skills(context: Any, names: list[str], asker: str) -> list[Skill]:
    """The skills ``names`` among every ``Skills`` resource of the plan."""
    available: dict[str, Skill] = {}
    declared = context.names().get(ResourceType.SKILLS.value, []) if context else []
    for resource in declared:
        available.update(context.get(resource, ResourceType.SKILLS).load())
    missing = [n for n in names if n not in available]
    if missing:
        raise ResourceError(
            f"{asker} enables skill(s) {missing} that no @skills resource holds; "
            f"available: {sorted(available)}"
        )
    return [available[n] for n in names]
