"""``flink_agents.runtime`` (the parts ported code and tests use)."""

from __future__ import annotations
