"""flink_agents_nb: develop event-driven AI agents in Jupyter, run them on Apache Flink.

``import flink_agents_nb as fa`` is the one import a notebook needs: it re-exports the
runtime API (``Agent``, ``action``, events, ``RunnerContext``, ...) and adds the notebook
layer (DataFrame I/O, runs as DataFrames). It never imports pyflink or starts a JVM.
"""

from __future__ import annotations

from flink_agents_runtime import (
    ActionFailedError,
    Agent,
    AgentConfiguration,
    AgentDefinitionError,
    ConfigError,
    Counter,
    Event,
    EventAttributeError,
    FlinkAgentsError,
    FlinkUnavailableError,
    Gauge,
    Histogram,
    InputError,
    InputEvent,
    MemoryAccessError,
    MemoryObject,
    Meter,
    MetricGroup,
    OutputEvent,
    ResourceError,
    ResourceType,
    RunnerContext,
    RunResult,
    action,
    chat_model_connection,
    chat_model_setup,
    prompt,
    tool,
)

from flink_agents_nb._diff import RunDiff, diff
from flink_agents_nb._environment import (
    AgentsExecutionEnvironment,
    NotebookAgentBuilder,
    NotebookEnvironment,
    frame_to_records,
    local,
)
from flink_agents_nb._frames import RECORD_COLUMNS
from flink_agents_nb._inspect import Inspector, inspect
from flink_agents_nb._live import LiveChart
from flink_agents_nb._run import Run
from flink_agents_nb._stepper import Breakpoint, Stepper, StepView

__version__ = "0.1.0"

__all__ = [
    "RECORD_COLUMNS",
    "ActionFailedError",
    "Agent",
    "AgentConfiguration",
    "AgentDefinitionError",
    "AgentsExecutionEnvironment",
    "Breakpoint",
    "ConfigError",
    "Counter",
    "Event",
    "EventAttributeError",
    "FlinkAgentsError",
    "FlinkUnavailableError",
    "Gauge",
    "Histogram",
    "InputError",
    "InputEvent",
    "Inspector",
    "LiveChart",
    "MemoryAccessError",
    "MemoryObject",
    "Meter",
    "MetricGroup",
    "NotebookAgentBuilder",
    "NotebookEnvironment",
    "OutputEvent",
    "ResourceError",
    "ResourceType",
    "Run",
    "RunDiff",
    "RunResult",
    "RunnerContext",
    "StepView",
    "Stepper",
    "__version__",
    "action",
    "chat_model_connection",
    "chat_model_setup",
    "diff",
    "frame_to_records",
    "inspect",
    "local",
    "prompt",
    "tool",
]
