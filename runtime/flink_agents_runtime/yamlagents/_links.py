"""References between the entries of YAML agents files, checked before anything runs.

The references are the ones Flink Agents' name-resolution pass lists for a file: a chat
model setup's ``connection``, ``prompt`` and ``tools``, an embedding model setup's
``connection``, a vector store's ``embedding_model``. Each must be a name (``tools`` a list
of names) of a resource of that kind.

When a file loads (``load_yaml``), each reference is looked up among what is known once the
load is done: its agent's own resources, the shared resources of the files of this call and
those already on the environment. A name that is found is fine. A name that is not is an
error when that scope declares resources of its kind (one of them was meant: a typo, an
entry left out); when the scope declares none of its kind, it is left to a later load
(Flink Agents loads a topology file and an infrastructure file in either order). An agent's
own references left so are checked when it is applied by name (``.apply(name)``,
``env.get_agent(name)``), where each must resolve among the agent's and the environment's
resources; a shared (file-level) entry's are left to run time, as Flink Agents resolves a
resource when an action first asks for it: an agent that never uses a shared setup whose
connection no file declares runs, as it does there.

Left to run time: ``skills`` (names inside skill sources, known once they are read), tools
and prompts while an MCP server is declared (it serves names known only once it answers),
and the names an action's code uses (``ChatRequestEvent(model=...)``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flink_agents_runtime._errors import AgentDefinitionError
from flink_agents_runtime.api._agent import ResourceType
from flink_agents_runtime.yamlagents._source import MAX_LISTED, Loc, YamlSource

#: Section -> (argument, the kind of resource it names), in the order they are checked.
REFERENCE_FIELDS: dict[str, tuple[tuple[str, ResourceType], ...]] = {
    "chat_model_setups": (
        ("connection", ResourceType.CHAT_MODEL_CONNECTION),
        ("prompt", ResourceType.PROMPT),
        ("tools", ResourceType.TOOL),
    ),
    "embedding_model_setups": (("connection", ResourceType.EMBEDDING_MODEL_CONNECTION),),
    "vector_stores": (("embedding_model", ResourceType.EMBEDDING_MODEL),),
}

#: Names by kind: what a scope declares.
Names = dict[ResourceType, set[str]]


@dataclass(frozen=True)
class Reference:
    """One name an entry gives for another resource.

    Attributes:
        kind: the kind of resource the name must be.
        name: the name as written.
        key: the entry's key holding it (``connection``, ``tools[1]``).
        where: ``path:line: label`` of that key.
        agent: the agent whose entry it is; ``None`` for a file-level (shared) entry.
    """

    kind: ResourceType
    name: str
    key: str
    where: str
    agent: str | None

    def problem(self, scope: Names) -> str:
        """``where: key 'x' is not a declared <kind> (did you mean ...); declared: [...]``."""
        declared = sorted(scope.get(self.kind, ()))
        close = difflib.get_close_matches(self.name, declared, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return (
            f"{self.where}: {self.key} {self.name!r} is not a declared {self.kind.value}{hint}; "
            f"{self.kind.value}s declared: {declared}"
        )


def references(src: YamlSource) -> list[Reference]:
    """The references of every entry of ``src`` (file level first, then each agent's).

    Raises :class:`AgentDefinitionError` for a reference that is not a name (``tools`` not
    a list of names), naming the file, the line and the entry.
    """
    doc = src.document
    scopes: list[tuple[Loc, str | None, Any]] = [((), None, doc)]
    scopes += [(("agents", i), spec.name, spec) for i, spec in enumerate(doc.agents)]
    found: list[Reference] = []
    for loc, agent, spec in scopes:
        for section, fields in REFERENCE_FIELDS.items():
            for i, entry in enumerate(getattr(spec, section)):
                where = (*loc, section, i)
                arguments = entry.arguments
                for key, kind in fields:
                    if arguments.get(key) is not None:
                        found += _named(src, where, key, kind, arguments[key], agent)
    return found


def _named(
    src: YamlSource, loc: Loc, key: str, kind: ResourceType, value: Any, agent: str | None
) -> list[Reference]:
    if key == "tools":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise src.error(loc, f"'tools' must be a list of tool names, got {value!r}", key=key)
        label = src.label(loc)
        return [
            Reference(
                kind, name, f"tools[{j}]", f"{src.path}:{src.line((*loc, key, j))}: {label}", agent
            )
            for j, name in enumerate(value)
        ]
    if not isinstance(value, str):
        raise src.error(loc, f"{key!r} must name a {kind.value}, got {value!r}", key=key)
    return [Reference(kind, value, key, src.where(loc, key), agent)]


def names_of(resources: Mapping[Any, Mapping[str, Any]] | None) -> Names:
    """The names ``resources`` (an agent's or an environment's, by type) declare."""
    out: Names = {}
    for rtype, named in (resources or {}).items():
        try:
            kind = ResourceType(rtype)
        except ValueError:  # a key that is no resource kind names nothing a reference seeks
            continue
        out.setdefault(kind, set()).update(named)
    return out


def merged(*scopes: Names) -> Names:
    """The union of ``scopes``."""
    out: Names = {}
    for scope in scopes:
        for kind, named in scope.items():
            out.setdefault(kind, set()).update(named)
    return out


def resolves(ref: Reference, scope: Names) -> bool:
    """Whether ``scope`` can give ``ref`` its resource (MCP servers may serve any tool or
    prompt name; a ``_subagent_<name>`` tool is the declared agent ``name``)."""
    if ref.name in scope.get(ref.kind, ()):
        return True
    if ref.kind in (ResourceType.TOOL, ResourceType.PROMPT) and scope.get(ResourceType.MCP_SERVER):
        return True
    sub = ref.name.removeprefix("_subagent_")
    return (
        ref.kind is ResourceType.TOOL
        and sub != ref.name
        and sub in scope.get(ResourceType.AGENT, ())
    )


def check_load(
    files: Iterable[tuple[YamlSource, Names, dict[str, Names]]], existing: Names
) -> list[Reference]:
    """Check the references of the files of one load; the ones left to a later load.

    ``files``: each file's source, its shared names and its agents' own names. Raises
    :class:`AgentDefinitionError` listing every reference that does not resolve although
    its kind is declared in its scope (see the module docstring).
    """
    files = list(files)
    shared = merged(existing, *(names for _, names, _ in files))
    own = {agent: names for _, _, agents in files for agent, names in agents.items()}
    every_agent = merged(*own.values())
    later: list[Reference] = []
    problems: list[str] = []
    for src, _, _ in files:
        for ref in references(src):
            scope = merged(shared, own[ref.agent] if ref.agent is not None else every_agent)
            if resolves(ref, scope):
                continue
            if scope.get(ref.kind):
                problems.append(ref.problem(scope))
            else:
                later.append(ref)
    if problems:
        raise AgentDefinitionError(_listed(problems))
    return later


def check_applied(name: str, refs: Iterable[Reference], scope: Names, verb: str) -> None:
    """Every reference of ``refs`` resolves in ``scope`` (the agent ``name``'s resources and
    its environment's), else :class:`AgentDefinitionError` listing those that do not."""
    problems = [ref.problem(scope) for ref in refs if not resolves(ref, scope)]
    if problems:
        head = (
            f"{verb}({name!r}): {_count(problems)} nowhere: not in the agent, nor in the "
            "files loaded, nor added with add_resource"
        )
        raise AgentDefinitionError(_listed(problems, head))


def _count(problems: list[str]) -> str:
    return "a reference resolves" if len(problems) == 1 else f"{len(problems)} references resolve"


def _listed(problems: list[str], head: str | None = None) -> str:
    """One problem as it is; several under a head line, at most :data:`MAX_LISTED`."""
    if head is None:
        if len(problems) == 1:
            return problems[0]
        head = f"{len(problems)} references do not resolve"
    shown = problems[:MAX_LISTED]
    more = len(problems) - len(shown)
    tail = [f"... and {more} more"] if more > 0 else []
    return f"{head}:\n  " + "\n  ".join(shown + tail)
