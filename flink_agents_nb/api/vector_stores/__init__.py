"""``flink_agents.api.vector_stores``."""
