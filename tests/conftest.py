"""Shared fixtures. Servers bind 127.0.0.1 on a free port and stop themselves."""

from __future__ import annotations

import os

import pytest

# Deterministic plotly output in tests and notebooks (no random div ids, no inlined js).
os.environ.setdefault("PLOTLY_RENDERER", "plotly_mimetype")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No FLINK_AGENTS_NB_* or FLINK_CONF_DIR from the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("FLINK_AGENTS_NB_") or name == "FLINK_CONF_DIR":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def flink_cluster():  # type: ignore[no-untyped-def]
    """A standalone Flink cluster on 127.0.0.1 (pyflink wheel scripts), stopped at the end."""
    from tests.helpers.flink_cluster import StandaloneCluster

    cluster = StandaloneCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def flink_cluster_2tm():  # type: ignore[no-untyped-def]
    """A standalone cluster with two task managers of two slots each (parallel jobs) and
    Flink's Prometheus reporter on (``cluster.prometheus_targets()``)."""
    from tests.helpers.flink_cluster import StandaloneCluster

    cluster = StandaloneCluster(slots=2, taskmanagers=2, prometheus=True).start()
    try:
        yield cluster
    finally:
        cluster.stop()
