"""flink_agents_nb."""
