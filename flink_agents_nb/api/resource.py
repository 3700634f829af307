"""``flink_agents.api.resource``: ``Resource`` and ``SerializableResource`` are pydantic
models with Flink Agents' contract."""

from __future__ import annotations

from flink_agents_nb.api._helpers import get_resource_class
from flink_agents_runtime.api._agent import ResourceType
from flink_agents_runtime.chat._model import ResourceDescriptor
from flink_agents_runtime.chat.providers._catalogue import ResourceName
from flink_agents_runtime.compat._resource import Resource, SerializableResource

__all__ = [
    "Resource",
    "ResourceDescriptor",
    "ResourceName",
    "ResourceType",
    "SerializableResource",
    "get_resource_class",
]
