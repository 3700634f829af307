"""The Flink driver: the execution core inside a PyFlink keyed process function.

Importing this package imports PyFlink (never done by ``import flink_agents_runtime``); it
first checks that Java and PyFlink are present and raises
:class:`~flink_agents_runtime.FlinkUnavailableError` otherwise.
"""

from __future__ import annotations

from flink_agents_runtime.drivers.flink._availability import ensure_flink

ensure_flink()

from flink_agents_runtime.drivers.flink._remote import (  # noqa: E402
    RemoteAgentBuilder,
    RemoteExecutionEnvironment,
    configure_environment,
    new_job_id,
    python_settings,
    runtime_dir,
)

__all__ = [
    "RemoteAgentBuilder",
    "RemoteExecutionEnvironment",
    "configure_environment",
    "new_job_id",
    "python_settings",
    "runtime_dir",
]
