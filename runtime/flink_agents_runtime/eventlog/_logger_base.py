"""What the event loggers share: the parameters ``open`` gets, the settings a logger is
built from (a protocol, so loggers need not import the builder that creates them), and the
base of the loggers that take each record as it comes, nothing pending (memory, SLF4J).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from flink_agents_runtime._errors import UsageError
from flink_agents_runtime.eventlog._lines import Line, encode_line, encode_record


@dataclass(frozen=True)
class EventLoggerOpenParams:
    """Where a logger runs: the job, the task and the subtask (names the file)."""

    job_id: str
    task_name: str
    subtask_index: int


class LoggerSettings(Protocol):
    """What a logger reads from its configuration (an
    :class:`~flink_agents_runtime.eventlog._loggers.EventLoggerConfig`)."""

    logger_type: str
    properties: dict[str, Any]


class EachRecordLogger:
    """Base of the loggers that take each record as it comes (no file, no buffer).

    Every form of a record (a JSON-ready dict, a record struct of
    :mod:`~flink_agents_runtime.eventlog._lines`, an encoded line) reaches :meth:`_take` as
    the encoded line; appending after :meth:`close` raises :class:`UsageError`.

    Attributes:
        params: what :meth:`open` was given.
        closed: whether :meth:`close` was called.
    """

    #: How errors name the log.
    kind = "event"

    def __init__(self) -> None:
        self.params: EventLoggerOpenParams | None = None
        self.closed = False

    def open(self, params: EventLoggerOpenParams) -> None:
        self.params = params

    def append(self, record: dict[str, Any]) -> None:
        self.append_line(encode_record(record))

    def append_struct(self, line: Line) -> None:
        """Take one record struct."""
        self.append_line(encode_line(line))

    def append_line(self, data: bytes) -> None:
        """Take one encoded record (``\\n``-terminated)."""
        if self.closed:
            raise UsageError(f"{self.kind} event log is closed; cannot append")
        self._take(data)

    def _take(self, data: bytes) -> None:
        """Keep or pass on one encoded record (the subclass's part)."""
        raise NotImplementedError

    def flush(self) -> None:
        """Nothing to do: records are taken as they come."""

    def close(self) -> None:
        self.closed = True
