"""``env.load_yaml(paths)``: Flink Agents' YAML-declared agents registered on an environment.

What loading runs: ``yaml.safe_load`` (plain data, no object-building tags) and the
imports of the modules the file's ``function:`` references and dotted ``clazz:`` paths
name (an import runs that module's top-level code, as any import does). Nothing else in the
file is executed; resources are built when a run first asks for them, as for an agent
written in Python.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flink_agents_runtime._errors import AgentDefinitionError
from flink_agents_runtime.api._agent import Agent, ResourceType
from flink_agents_runtime.yamlagents._build import BuiltFile, DeclaredAgent, build_file
from flink_agents_runtime.yamlagents._links import (
    Reference,
    check_applied,
    check_load,
    merged,
    names_of,
)
from flink_agents_runtime.yamlagents._source import YamlSource


def declared_agents(env: Any) -> dict[str, Agent]:
    """The environment's registry of agents loaded by name (created on first use)."""
    registry: dict[str, Agent] = env.__dict__.setdefault("_declared_agents", {})
    return registry


def loaded_files(env: Any) -> list[str]:
    """The files loaded into ``env`` so far, in load order (as given to ``load_yaml``)."""
    files: list[str] = env.__dict__.setdefault("_declared_files", [])
    return files


def _later_references(env: Any) -> list[Reference]:
    """References the loads left to the agents' application (``_links``)."""
    later: list[Reference] = env.__dict__.setdefault("_declared_references", [])
    return later


def load_yaml(env: Any, paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> None:
    """Register the agents and shared resources of one or more YAML files on ``env``.

    Agents go into the environment's registry (``.apply("name")`` takes them); file-level
    resources are added with ``env.add_resource`` (every applied agent can use them; an
    agent's own resources win on a clash). Files without ``agents:`` (shared
    infrastructure only) load too. Calls accumulate.

    All files are read and checked before anything is registered: on an error (an
    ``env.add_resource`` that raises too) nothing of this call stays registered. Raises
    :class:`AgentDefinitionError` naming the file, the line and the entry: YAML that does
    not parse, an unknown or missing key, a Java entry, an unknown alias, an integration the
    kit does not provide, a function reference that does not resolve, a condition
    expression, an agent or shared resource name already loaded.
    """
    if not isinstance(paths, (str, os.PathLike, Iterable)):
        raise AgentDefinitionError(f"load_yaml takes a path or paths, got {paths!r}")
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if not items:
        raise AgentDefinitionError("load_yaml: no file given")
    bad = [p for p in items if not isinstance(p, (str, os.PathLike))]
    if bad:
        raise AgentDefinitionError(f"load_yaml takes paths, got {bad[0]!r}")
    built = [build_file(YamlSource(Path(p))) for p in items]
    registry = declared_agents(env)
    _check_names(env, registry, built)
    later = check_load(
        [
            (
                one.source,
                names_of(one.shared),
                {n: names_of(a.resources) for n, a in one.agents.items()},
            )
            for one in built
        ],
        names_of(getattr(env, "resources", None)),
    )
    _add_shared(env, built)  # the one step that may fail: it undoes itself
    for one in built:
        registry.update(one.agents)
        loaded_files(env).append(str(one.source.path))
    _later_references(env).extend(later)


def _add_shared(env: Any, built: list[BuiltFile]) -> None:
    """``env.add_resource`` for each file-level resource of ``built``; when one raises,
    those added before it are taken out of ``env.resources`` again and the error raised."""
    added: list[tuple[ResourceType, str, Any]] = []
    try:
        for one in built:
            for rtype, named in one.shared.items():
                for name, value in named.items():
                    env.add_resource(name, rtype, value)
                    added.append((rtype, name, value))
    except BaseException:
        held = getattr(env, "resources", None) or {}
        for rtype, name, value in added:
            named = held.get(rtype) or {}
            if named.get(name) is value:
                del named[name]
        raise


def _check_names(env: Any, registry: dict[str, Agent], built: list[BuiltFile]) -> None:
    """Agent names and shared resource names are unique across the environment."""
    agents = {name: a.declared_at() or "an earlier load" for name, a in registry.items()}
    existing = getattr(env, "resources", None) or {}
    shared: dict[tuple[ResourceType, str], str] = {}
    for rtype, named in existing.items():
        try:
            kind = ResourceType(rtype)
        except ValueError:  # a key no YAML section declares cannot clash
            continue
        for name in named:
            shared[(kind, name)] = "the environment (add_resource or a YAML file)"
    for one in built:
        for name, agent in one.agents.items():
            if name in agents:
                raise AgentDefinitionError(
                    f"{agent.source}: agent {name!r} is already loaded ({agents[name]})"
                )
            agents[name] = agent.source
        for key, origin in one.origins.items():
            if key in shared:
                raise AgentDefinitionError(
                    f"{origin}: a shared {key[0].value} named {key[1]!r} is already registered "
                    f"({shared[key]})"
                )
            shared[key] = origin


def agent_named(env: Any, agent: Any, verb: str = "apply") -> Any:
    """``agent`` itself, or the loaded agent of that name when it is a string.

    A loaded agent's references left to its application (``_links``) are checked against
    its own and ``env``'s resources. Raises :class:`AgentDefinitionError` for a name nothing
    loaded (listing the loaded names and the files they came from) and for a reference
    that resolves nowhere (its file and line). ``verb`` names the call in the messages.
    """
    registry = declared_agents(env)
    if not isinstance(agent, str):
        name = getattr(agent, "name", None)
        if isinstance(agent, DeclaredAgent) and registry.get(str(name)) is agent:
            _check_references(env, agent, verb)
        return agent
    found = registry.get(agent)
    if found is None:
        files = loaded_files(env)
        hint = (
            f"loaded: {sorted(registry)} (from {', '.join(files)})"
            if registry
            else "no agent is loaded: env.load_yaml(path) registers a YAML file's agents"
            + (f" (loaded: {', '.join(files)}, which declare none)" if files else "")
        )
        raise AgentDefinitionError(f"{verb}({agent!r}): no agent of that name; {hint}")
    _check_references(env, found, verb)
    return found


def _check_references(env: Any, agent: Agent, verb: str) -> None:
    name = str(getattr(agent, "name", ""))
    refs = [r for r in _later_references(env) if r.agent == name]
    if refs:
        scope = merged(names_of(getattr(env, "resources", None)), names_of(agent.resources))
        check_applied(name, refs, scope, verb)


def bound_agent(env: Any, name: str, verb: str = "get_agent") -> DeclaredAgent:
    """The agent loaded into ``env`` as ``name``, ready to run without ``env``: a new
    :class:`DeclaredAgent` with the same actions, holding ``env``'s resources as its own
    (the agent's own win on a clash, as ``.apply(name)`` compiles it). Resources added to
    ``env`` later do not reach it. Errors as :func:`agent_named`."""
    agent = agent_named(env, name, verb)
    bound = DeclaredAgent(agent.name, agent.description, agent.source)
    bound._actions = dict(agent._actions)
    for rtype, named in (getattr(env, "resources", None) or {}).items():
        try:
            kind = ResourceType(rtype)
        except ValueError:  # not a kind an agent declares (AgentPlan would refuse it too)
            continue
        bound._resources[kind].update(named)
    for kind, named in agent.resources.items():
        bound._resources[kind].update(named)
    return bound
