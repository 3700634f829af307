"""The shape of a YAML agents file (Flink Agents' declarative format), as pydantic models.

A document holds ``agents:`` (optional: a file of shared infrastructure alone is valid)
and, beside it, shared sections registered on the environment: ``prompts``, ``tools``,
``skills``, the descriptor sections (``chat_model_connections``, ``chat_model_setups``,
``embedding_model_connections``, ``embedding_model_setups``, ``vector_stores``,
``mcp_servers``) and ``actions`` that agents reference by name. Unknown keys are errors,
except on descriptor entries, whose extra keys are the resource's constructor arguments.

An action's events are ``trigger_conditions`` (Flink Agents after 0.3) or ``listen_to``
(0.3.1's key); exactly one of the two. These models check shape only: what a value means
(aliases, function references, Java entries) is the builder's business (``_build``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator
from pydantic_core import PydanticCustomError

Language = Literal["python", "java"]

#: Descriptor sections, in the order they are built.
DESCRIPTOR_SECTIONS = (
    "chat_model_connections",
    "chat_model_setups",
    "embedding_model_connections",
    "embedding_model_setups",
    "vector_stores",
    "mcp_servers",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DescriptorEntry(BaseModel):
    """A resource built from a class: ``name``, ``clazz`` (an alias such as ``ollama`` or a
    dotted class path), ``type``; every other key is a constructor argument."""

    model_config = ConfigDict(extra="allow")

    name: str
    clazz: str
    type: Language | None = None

    @property
    def arguments(self) -> dict[str, Any]:
        """The constructor arguments: the entry's keys beyond name, clazz and type."""
        return dict(self.model_extra or {})


class MessageEntry(_Strict):
    """One message of a prompt (``role`` defaults to ``user``)."""

    role: Literal["system", "user", "assistant", "tool"] = "user"
    content: str


class PromptEntry(_Strict):
    """A prompt: one ``text`` template or a list of ``messages``, exactly one, non-empty."""

    name: str
    text: str | None = None
    messages: list[MessageEntry] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> PromptEntry:
        if bool(self.text) == bool(self.messages):
            raise PydanticCustomError(
                "yaml_shape", "a prompt takes exactly one of a non-empty 'text' or 'messages'"
            )
        return self


class ToolEntry(_Strict):
    """A function tool: ``function: module:Qualified.name``; ``injected_args``: parameters
    the framework fills (Flink Agents 0.4's tool parameter injection, from config or
    memory). ``parameter_types`` is read so that the builder can refuse it by name (Java
    tools' only)."""

    name: str
    function: str | None = None
    type: Language | None = None
    parameter_types: list[str] | None = None
    injected_args: dict[str, Any] | None = None


class PackageSkill(_Strict):
    """Skills inside an installed package: the package and a path inside it."""

    package: str
    resource: str


class SkillsEntry(_Strict):
    """Skill sources: local ``paths``, ``urls`` of zips, Java ``classpath`` entries,
    ``package`` resources; at least one."""

    name: str
    paths: list[str] = Field(default_factory=list)
    urls: list[str] = Field(default_factory=list)
    classpath: list[str] = Field(default_factory=list)
    package: list[PackageSkill] = Field(default_factory=list)

    @model_validator(mode="after")
    def _some_source(self) -> SkillsEntry:
        if not (self.paths or self.urls or self.classpath or self.package):
            raise PydanticCustomError(
                "yaml_shape", "skills need at least one of paths, urls, classpath or package"
            )
        return self


class ActionEntry(_Strict):
    """An action: ``function`` and the event types it runs on, with optional ``config``."""

    name: str
    function: str | None = None
    trigger_conditions: list[str] | None = None
    listen_to: list[str] | None = None
    config: dict[str, Any] | None = None
    type: Language | None = None

    @model_validator(mode="after")
    def _one_event_list(self) -> ActionEntry:
        if self.trigger_conditions is not None and self.listen_to is not None:
            raise PydanticCustomError(
                "yaml_shape", "give 'trigger_conditions' or 0.3.1's 'listen_to', not both"
            )
        if not self.conditions:
            raise PydanticCustomError(
                "yaml_shape", "an action needs a non-empty 'trigger_conditions' (or 'listen_to')"
            )
        return self

    @property
    def conditions(self) -> list[str]:
        """The event entries, whichever key held them."""
        return list(self.trigger_conditions or self.listen_to or [])


def _action_kind(value: Any) -> str:
    return "ref" if isinstance(value, str) else "entry"


#: An agent's action: an entry, or the name of a file-level (shared) action.
AgentAction = Annotated[
    Annotated[ActionEntry, Tag("entry")] | Annotated[str, Tag("ref")],
    Discriminator(_action_kind),
]

#: Tags pydantic puts into error locations of :data:`AgentAction` (not keys of the file).
UNION_TAGS = frozenset({"entry", "ref"})


class _Sections(_Strict):
    prompts: list[PromptEntry] = Field(default_factory=list)
    tools: list[ToolEntry] = Field(default_factory=list)
    skills: list[SkillsEntry] = Field(default_factory=list)
    chat_model_connections: list[DescriptorEntry] = Field(default_factory=list)
    chat_model_setups: list[DescriptorEntry] = Field(default_factory=list)
    embedding_model_connections: list[DescriptorEntry] = Field(default_factory=list)
    embedding_model_setups: list[DescriptorEntry] = Field(default_factory=list)
    vector_stores: list[DescriptorEntry] = Field(default_factory=list)
    mcp_servers: list[DescriptorEntry] = Field(default_factory=list)


class AgentEntry(_Sections):
    """One agent of ``agents:``: a name, a description, its own resources and actions."""

    name: str
    description: str | None = None
    actions: list[AgentAction] = Field(default_factory=list)


class YamlDocument(_Sections):
    """A whole file: agents and the shared sections beside them."""

    agents: list[AgentEntry] = Field(default_factory=list)
    actions: list[ActionEntry] = Field(default_factory=list)
