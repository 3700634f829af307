"""A checked YAML agents file turned into the kit's own declarations: agents with actions
and resources, as an agent written in Python declares them (``Agent.add_action``,
``Agent.add_resource`` with descriptors, ``FunctionTool``, prompts, ``Skills``), so both
drivers compile and run them through the same plan.

Every refusal names the file, the line and the entry: a Java entry (``type: java``), an
unknown alias, an integration the kit does not provide, a function that does not resolve,
a condition expression, tool parameter injection, Java classpath skills, duplicates.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

from flink_agents_runtime.api._agent import Agent, ResourceType
from flink_agents_runtime.api._events import Event
from flink_agents_runtime.chat._model import ResourceDescriptor
from flink_agents_runtime.chat.tools._skills import Skills
from flink_agents_runtime.chat.tools._tool import FunctionTool
from flink_agents_runtime.compat._names import LocalPrompt
from flink_agents_runtime.yamlagents._aliases import CLASS_ALIASES, SECTION_TYPES
from flink_agents_runtime.yamlagents._refs import event_type, resolve_function
from flink_agents_runtime.yamlagents._source import Loc, YamlSource
from flink_agents_runtime.yamlagents._specs import (
    DESCRIPTOR_SECTIONS,
    ActionEntry,
    DescriptorEntry,
    PromptEntry,
    SkillsEntry,
    ToolEntry,
)


class DeclaredAgent(Agent):
    """An agent declared in a YAML file: the kit's :class:`Agent` with the file's name
    (the plan's and the Trace Log's agent name) and description.

    Attributes:
        name: the agent's ``name`` in the file (``.apply(name)`` finds it).
        description: its ``description``, or ``None``.
        source: ``path:line`` of its entry.
    """

    def __init__(self, name: str, description: str | None = None, source: str = "") -> None:
        super().__init__()
        self.name = name
        self.description = description
        self.source = source

    def plan_name(self) -> str:
        """The file's name for the agent (not the class's)."""
        return self.name

    def declared_at(self) -> str | None:
        """``path:line`` of its entry."""
        return self.source or None

    def __repr__(self) -> str:
        actions = ", ".join(f"{a.name}<-{'|'.join(a.event_types)}" for a in self.actions.values())
        return f"DeclaredAgent({self.name!r}: {actions})"


@dataclass
class BuiltFile:
    """What one file declares: its agents by name, its shared resources by type and name
    (each with the ``path:line`` it came from)."""

    source: YamlSource
    agents: dict[str, DeclaredAgent] = field(default_factory=dict)
    shared: dict[ResourceType, dict[str, Any]] = field(default_factory=dict)
    origins: dict[tuple[ResourceType, str], str] = field(default_factory=dict)


def build_file(src: YamlSource) -> BuiltFile:
    """The agents and shared resources of ``src`` (nothing registered anywhere yet)."""
    doc = src.document
    built = BuiltFile(src)
    for rtype, name, value, loc in _resources(src, doc, ()):
        named = built.shared.setdefault(rtype, {})
        if name in named:
            raise src.error(loc, f"a shared {rtype.value} named {name!r} is already declared")
        named[name] = value
        built.origins[(rtype, name)] = f"{src.path}:{src.line(loc)}"
    # resolved once, here (refused even if no agent uses it): (entry, function, event types)
    shared_actions: dict[str, tuple[ActionEntry, Any, list[str | type[Event]]]] = {}
    for i, action in enumerate(doc.actions):
        loc = ("actions", i)
        if action.name in shared_actions:
            raise src.error(loc, f"a shared action named {action.name!r} is already declared")
        shared_actions[action.name] = (action, *_action_function(src, loc, action))
    for i, spec in enumerate(doc.agents):
        loc = ("agents", i)
        if spec.name in built.agents:
            first = built.agents[spec.name].source
            raise src.error(loc, f"agent {spec.name!r} is already declared in this file ({first})")
        agent = DeclaredAgent(spec.name, spec.description, f"{src.path}:{src.line(loc)}")
        for rtype, name, value, where in _resources(src, spec, loc):
            with src.refusals_named_at(where):
                agent.add_resource(name, rtype, value)
        for j, item in enumerate(spec.actions):
            where = (*loc, "actions", j)
            if isinstance(item, str):
                if item not in shared_actions:
                    raise src.error(
                        where,
                        f"no shared action named {item!r} (a string names one declared in the "
                        f"file-level 'actions:'; declared: {sorted(shared_actions)})",
                    )
                entry, func, types = shared_actions[item]
            else:
                entry, (func, types) = item, _action_function(src, where, item)
            with src.refusals_named_at(where):
                agent.add_action(entry.name, types, func, **(entry.config or {}))
        built.agents[spec.name] = agent
    return built


def _resources(src: YamlSource, spec: Any, loc: Loc) -> list[tuple[ResourceType, str, Any, Loc]]:
    """``(type, name, declaration, location)`` of every resource entry of ``spec``."""
    out: list[tuple[ResourceType, str, Any, Loc]] = []
    for section in DESCRIPTOR_SECTIONS:
        for i, entry in enumerate(getattr(spec, section)):
            where = (*loc, section, i)
            out.append((SECTION_TYPES[section], entry.name, _descriptor(src, where, entry), where))
    for i, prompt in enumerate(spec.prompts):
        where = (*loc, "prompts", i)
        out.append((ResourceType.PROMPT, prompt.name, _prompt(prompt), where))
    for i, tool in enumerate(spec.tools):
        where = (*loc, "tools", i)
        out.append((ResourceType.TOOL, tool.name, _tool(src, where, tool), where))
    for i, skills in enumerate(spec.skills):
        where = (*loc, "skills", i)
        out.append((ResourceType.SKILLS, skills.name, _skills(src, where, skills), where))
    return out


def _descriptor(src: YamlSource, loc: Loc, entry: DescriptorEntry) -> ResourceDescriptor:
    section = str(loc[-2])
    aliases = CLASS_ALIASES.get(section, {})
    if entry.type == "java":
        raise src.error(
            loc,
            "type: java is not supported: flink-agents-nb runs Python resources only "
            f"(drop 'type: java' to use the Python implementation; aliases: {sorted(aliases)})",
            key="type",
        )
    path = entry.clazz
    if "." not in path:
        if path not in aliases:
            raise src.error(
                loc,
                f"unknown {section} alias {path!r}; known: {sorted(aliases)} "
                "(or a dotted class path, 'pkg.module.Class')",
                key="clazz",
            )
        path = aliases[path]
    descriptor = ResourceDescriptor(path, entry.arguments)
    with src.refusals_named_at(loc, key="clazz"):
        cls = descriptor.resolve_class()  # (refuses Java classes, integrations the kit lacks)
    problem = _argument_problem(cls, entry.arguments)
    if problem:
        raise src.error(loc, problem)
    return descriptor


def _argument_problem(cls: type, arguments: dict[str, Any]) -> str | None:
    """What the entry's keys miss or add for ``cls``'s constructor (``None`` when they fit
    or the signature cannot tell: ``**kwargs`` takes any extra key)."""
    try:
        params = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return None
    named = [p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    missing = [p.name for p in named if p.default is p.empty and p.name not in arguments]
    if missing:
        return f"{cls.__name__} needs {missing} (keys of this entry)"
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    unknown = sorted(set(arguments) - {p.name for p in named})
    if unknown:
        return f"{cls.__name__} takes no {unknown}; its arguments: {[p.name for p in named]}"
    return None


def _prompt(entry: PromptEntry) -> LocalPrompt:
    if entry.text:
        return LocalPrompt.from_text(entry.text)
    return LocalPrompt.from_messages(
        [{"role": m.role, "content": m.content} for m in entry.messages or []]
    )


def _tool(src: YamlSource, loc: Loc, entry: ToolEntry) -> FunctionTool:
    if entry.type == "java":
        raise src.error(
            loc, "type: java is not supported: flink-agents-nb runs Python tools only", key="type"
        )
    if entry.parameter_types is not None:
        raise src.error(
            loc,
            "'parameter_types' is for Java tools; a Python tool's parameters "
            "come from its signature",
            key="parameter_types",
        )
    with src.refusals_named_at(loc, key="function"):
        func = resolve_function(entry.function)
    with src.refusals_named_at(loc, key="injected_args"):
        return FunctionTool(func, name=entry.name, injected_args=entry.injected_args)


def _skills(src: YamlSource, loc: Loc, entry: SkillsEntry) -> Skills:
    if entry.classpath:
        raise src.error(
            loc,
            "'classpath' skills are Java resources; flink-agents-nb loads skills from "
            "'paths', 'urls' and 'package'",
            key="classpath",
        )
    with src.refusals_named_at(loc):
        paths = Skills.from_local_dir(*entry.paths).paths
        if entry.urls:
            paths += Skills.from_url(*entry.urls).paths
        if entry.package:
            paths += Skills.from_package(*[(p.package, p.resource) for p in entry.package]).paths
    return Skills(paths)


def _action_function(
    src: YamlSource, loc: Loc, entry: ActionEntry
) -> tuple[Any, list[str | type[Event]]]:
    """The action's function and event types (refusals named at ``loc``)."""
    if entry.type == "java":
        raise src.error(
            loc,
            "type: java is not supported: flink-agents-nb runs Python actions "
            "only (port the action to Python)",
            key="type",
        )
    with src.refusals_named_at(loc, key="function"):
        func = resolve_function(entry.function)
    key = "trigger_conditions" if entry.trigger_conditions is not None else "listen_to"
    types: list[str | type[Event]] = []
    for i, condition in enumerate(entry.conditions):
        with src.refusals_named_at((*loc, key, i)):
            types.append(event_type(condition))
    bad = [k for k in (entry.config or {}) if not isinstance(k, str)]
    if bad:
        raise src.error((*loc, "config"), f"config keys must be strings, got {bad[0]!r}")
    return func, types
