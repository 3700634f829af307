"""The public faces of both packages are explicit and pinned (httpx style)."""

from __future__ import annotations

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
