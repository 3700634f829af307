"""Apache Flink Agents keys (0.3.1 and 0.4) the kit accepts but does not act on, so a
configuration written for Flink Agents loads unchanged. Each says so in its description
(``conf/config.yaml``); :func:`warn_inert` logs the ones set to a non-default value.

Specs are plain tuples ``(key, type, default, description, choices)``; ``_options`` turns
them into declared options (this module imports nothing of the config package).
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

_NOTE = "Flink Agents key, accepted; no effect in flink-agents-nb"

FA_ACCEPTED: tuple[tuple[str, type, Any, str, tuple[str, ...] | None], ...] = (
    ("short-term-memory.state-ttl.ms", int, 0, f"{_NOTE} (memory never expires here).", None),
    (
        "short-term-memory.state-ttl.update-type",
        str,
        "ON_READ_AND_WRITE",
        f"{_NOTE}.",
        ("ON_CREATE_AND_WRITE", "ON_READ_AND_WRITE"),
    ),
    (
        "short-term-memory.state-ttl.visibility",
        str,
        "NEVER_RETURN_EXPIRED",
        f"{_NOTE}.",
        ("NEVER_RETURN_EXPIRED", "RETURN_EXPIRED_IF_NOT_CLEANED_UP"),
    ),
    ("agent-run.begin-event", bool, False, f"{_NOTE} (0.4: no run-begin event).", None),
    ("memory.generate-event", bool, None, f"{_NOTE} (0.4 memory events).", None),
    ("memory.generate-event.*", bool, None, f"{_NOTE} (0.4 memory events).", None),
    (
        "action.trigger-condition.evaluate-failure-strategy",
        str,
        "WARN_AND_SKIP",
        f"{_NOTE} (0.4 trigger conditions are not supported).",
        ("WARN_AND_SKIP", "FAIL"),
    ),
    ("event-listeners", list, None, f"{_NOTE} (use execute(sinks=[...])).", None),
)


_STORES = (
    "is Flink Agents' {0} action state store option; flink-agents-nb's stores are sqlite and "
    "redis: set actionStateStoreBackend (and actionStateStore.sqlite.path or "
    "actionStateStore.redis.url) instead"
)

#: Flink Agents keys the kit refuses, by key prefix: why, and what to set instead.
FA_REFUSED: tuple[tuple[str, str], ...] = (
    ("kafka", _STORES.format("Kafka")),
    ("fluss", _STORES.format("Fluss")),
    (
        "event-log.trace.",
        "was a pre-0.4 Flink Agents switch for trace records in the event log; 0.4 writes them "
        "to the Trace Log: set trace-log.base-dir (or trace-log.output-type: SLF4J) and "
        "trace-log.targets",
    ),
)


def refused_reason(key: str) -> str | None:
    """Why the kit refuses the Flink Agents key ``key`` (``None``: not one it knows)."""
    for prefix, why in FA_REFUSED:
        if key.startswith(prefix):
            return why
    return None


def warn_inert(config: Any) -> list[str]:
    """Log a warning for each accepted-but-inert key set to a non-default value; returns
    those keys."""
    found = []
    explicit = config.explicit()
    for spec, _, default, description, _ in FA_ACCEPTED:
        if spec.endswith("*"):  # a pattern: the keys under it that some source set
            keys = sorted(k for k in explicit if k.startswith(spec[:-1]))
        else:
            keys = [spec]
        for key in keys:
            value = config.get(key)
            if value != default:
                logger.warning("%s = %r: %s", key, value, description)
                found.append(key)
    return found
