"""Event loggers: where event-log records go (Apache Flink Agents' ``EventLogger`` shape).

A logger has the lifecycle ``open(params) -> append(record)* -> flush() -> close()``; records
are JSON-ready dicts (built by :class:`~flink_agents_runtime.eventlog._sink.EventLogSink`).
The loggers here also take the record structs of
:mod:`~flink_agents_runtime.eventlog._lines` (``append_struct``): the file logger keeps them
pending as they are and encodes a batch per write.
:class:`EventLoggerConfig` (built fluently) says which logger and with which properties:

- ``"file"``: :class:`FileEventLogger`, JSON Lines in ``baseLogDir``, one file per subtask
  named ``events-{jobId}-{taskName}-{subtaskIndex}.log``;
- ``"memory"``: :class:`MemoryEventLogger`, records kept in a list (tests, notebooks).
- ``"slf4j"``: Flink Agents' default type: records go to the Python logger
  ``org.apache.flink.agents.EventLog`` (``eventlog._slf4j``).

Durability of the file logger: with ``flushEveryNRecords`` = 1 every record is written (one
``write`` call, whole line) before ``append`` returns. Otherwise records are buffered and
written together (one ``write`` per flush, whole lines only) when ``flushEveryNRecords`` are
pending, when a record is appended ``flushIntervalMs`` or more after the last flush by an
append, by a background thread at least every ``flushIntervalMs`` (so an idle agent's records
reach the disk too), and on ``flush``/``close``. A killed process loses at most the pending
records: fewer than ``flushEveryNRecords``, appended in the last ``flushIntervalMs`` or so
(with ``flushIntervalMs`` = 0: until the next flush by count or close). What is on disk
parses up to its last complete line.
A failed write drops the pending records, counts them in ``eventLogWriteFailures``, is logged
once, and raises :class:`EventLogWriteError` only when ``failOnWriteError`` is set (then every
record is written as it comes, whatever ``flushEveryNRecords`` says, so the record that could
not be written is the one that stops the agent).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from flink_agents_runtime._errors import ConfigError, FlinkAgentsError, UsageError
from flink_agents_runtime.api._metrics import Counter
from flink_agents_runtime.eventlog._lines import (
    Line,
    Raw,
    decode_line,
    encode_line,
    encode_lines,
    encode_record,
)

logger = logging.getLogger(__name__)

#: Characters replaced by ``_`` in the parts of a log file name.
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")

_monotonic_ns = time.monotonic_ns

#: ``event-log.flush.every-n-records`` of local runs when unset (Flink jobs: 1).
LOCAL_FLUSH_EVERY_N = 1000


class EventLogWriteError(FlinkAgentsError, OSError):
    """The event log could not be written and ``event-log.fail-on-write-error`` is set."""


@dataclass(frozen=True)
class EventLoggerOpenParams:
    """Where a logger runs: the job, the task and the subtask (names the file)."""

    job_id: str
    task_name: str
    subtask_index: int


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
            from flink_agents_runtime.eventlog._slf4j import Slf4jEventLogger

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


def log_file_name(job_id: str, task_name: str, subtask_index: int) -> str:
    """``events-{jobId}-{taskName}-{subtaskIndex}.log``, unsafe characters as ``_``."""
    return (
        f"events-{_UNSAFE.sub('_', str(job_id))}-{_UNSAFE.sub('_', str(task_name))}-"
        f"{int(subtask_index)}.log"
    )


class FileEventLogger:
    """JSON Lines to ``baseLogDir/events-{jobId}-{taskName}-{subtaskIndex}.log`` (appended).

    Attributes:
        path: the file, once opened.
        write_failures: records that could not be written (also ``eventLogWriteFailures``
            in the metric group given, if any).
    """

    def __init__(self, config: EventLoggerConfig, metrics: Any = None) -> None:
        props = config.properties
        base = props.get("baseLogDir")
        if not base:
            raise ConfigError("the file event logger needs the property 'baseLogDir'")
        self.base_dir = Path(base)
        self.pretty = bool(props.get("prettyPrint", False))
        self.fail_on_error = bool(props.get("failOnWriteError", False))
        every_n = max(1, int(props.get("flushEveryNRecords", 1) or 1))
        self.every_n = 1 if self.fail_on_error else every_n
        self.interval_ns = max(0, int(props.get("flushIntervalMs", 0) or 0)) * 1_000_000
        self.write_failures: Counter = (
            metrics.get_counter("eventLogWriteFailures") if metrics is not None else Counter()
        )
        self.path: Path | None = None
        self._fd: int | None = None
        self._direct_fd: int | None = None  # set when every record is written at once
        # Pending records (structs, or Raw lines without their newline), encoded when they
        # are written. deque append/popleft are atomic: appends take no lock; flushes (the
        # appending thread or the background one) hold _flush_lock, keeping order.
        self._pending: deque[Line] = deque()
        self._flush_lock = threading.Lock()
        self._deadline = time.monotonic_ns() + self.interval_ns if self.interval_ns else 0
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None
        self._reported = False
        self._closed = False

    def open(self, params: EventLoggerOpenParams) -> None:
        """Create ``baseLogDir`` if needed and open the subtask's file for appending.

        If the file ends in a partial line (a crash mid-write), a newline is added first so
        new records stay parseable. A failure is handled like a write failure. With batching
        and an interval, starts the background flush thread (a daemon, stopped by close).
        """
        self.path = self.base_dir / log_file_name(
            params.job_id, params.task_name, params.subtask_index
        )
        try:
            self.base_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            self._fd = fd
            self._direct_fd = fd if self.every_n == 1 else None
            size = os.fstat(fd).st_size
            if size:
                with open(self.path, "rb") as fh:
                    fh.seek(size - 1)
                    if fh.read(1) != b"\n":
                        os.write(fd, b"\n")
        except OSError as exc:
            self._failed(exc, 0, "open")
        if self.every_n > 1 and self.interval_ns and self._flusher is None:
            self._flusher = threading.Thread(
                target=self._flush_periodically, name=f"event-log {self.path.name}", daemon=True
            )
            self._flusher.start()

    @property
    def batch_buffer(self) -> deque[Line] | None:
        """The pending records when batching (``None`` when every record is written at once).

        For the sink that owns this logger: append a record struct here and call
        :meth:`flush` when ``every_n`` are pending (the background thread writes the rest
        every ``flushIntervalMs``); never after :meth:`close`.
        """
        return self._pending if self.every_n > 1 else None

    def append(self, record: dict[str, Any]) -> None:
        """Encode ``record`` and buffer it; flush when the flush policy says so."""
        self.append_line(encode_record(record, self.pretty))

    def append_line(self, data: bytes) -> None:
        """Buffer one encoded record (``\\n``-terminated, as :func:`encode_record` makes)."""
        if self._direct_fd is not None:
            self._write(data, 1)
        else:
            self.append_struct(Raw(data[:-1]))

    def append_struct(self, line: Line) -> None:
        """Buffer one record struct (:class:`~flink_agents_runtime.eventlog._lines.EventLine`
        or ``ActionLine``); flush when the flush policy says so."""
        fd = self._direct_fd
        if fd is None and not self._closed:  # batching: the common case first
            pending = self._pending
            pending.append(line)
            if len(pending) >= self.every_n or (
                self.interval_ns and _monotonic_ns() >= self._deadline
            ):
                self.flush()
            return
        if fd is not None:  # flush every record: one write each
            self._write(encode_line(line), 1)
            return
        raise UsageError(f"event log {self.path} is closed; cannot append")

    def flush(self) -> None:
        """Write every pending record (whole lines, one ``write`` call when possible).

        Called by the thread that appends (the one driver thread of a sink)."""
        if self.interval_ns:
            self._deadline = time.monotonic_ns() + self.interval_ns
        self._write_pending(True)

    def _write_pending(self, appender: bool) -> None:
        """Write what is pending. ``appender``: called by the appending thread, so nothing
        is appended meanwhile and the buffer can be taken whole; else (the background
        thread) exactly the records counted are taken, appends may go on."""
        with self._flush_lock:
            pending = self._pending
            count = len(pending)
            if not count:
                return
            if appender:
                data = encode_lines(pending)
                pending.clear()
            else:
                pop = pending.popleft
                data = encode_lines([pop() for _ in range(count)])
            self._write(data, count)

    def _write(self, data: bytes, count: int) -> None:
        """Write ``data`` (``count`` whole records) to the file, all of it (short writes
        go on); a failure loses those records and counts them."""
        fd = self._fd
        if fd is None:
            self._failed(None, count, "write")
            return
        try:
            written = os.write(fd, data)
            if written < len(data):
                view = memoryview(data)[written:]
                while view:
                    view = view[os.write(fd, view) :]
        except OSError as exc:
            self._failed(exc, count, "write")

    def _flush_periodically(self) -> None:
        """Background thread: write what is pending every ``flushIntervalMs``."""
        period = self.interval_ns / 1e9
        while not self._stop.wait(period):
            self._write_pending(False)  # never raises: failOnWriteError writes without a thread

    def close(self) -> None:
        """Flush and close the file (idempotent)."""
        if self._closed:
            return
        self._direct_fd = None
        self._stop.set()
        if self._flusher is not None:
            self._flusher.join()
        try:
            self._write_pending(True)
        finally:
            self._closed = True
            if self._fd is not None:
                try:
                    os.close(self._fd)
                except OSError as exc:
                    self._failed(exc, 0, "close")
                self._fd = None

    def _failed(self, exc: OSError | None, count: int, what: str) -> None:
        self.write_failures.inc(count)
        reason = exc if exc is not None else "the file could not be opened"
        if not self._reported:
            self._reported = True
            logger.error(
                "event log %s: %s failed (%s); %d record(s) lost; further failures are "
                "counted in eventLogWriteFailures, not logged",
                self.path,
                what,
                reason,
                count,
            )
        if self.fail_on_error:
            raise EventLogWriteError(
                f"event log {self.path}: {what} failed ({reason}); "
                "set event-log.fail-on-write-error to false to count and go on"
            ) from exc


class MemoryEventLogger:
    """Keeps records in :attr:`records` (each a JSON round-trip copy, as a file would hold).

    Attributes:
        records: every record appended, in order.
        params: what :meth:`open` was given.
    """

    def __init__(self, config: EventLoggerConfig | None = None) -> None:
        self.config = config if config is not None else EventLoggerConfig("memory")
        self.records: list[dict[str, Any]] = []
        self.params: EventLoggerOpenParams | None = None
        self.closed = False

    def open(self, params: EventLoggerOpenParams) -> None:
        self.params = params

    def append(self, record: dict[str, Any]) -> None:
        self.append_line(encode_record(record))

    def append_struct(self, line: Line) -> None:
        """Keep one record struct (as the dict a reader gets)."""
        self.append_line(encode_line(line))

    def append_line(self, data: bytes) -> None:
        """Keep one encoded record (decoded again, as a reader would see it)."""
        if self.closed:
            raise UsageError("memory event log is closed; cannot append")
        self.records.append(decode_line(data))

    def flush(self) -> None:
        """Nothing to do: records are kept as they come."""

    def close(self) -> None:
        self.closed = True
