"""Flink Agents' SLF4J event logger (``eventLoggerType: slf4j``, upstream's default type):
each record, one JSON object, goes to the Python logger ``org.apache.flink.agents.EventLog``
at INFO (on Flink, where the TaskManager's Python logging goes). Records already carry
``jobId``, ``taskName`` and ``subtaskIndex``, which upstream's SLF4J records add to the
file logger's fields.
"""

from __future__ import annotations

import logging
from typing import Any

from flink_agents_runtime.eventlog._logger_base import EachRecordLogger

#: The logger records go to (Flink Agents' category).
EVENT_LOGGER = "org.apache.flink.agents.EventLog"


class Slf4jEventLogger(EachRecordLogger):
    """Writes each record to :data:`EVENT_LOGGER` as it comes (no file, no buffer)."""

    kind = "SLF4J"

    def __init__(self, config: Any = None) -> None:
        super().__init__()
        self.config = config
        self._log = logging.getLogger(EVENT_LOGGER)

    def _take(self, data: bytes) -> None:
        """Log one encoded record."""
        self._log.info("%s", data.decode("utf-8", errors="replace").rstrip("\n"))
