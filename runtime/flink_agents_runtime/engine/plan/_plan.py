"""An agent compiled once: actions by event type, resources, and the config it runs with.

The plan is what travels to Flink workers (by value, with cloudpickle), so an agent defined
in a notebook cell runs on a cluster unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flink_agents_runtime._errors import AgentDefinitionError
from flink_agents_runtime.api._agent import ActionSpec, Agent, ResourceType
from flink_agents_runtime.chat.action._actions import builtin_actions
from flink_agents_runtime.engine.plan._unanswered import warn_unanswered
from flink_agents_runtime.retrieval._action import builtin_actions as retrieval_actions


@dataclass
class AgentPlan:
    """The compiled agent.

    Attributes:
        name: the agent's name (:meth:`Agent.plan_name`: its class name, a YAML agent's
            declared name).
        actions: every action by name, in declaration order.
        actions_by_type: event type -> the actions listening to it, in order.
        resources: resource declarations by type and name.
    """

    name: str
    actions: dict[str, ActionSpec]
    actions_by_type: dict[str, tuple[ActionSpec, ...]] = field(default_factory=dict)
    resources: dict[ResourceType, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_agent(
        cls, agent: Agent, extra_resources: dict[Any, dict[str, Any]] | None = None
    ) -> AgentPlan:
        """Compile ``agent``; ``extra_resources`` (from the environment) are added to the
        agent's own, which win on a name clash. Raises :class:`AgentDefinitionError` for an
        agent without actions."""
        if not isinstance(agent, Agent):
            raise AgentDefinitionError(f"apply() takes an Agent, got {type(agent).__name__}")
        resources: dict[ResourceType, dict[str, Any]] = {t: {} for t in ResourceType}
        for rtype, named in (extra_resources or {}).items():
            resources[ResourceType(rtype)].update(named)
        for rtype, named in agent.resources.items():
            resources[rtype].update(named)
        plan = cls(name=agent.plan_name(), actions=dict(agent.actions), resources=resources)
        for spec in plan.actions.values():
            if getattr(spec.func, "java_action", False):  # Flink Agents' JavaFunction
                raise AgentDefinitionError(
                    f"action {spec.name!r} of {plan.name} is a Java function ({spec.func!r}); "
                    "flink-agents-nb runs Python actions only: port it to Python"
                )
        # The built-in chat/tool loop, when chat models or tools are declared.
        plan.actions.update(builtin_actions(resources, declared=plan.actions))
        # The built-in context retrieval action, when vector stores are declared.
        plan.actions.update(retrieval_actions(resources, declared=plan.actions))
        if not plan.actions:
            declared = agent.declared_at()
            raise AgentDefinitionError(
                f"agent {plan.name} has no actions; declare one with @action(...) or add_action"
                + (f" (a YAML agent: under its actions:, {declared})" if declared else "")
            )
        plan.reindex()
        if extra_resources is not None:  # compiled with its environment, before a run
            warn_unanswered(plan)
        return plan

    def reindex(self) -> None:
        """Rebuild :attr:`actions_by_type` from :attr:`actions`."""
        by_type: dict[str, list[ActionSpec]] = {}
        for spec in self.actions.values():
            for etype in spec.event_types:
                by_type.setdefault(etype, []).append(spec)
        self.actions_by_type = {t: tuple(specs) for t, specs in by_type.items()}

    def describe(self) -> str:
        """One line per action: ``name <- event types``."""
        return "\n".join(f"{a.name} <- {', '.join(a.event_types)}" for a in self.actions.values())
