"""Apache Flink Agents' API shapes that need pydantic (imported only by ported code and by
``flink_agents_nb.api``; the rest of the runtime does not need pydantic)."""
