"""``flink_agents.integrations.mcp``."""
