"""The chat action's per-call metrics, with their handles taken once.

Every model call counts under the action's ``model_resource.<resource>.`` group
(``numOfLlmCallsSucceeded`` / ``numOfLlmCallsFailed``, ``llmCallLatencyMs``, ``retryCount``,
``retryWaitSec``; ``engine.reporting._run_metrics``) and under ``model.<model name>.`` (the name the
server answered with: ``promptTokens``, ``completionTokens``, ``retryCount``,
``retryWaitSec``). Looking each up by name costs a name built and a registry lookup per
metric per call (on Flink also a check of Flink's mirror), so :func:`call_metrics` keeps the
handles per action group (the core's, alive as long as the core) and model resource (names the
plan declares: bounded), and per model name up to :data:`MAX_MODEL_NAMES` (names come from
servers; past the bound a name is looked up each call). The handles change nothing about
when a metric is created: a ``model_resource`` group gets both outcome counters at its first
call and ``retryCount``/``retryWaitSec`` at its first retry (``engine.reporting._run_metrics``
says when each exists); the counting itself stays there and in ``chat.action._actions``.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from flink_agents_runtime.engine.reporting._run_metrics import component_group

__all__ = ["MAX_MODEL_NAMES", "CachedGroup", "ModelCallMetrics", "call_metrics"]

#: Model names (as servers answer them) whose handles are kept per model resource.
MAX_MODEL_NAMES = 64

_by_group: weakref.WeakKeyDictionary[Any, dict[str, ModelCallMetrics]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


class CachedGroup:
    """A metric group's counters and histograms, each looked up on its first use (the
    ``get_counter`` / ``get_histogram`` of a ``MetricGroup``, for the helpers that take one)."""

    __slots__ = ("_counters", "_group", "_histograms")

    def __init__(self, group: Any) -> None:
        self._group = group
        self._counters: dict[str, Any] = {}
        self._histograms: dict[str, Any] = {}

    def get_counter(self, name: str) -> Any:
        found = self._counters.get(name)
        if found is None:
            found = self._counters[name] = self._group.get_counter(name)
        return found

    def get_histogram(self, name: str) -> Any:
        found = self._histograms.get(name)
        if found is None:
            found = self._histograms[name] = self._group.get_histogram(name)
        return found


class ModelCallMetrics:
    """The metric groups of the calls to one model resource from one action (see the module
    docstring): :attr:`calls` (``model_resource.<resource>``) and :meth:`model`."""

    __slots__ = ("_action_group", "_models", "calls")

    def __init__(self, action_group: Any, resource: Any) -> None:
        self._action_group = action_group
        self.calls = CachedGroup(component_group(action_group, "model_resource", resource))
        self._models: dict[str, CachedGroup] = {}

    def model(self, model_name: str) -> CachedGroup:
        """The group ``model.<model_name>``."""
        found = self._models.get(model_name)
        if found is None:
            found = CachedGroup(self._action_group.get_sub_group("model", model_name))
            if len(self._models) < MAX_MODEL_NAMES:
                self._models[model_name] = found
        return found


def call_metrics(action_group: Any, resource: Any) -> ModelCallMetrics:
    """The handles of ``resource``'s calls from the action of ``action_group`` (kept while the
    group lives; a group that cannot be weakly referenced gets new handles each call)."""
    key = str(resource) if resource else ""
    try:
        per_resource = _by_group.get(action_group)
    except TypeError:  # not weakly referenceable (a test's stand-in)
        return ModelCallMetrics(action_group, resource)
    if per_resource is None:
        with _lock:
            per_resource = _by_group.setdefault(action_group, {})
    found = per_resource.get(key)
    if found is None:
        found = per_resource[key] = ModelCallMetrics(action_group, resource)
    return found
