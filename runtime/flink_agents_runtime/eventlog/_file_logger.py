"""The file event logger (``eventLoggerType: file``): JSON Lines in ``baseLogDir``, one file
per subtask named ``events-{jobId}-{taskName}-{subtaskIndex}.log``. It takes records as
dicts, encoded lines or the record structs of :mod:`~flink_agents_runtime.eventlog._lines`
(``append_struct``), keeps structs pending as they are and encodes a batch per write.

Durability: with ``flushEveryNRecords`` = 1 every record is written (one ``write`` call,
whole line) before ``append`` returns. Otherwise records are buffered and written together
(one ``write`` per flush, whole lines only) when ``flushEveryNRecords`` are pending, when a
record is appended ``flushIntervalMs`` or more after the last flush by an append, by a
background thread at least every ``flushIntervalMs`` (so an idle agent's records reach the
disk too), and on ``flush``/``close``. A killed process loses at most the pending records:
fewer than ``flushEveryNRecords``, appended in the last ``flushIntervalMs`` or so (with
``flushIntervalMs`` = 0: until the next flush by count or close). What is on disk parses up
to its last complete line.
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
from pathlib import Path
from typing import Any

from flink_agents_runtime._errors import ConfigError, FlinkAgentsError, UsageError
from flink_agents_runtime.api._metrics import Counter
from flink_agents_runtime.eventlog._lines import Line, Raw, encode_line, encode_lines, encode_record
from flink_agents_runtime.eventlog._logger_base import EventLoggerOpenParams, LoggerSettings

# The name this logger had before the file logger left eventlog._loggers, kept so that
# logging configurations naming it still apply.
logger = logging.getLogger("flink_agents_runtime.eventlog._loggers")

#: Characters replaced by ``_`` in the parts of a log file name.
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")

_monotonic_ns = time.monotonic_ns


class EventLogWriteError(FlinkAgentsError, OSError):
    """The event log could not be written and ``event-log.fail-on-write-error`` is set."""


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

    def __init__(self, config: LoggerSettings, metrics: Any = None) -> None:
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
