"""The public faces of both packages are explicit and pinned (httpx style)."""

from __future__ import annotations

import importlib.metadata
import types
from typing import Any

import pytest

import flink_agents_nb
import flink_agents_runtime


def isort_style(name: str) -> tuple[int, str]:
    """Ruff's __all__ order: CONSTANTS, then Classes, then everything else."""
    group = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return group, name


def test_all_is_sorted_and_complete() -> None:
    for module in (flink_agents_nb, flink_agents_runtime):
        names = module.__all__
        assert names == sorted(names, key=isort_style), f"{module.__name__}.__all__ is unsorted"
        for name in names:
            assert hasattr(module, name), f"{module.__name__}.{name} is missing"


def public_names(module: types.ModuleType) -> set[str]:
    """What ``module`` offers: its names without a leading underscore that are not
    submodules (nor ``annotations`` from the __future__ import), ``__version__``, and what it
    serves lazily (``__dir__``)."""
    names = {
        n
        for n in dir(module)
        if not n.startswith("_") and not isinstance(getattr(module, n), types.ModuleType)
    }
    return (names - {"annotations"}) | {"__version__"}


def test_all_is_exactly_the_public_names() -> None:
    for module in (flink_agents_nb, flink_agents_runtime):
        public = public_names(module)
        listed = set(module.__all__)
        assert listed - public == set(), f"{module.__name__}.__all__ lists unknown names"
        assert public - listed == set(), f"{module.__name__} has public names not in __all__"
        assert "annotations" not in listed


def test_lazily_served_names_are_listed_by_dir() -> None:
    # Jupyter completes from dir(); these load PyFlink only when used.
    for name in ("RemoteAgentBuilder", "RemoteExecutionEnvironment"):
        assert name in dir(flink_agents_runtime)
        assert name in flink_agents_runtime.__all__


def test_version_comes_from_the_package_metadata() -> None:
    expected = importlib.metadata.version("flink-agents-nb")
    assert flink_agents_runtime.__version__ == expected
    assert flink_agents_nb.__version__ is flink_agents_runtime.__version__


def test_local_and_remote_environments_share_the_base_class() -> None:
    assert isinstance(flink_agents_nb.local(), flink_agents_nb.AgentsExecutionEnvironment)
    assert isinstance(flink_agents_nb.local(), flink_agents_runtime.AgentsExecutionEnvironment)
    local = flink_agents_runtime.AgentsExecutionEnvironment.get_execution_environment()
    assert isinstance(local, flink_agents_runtime.AgentsExecutionEnvironment)


@pytest.mark.flink
def test_the_flink_environment_derives_from_the_base_class() -> None:
    remote: Any = flink_agents_runtime.RemoteExecutionEnvironment
    assert issubclass(remote, flink_agents_runtime.AgentsExecutionEnvironment)


def test_notebook_layer_re_exports_the_runtime_api() -> None:
    runtime_api = {
        "Agent",
        "Event",
        "InputEvent",
        "OutputEvent",
        "RunnerContext",
        "action",
        "MemoryObject",
        "MetricGroup",
        "AgentConfiguration",
        "ConfigError",
    }
    assert runtime_api <= set(flink_agents_nb.__all__)
    for name in runtime_api:
        assert getattr(flink_agents_nb, name) is getattr(flink_agents_runtime, name)


def test_core_names_are_pinned() -> None:
    # Names users write in notebooks; removing one is a breaking change.
    pinned = {
        "ActionFailedError",
        "Agent",
        "AgentsExecutionEnvironment",
        "Event",
        "InputEvent",
        "OutputEvent",
        "Run",
        "RunnerContext",
        "Stepper",
        "action",
        "diff",
        "inspect",
        "local",
    }
    assert pinned <= set(flink_agents_nb.__all__)


def test_time_travel_and_evaluation_names_are_pinned() -> None:
    pinned = {
        "CallNotRecordedError",
        "Comparison",
        "Evaluation",
        "EvaluationError",
        "RecordError",
        "Replay",
        "Scorer",
        "compare",
        "dataset_from_run",
        "evaluate",
        "exact_match",
        "field_match",
        "json_schema_match",
        "llm_judge",
        "numeric_tolerance",
        "replay",
    }
    assert pinned <= set(flink_agents_nb.__all__)
    assert {"CallSite", "CallSource", "CallNotRecordedError", "RecordError"} <= set(
        flink_agents_runtime.__all__
    )
