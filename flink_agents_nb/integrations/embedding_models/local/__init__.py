"""``flink_agents.integrations.embedding_models.local``."""
