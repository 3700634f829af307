"""``AgentsExecutionEnvironment``: the base of every execution environment (Flink Agents' shape).

The local (``drivers._local.LocalExecutionEnvironment``) and the Flink
(``drivers.flink.RemoteExecutionEnvironment``) environments derive from it, so
``isinstance(env, AgentsExecutionEnvironment)`` holds for either. Its factory
:meth:`AgentsExecutionEnvironment.get_execution_environment` finds a driver by module path
(:data:`DRIVERS`, loaded on demand with ``importlib``, as Flink Agents does): this module
depends on no driver, the drivers depend on it, and PyFlink loads only when asked for.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping
from typing import Any

from flink_agents_runtime.config._configuration import AgentConfiguration

#: Driver name -> (module, class) of its environment; the place to plug in another driver.
DRIVERS: dict[str, tuple[str, str]] = {
    "local": ("flink_agents_runtime.drivers._local", "LocalExecutionEnvironment"),
    "flink": ("flink_agents_runtime.drivers.flink", "RemoteExecutionEnvironment"),
}


class AgentsExecutionEnvironment:
    """Base of the execution environments, and their factory.

    ``AgentsExecutionEnvironment.get_execution_environment()`` gives a local environment;
    passing a PyFlink ``StreamExecutionEnvironment`` as ``env`` gives the Flink one. Every
    environment has ``get_config()``, ``add_resource(name, type, instance)`` and ``execute()``.
    """

    def get_config(self) -> AgentConfiguration:
        """The configuration runs use."""
        raise NotImplementedError

    def add_resource(self, name: str, resource_type: Any, instance: Any) -> Any:
        """A resource every applied agent can use (the agent's own win on a clash)."""
        raise NotImplementedError

    def execute(self, job_name: str | None = None) -> Any:
        """Run the last applied agent."""
        raise NotImplementedError

    def load_yaml(self, paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> None:
        """Register the agents and shared resources of Flink Agents YAML files (one path or
        several); ``.apply("agent_name")`` then takes a loaded agent by name.

        Loading runs ``yaml.safe_load`` and imports the modules that the files'
        ``function:`` references and dotted ``clazz:`` paths name; nothing else in a file
        is executed. Raises :class:`AgentDefinitionError` naming the file, the line and the
        entry (see ``flink_agents_runtime.yamlagents.load_yaml`` for what is refused).
        """
        from flink_agents_runtime.yamlagents import load_yaml

        load_yaml(self, paths)

    def get_agent(self, name: str) -> Any:
        """The agent a YAML file loaded here declares as ``name``, ready to run anywhere: a
        copy holding this environment's resources as its own (the agent's own win on a
        clash, as ``.apply(name)`` compiles it), so ``fa.promote``, ``fa.submit`` and
        ``fa.export_job`` take it as they take an agent object. Resources added here later
        do not reach the copy.

        Raises :class:`AgentDefinitionError` for a name no load declared (naming the loaded
        agents and files) and for a reference between entries that resolves nowhere (its
        file and line).
        """
        from flink_agents_runtime.yamlagents import bound_agent

        return bound_agent(self, name)

    def _agent_to_apply(self, agent: Any) -> Any:
        """``agent``, or the loaded agent named ``agent`` (an error listing the loaded
        names when there is none); a loaded agent's references are checked first."""
        if not isinstance(agent, str) and _declared_at(agent) is None:
            return agent  # not a declared agent: nothing of yamlagents to import
        from flink_agents_runtime.yamlagents import agent_named

        return agent_named(self, agent)

    @staticmethod
    def get_execution_environment(
        env: Any = None,
        *,
        config_file: str | os.PathLike[str] | None = None,
        config: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A local environment, or the Flink environment when ``env`` is a PyFlink
        ``StreamExecutionEnvironment``.

        Args:
            env: PyFlink's ``StreamExecutionEnvironment`` for the Flink driver.
            config_file: YAML file whose ``agent:`` section to read (else the search in
                :meth:`AgentConfiguration.resolve`).
            config: options set in code (highest precedence).
        """
        resolved = AgentConfiguration.resolve(config_file, overrides=config)
        if env is None:
            return driver("local")(resolved)
        return driver("flink")(env, resolved, **kwargs)


def _declared_at(agent: Any) -> str | None:
    """``agent.declared_at()`` for an agent instance that has it (a YAML-declared agent
    gives its ``path:line``), else ``None`` (an agent written in Python, a class)."""
    if isinstance(agent, type):
        return None
    declared_at = getattr(agent, "declared_at", None)
    return declared_at() if callable(declared_at) else None


def driver(name: str) -> Any:
    """The environment class of driver ``name`` (see :data:`DRIVERS`), imported now."""
    module, cls = DRIVERS[name]
    return getattr(importlib.import_module(module), cls)
