"""``flink_agents.api.embedding_models``."""
