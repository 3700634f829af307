"""Flink Agents' execution environment, strict as its local runner was.

``AgentsExecutionEnvironment.get_execution_environment()`` from ``flink_agents_nb.api``
gives a :class:`FALocalExecutionEnvironment`: ``from_list`` once, ``apply`` once,
``execute`` once, each misuse a ``RuntimeError`` with Flink Agents' message (also a
:class:`FlinkAgentsError`), and ``get_tool_request_events()`` after the run. The kit's own
``fa.local()`` stays permissive (a notebook executes many times). Given a PyFlink
``StreamExecutionEnvironment``, it gives the kit's Flink environment.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any

from flink_agents_runtime._errors import FlinkAgentsError
from flink_agents_runtime.chat._events import ToolRequestEvent
from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.config._fa_keys import warn_inert
from flink_agents_runtime.drivers._local import LocalAgentBuilder, LocalExecutionEnvironment
from flink_agents_runtime.engine.reporting._records import ActionRecord, EventRecord
from flink_agents_runtime.engine.reporting._run import RunResult


class UsageError(FlinkAgentsError, RuntimeError):
    """An environment used as Flink Agents forbids (Flink Agents raises RuntimeError)."""


class _ToolRequests:
    """A record sink keeping the tool request events of a run."""

    def __init__(self) -> None:
        self.events: list[ToolRequestEvent] = []

    def on_event(self, record: EventRecord) -> None:
        if record.event.type == ToolRequestEvent.EVENT_TYPE:
            self.events.append(ToolRequestEvent.from_event(record.event))

    def on_action(self, record: ActionRecord) -> None:
        return None


class AgentBuilder(ABC):
    """What ``from_list`` / ``from_datastream`` / ``from_table`` return (Flink Agents'
    ``AgentBuilder``): a type for hints and ``isinstance``. Every builder of the kit is one:
    a class with ``apply`` and ``to_list`` (local) or ``to_datastream`` (Flink) counts."""

    @abstractmethod
    def apply(self, agent: Any) -> AgentBuilder:
        """Bind the agent to the input."""

    @classmethod
    def __subclasshook__(cls, sub: type) -> bool:
        if cls is not AgentBuilder:
            return NotImplemented
        has = {name for klass in sub.__mro__ for name in vars(klass)}
        if "apply" in has and ("to_list" in has or "to_datastream" in has):
            return True
        return NotImplemented


class FALocalAgentBuilder(LocalAgentBuilder):
    """A builder that takes one agent (Flink Agents' ``LocalAgentBuilder``)."""

    def apply(self, agent: Any) -> FALocalAgentBuilder:
        if self._agent is not None:
            raise UsageError("LocalAgentBuilder doesn't support apply multiple agents.")
        return super().apply(agent)

    def to_datastream(self) -> Any:
        """Not available locally (as in Flink Agents)."""
        raise NotImplementedError("LocalAgentBuilder does not support to_datastream.")

    def to_table(self, *args: Any, **kwargs: Any) -> Any:
        """Not available locally (as in Flink Agents)."""
        raise NotImplementedError("LocalAgentBuilder does not support to_table.")


class FALocalExecutionEnvironment(LocalExecutionEnvironment):
    """The kit's local environment with Flink Agents' one-shot rules."""

    def __init__(self, config: AgentConfiguration | None = None) -> None:
        super().__init__(config)
        self._has_input = False
        self._executed = False
        self._tool_requests = _ToolRequests()

    def from_list(self, inputs: Iterable[Any]) -> FALocalAgentBuilder:
        if self._has_input:
            raise UsageError(
                "LocalExecutionEnvironment doesn't support call from_list multiple times."
            )
        self._has_input = True
        return FALocalAgentBuilder(self, inputs)

    def execute(self, job_name: str | None = None, **kwargs: Any) -> RunResult:
        if self._executed:
            raise UsageError("LocalExecutionEnvironment doesn't support execute multiple times.")
        self._executed = True
        warn_inert(self.config)
        sinks = [*kwargs.pop("sinks", ()), self._tool_requests]
        return super().execute(job_name, sinks=sinks, **kwargs)

    def get_tool_request_events(self) -> list[ToolRequestEvent]:
        """The tool request events of the run, in the order they were sent."""
        return list(self._tool_requests.events)

    def from_datastream(self, *args: Any, **kwargs: Any) -> Any:
        """Not available locally (as in Flink Agents)."""
        raise NotImplementedError("LocalExecutionEnvironment does not support from_datastream.")

    def from_table(self, *args: Any, **kwargs: Any) -> Any:
        """Not available locally (as in Flink Agents)."""
        raise NotImplementedError("LocalExecutionEnvironment does not support from_table.")


class AgentsExecutionEnvironment:
    """Flink Agents' entry point: local (strict) without a PyFlink environment, the kit's
    Flink driver with one."""

    @staticmethod
    def get_execution_environment(
        env: Any = None,
        t_env: Any = None,
        *,
        config_file: str | os.PathLike[str] | None = None,
        config: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """The environment (see the class docstring)."""
        resolved = AgentConfiguration.resolve(config_file, overrides=config)
        if env is None:
            return FALocalExecutionEnvironment(resolved)
        from flink_agents_runtime.drivers.flink import RemoteExecutionEnvironment

        if t_env is not None:
            kwargs["t_env"] = t_env
        return RemoteExecutionEnvironment(env, resolved, **kwargs)
