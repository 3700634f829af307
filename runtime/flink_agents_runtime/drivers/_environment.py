"""``AgentsExecutionEnvironment``: the entry point, local or Flink (Flink Agents' shape)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.drivers._local import LocalExecutionEnvironment


class AgentsExecutionEnvironment:
    """Factory of execution environments.

    ``AgentsExecutionEnvironment.get_execution_environment()`` gives a local environment;
    passing a PyFlink ``StreamExecutionEnvironment`` as ``env`` gives the Flink one.
    """

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
            return LocalExecutionEnvironment(resolved)
        from flink_agents_runtime.drivers.flink import RemoteExecutionEnvironment

        return RemoteExecutionEnvironment(env, resolved, **kwargs)
