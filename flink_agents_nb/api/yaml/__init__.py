"""``flink_agents.api.yaml``: YAML-declared agents (``loader.load_yaml``)."""
