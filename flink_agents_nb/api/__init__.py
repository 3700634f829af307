"""Apache Flink Agents' ``flink_agents.api`` paths, over the kit's runtime."""

from __future__ import annotations
