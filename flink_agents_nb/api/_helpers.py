"""Small helpers of the ``flink_agents.api`` mirror."""

from __future__ import annotations

import importlib
from typing import Any


def get_resource_class(module_path: str, class_name: str) -> Any:
    """The class ``class_name`` of module ``module_path`` (Flink Agents' helper)."""
    return getattr(importlib.import_module(module_path), class_name)
