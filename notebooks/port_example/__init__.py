"""An agent written for Apache Flink Agents, ported by rewriting its import prefix."""
