"""Flink Agents' SLF4J event logger (``eventLoggerType: slf4j``, upstream's default type):
each record, one JSON object, goes to the Python logger ``org.apache.flink.agents.EventLog``
at INFO (on Flink, where the TaskManager's Python logging goes). Records already carry
``jobId``, ``taskName`` and ``subtaskIndex``, which upstream's SLF4J records add to the
file logger's fields.
"""

from __future__ import annotations

import logging
from typing import Any

from flink_agents_runtime._errors import UsageError
from flink_agents_runtime.eventlog._lines import Line, encode_line, encode_record

#: The logger records go to (Flink Agents' category).
EVENT_LOGGER = "org.apache.flink.agents.EventLog"


class Slf4jEventLogger:
    """Writes each record to :data:`EVENT_LOGGER` as it comes (no file, no buffer)."""

    def __init__(self, config: Any = None) -> None:
        self.config = config
        self.params: Any = None
        self._log = logging.getLogger(EVENT_LOGGER)
        self.closed = False

    def open(self, params: Any) -> None:
        self.params = params

    def append(self, record: dict[str, Any]) -> None:
        self.append_line(encode_record(record))

    def append_struct(self, line: Line) -> None:
        """Log one record struct."""
        self.append_line(encode_line(line))

    def append_line(self, data: bytes) -> None:
        """Log one encoded record."""
        if self.closed:
            raise UsageError("SLF4J event log is closed; cannot append")
        self._log.info("%s", data.decode("utf-8", errors="replace").rstrip("\n"))

    def flush(self) -> None:
        """Nothing to do: each record is handed to logging as it comes."""

    def close(self) -> None:
        self.closed = True
