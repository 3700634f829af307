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


def warn_inert(config: Any) -> list[str]:
    """Log a warning for each accepted-but-inert key set to a non-default value; returns
    those keys."""
    found = []
    for key, _, default, description, _ in FA_ACCEPTED:
        if "*" in key:
            continue
        value = config.get(key)
        if value != default:
            logger.warning("%s = %r: %s", key, value, description)
            found.append(key)
    return found
