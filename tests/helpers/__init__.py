"""Helpers shared by the tests: loopback servers, a standalone Flink cluster, sample agents."""
