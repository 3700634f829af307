"""Event loggers: where event-log records go (Apache Flink Agents' ``EventLogger`` shape).

A logger has the lifecycle ``open(params) -> append(record)* -> flush() -> close()``; records
are JSON-ready dicts (built by :class:`~flink_agents_runtime.eventlog._sink.EventLogSink`).
The loggers here also take the record structs of
:mod:`~flink_agents_runtime.eventlog._lines` (``append_struct``).
:class:`EventLoggerConfig` (built fluently) says which logger and with which properties:

- ``"file"``: :class:`FileEventLogger`, JSON Lines in ``baseLogDir``, one file per subtask
  named ``events-{jobId}-{taskName}-{subtaskIndex}.log`` (``eventlog._file_logger``: its
  durability and write failures);
- ``"memory"``: :class:`MemoryEventLogger`, records kept in a list (tests, notebooks).
- ``"slf4j"``: Flink Agents' default type: records go to the Python logger
  ``org.apache.flink.agents.EventLog`` (``eventlog._slf4j``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from flink_agents_runtime._errors import ConfigError
from flink_agents_runtime.eventlog._file_logger import FileEventLogger
from flink_agents_runtime.eventlog._lines import decode_line
from flink_agents_runtime.eventlog._logger_base import EachRecordLogger, EventLoggerOpenParams
from flink_agents_runtime.eventlog._slf4j import Slf4jEventLogger

#: ``event-log.flush.every-n-records`` of local runs when unset (Flink jobs: 1).
LOCAL_FLUSH_EVERY_N = 1000


class EventLogger(Protocol):
    """Receives event-log records. Implementations must not raise on a record they cannot
    keep unless configured to; they count it and go on."""

    def open(self, params: EventLoggerOpenParams) -> None:
        """Prepare to receive records for the subtask ``params``."""

    def append(self, record: dict[str, Any]) -> None:
        """Keep one JSON-ready record (may be buffered until :meth:`flush`)."""

    def flush(self) -> None:
        """Make every appended record durable (written to the OS for files)."""

    def close(self) -> None:
        """Flush and release resources; further appends are errors."""


@dataclass
class EventLoggerConfig:
    """Which logger to build and with what properties.

    Build it fluently::

        EventLoggerConfig.builder().logger_type("file").property("baseLogDir", d).build()

    Properties of the file logger: ``baseLogDir`` (str, required), ``prettyPrint`` (bool),
    ``flushEveryNRecords`` (int >= 1), ``flushIntervalMs`` (int, 0: off),
    ``failOnWriteError`` (bool).
    """

    logger_type: str = "file"
    properties: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def builder() -> EventLoggerConfigBuilder:
        """A fluent builder."""
        return EventLoggerConfigBuilder()

    @classmethod
    def from_agent_config(cls, config: Any, default_every_n: int = 1) -> EventLoggerConfig:
        """The logger an :class:`AgentConfiguration` asks for (``eventLoggerType`` etc.).

        Args:
            default_every_n: ``flushEveryNRecords`` when ``event-log.flush.every-n-records``
                is unset (the driver's choice: 1 on Flink, :data:`LOCAL_FLUSH_EVERY_N` locally).
        """
        every_n = config.get("event-log.flush.every-n-records")
        return (
            cls.builder()
            .logger_type(config.get("eventLoggerType") or "file")
            .property("baseLogDir", config.get("baseLogDir"))
            .property("prettyPrint", bool(config.get("prettyPrint")))
            .property("flushEveryNRecords", int(every_n if every_n else default_every_n))
            .property("flushIntervalMs", int(config.get("event-log.flush.interval-ms") or 0))
            .property("failOnWriteError", bool(config.get("event-log.fail-on-write-error")))
            .build()
        )

    def create(self, metrics: Any = None) -> EventLogger:
        """A new, unopened logger of :attr:`logger_type`.

        Args:
            metrics: a metric group for ``eventLogWriteFailures`` (file logger), or ``None``.
        """
        kind = self.logger_type.lower()
        if kind == "file":
            return FileEventLogger(self, metrics)
        if kind == "memory":
            return MemoryEventLogger(self)
        if kind == "slf4j":
            return Slf4jEventLogger(self)
        raise ConfigError(
            f"unknown event logger type {self.logger_type!r}; use 'file', 'slf4j' or 'memory'"
        )


class EventLoggerConfigBuilder:
    """Fluent builder of :class:`EventLoggerConfig`."""

    def __init__(self) -> None:
        self._type = "file"
        self._props: dict[str, Any] = {}

    def logger_type(self, logger_type: str) -> EventLoggerConfigBuilder:
        """``"file"`` or ``"memory"``."""
        self._type = logger_type
        return self

    def property(self, name: str, value: Any) -> EventLoggerConfigBuilder:
        """Set one property."""
        self._props[name] = value
        return self

    def properties(self, values: dict[str, Any]) -> EventLoggerConfigBuilder:
        """Set several properties."""
        self._props.update(values)
        return self

    def build(self) -> EventLoggerConfig:
        """The configuration."""
        return EventLoggerConfig(self._type, dict(self._props))


class MemoryEventLogger(EachRecordLogger):
    """Keeps records in :attr:`records` (each a JSON round-trip copy, as a file would hold).

    Attributes:
        records: every record appended, in order.
        params: what :meth:`open` was given.
    """

    kind = "memory"

    def __init__(self, config: EventLoggerConfig | None = None) -> None:
        super().__init__()
        self.config = config if config is not None else EventLoggerConfig("memory")
        self.records: list[dict[str, Any]] = []

    def _take(self, data: bytes) -> None:
        """Keep one encoded record (decoded again, as a reader would see it)."""
        self.records.append(decode_line(data))
