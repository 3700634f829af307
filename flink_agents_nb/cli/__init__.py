"""The flink-agents-nb command line: quickstart and logs."""
