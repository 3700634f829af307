"""The record sink that turns the core's records into event-log records (both drivers).

The record format is in :mod:`flink_agents_runtime.eventlog._lines`. Levels
(``event-log.level``, per type ``event-log.type.<type>.level``, resolved up dotted prefixes
as Flink Agents does): OFF drops the record, STANDARD truncates attributes and memory values
(see :mod:`flink_agents_runtime.eventlog._truncate`; counted in ``eventLogTruncatedEvents``),
VERBOSE keeps everything. An action record takes the level of the event type it handled.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from flink_agents_runtime.api._metrics import Counter, MetricGroup
from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.engine.reporting._records import ActionRecord, EventRecord
from flink_agents_runtime.eventlog._clock import DIGITS3Z, Clock
from flink_agents_runtime.eventlog._levels import OFF, STANDARD, LevelResolver
from flink_agents_runtime.eventlog._lines import (
    ActionLine,
    EventLine,
    Line,
    Raw,
    as_dict,
    encode_refused,
    encode_value,
    has_nonfinite,
)
from flink_agents_runtime.eventlog._lines import _encode as _encode_fast
from flink_agents_runtime.eventlog._logger_base import EventLoggerOpenParams
from flink_agents_runtime.eventlog._loggers import (
    EventLogger,
    EventLoggerConfig,
    MemoryEventLogger,
)
from flink_agents_runtime.eventlog._trace_setup import trace_sink_for_task
from flink_agents_runtime.eventlog._truncate import Truncator


class EventLogSink:
    """A record sink writing event-log records through an :class:`EventLogger`.

    Construct with :meth:`for_task` (Flink driver, one per subtask) or :func:`local_sink`
    (local driver). ``on_event``/``on_action`` never raise on a write failure unless
    ``event-log.fail-on-write-error`` is set.

    Attributes:
        logger: the event logger (opened by the constructor).
        files: paths written (a one-element list for the file logger, else empty).
        truncated_events: records STANDARD level cut something from
            (``eventLogTruncatedEvents``).
    """

    def __init__(
        self,
        logger: EventLogger,
        params: EventLoggerOpenParams,
        levels: LevelResolver,
        truncator: Truncator | None,
        metrics: MetricGroup | None = None,
    ) -> None:
        self.logger = logger
        self.params = params
        self.levels = levels
        self.truncator = truncator if truncator is not None and truncator.enabled else None
        self.truncated_events: Counter = (
            metrics.get_counter("eventLogTruncatedEvents") if metrics is not None else Counter()
        )
        self._clock = Clock()
        self._levels = levels._cache
        # How a record reaches the logger (_emit): appended to a batching file logger's
        # pending buffer directly (the sink owns its logger; close() stops this, so later
        # records go through append_struct and fail), else by append_struct; pretty-printing
        # loggers and loggers taking only dicts get the record as a dict.
        pretty = bool(getattr(logger, "pretty", False))
        batch = None if pretty else getattr(logger, "batch_buffer", None)
        append_struct = None if pretty else getattr(logger, "append_struct", None)
        self._append_struct = append_struct or self._append_dict
        self._pending: deque[Line] = deque() if batch is None else batch  # stays empty if None
        self._every_n = int(getattr(logger, "every_n", 1)) if batch is not None else 1 << 62
        self._emit = self._append_struct if batch is None else batch.append
        self._job = params.job_id
        self._task = params.task_name
        self._subtask = params.subtask_index
        # Cheap bounds on encoded attributes below which STANDARD cuts nothing: length (a
        # long string), commas (a long array: only possible above a size), brackets (depth;
        # the attributes' own brace is depth 2). A limit of 0 disables that kind of cut.
        t = self.truncator
        big = 1 << 62
        self._checked = t is not None
        self._max_chars = t.max_string_length or big if t is not None else big
        self._max_commas = t.max_array_elements - 1 if t and t.max_array_elements else big
        self._comma_size = 2 * t.max_array_elements + 2 if t and t.max_array_elements else big
        self._max_opens = t.max_depth - 2 if t and t.max_depth else big
        self._closed = False
        logger.open(params)
        path = getattr(logger, "path", None)
        self.files: list[str] = [str(path)] if path is not None else []

    @classmethod
    def for_task(
        cls,
        config: AgentConfiguration,
        job_id: str,
        task_name: str,
        subtask_index: int,
        metrics: MetricGroup | None = None,
        logger: EventLogger | None = None,
        default_every_n: int = 1,
    ) -> EventLogSink:
        """A sink for one subtask, with the logger ``config`` asks for (or ``logger``).

        Args:
            config: resolved agent configuration (logger type, baseLogDir, levels, limits).
            job_id, task_name, subtask_index: name the file and fill the record fields.
            metrics: where ``eventLogWriteFailures`` and ``eventLogTruncatedEvents`` count.
            logger: use this logger instead of building one from ``config``.
            default_every_n: records per write when ``event-log.flush.every-n-records`` is
                unset (1 for Flink jobs: each record on disk before the next checkpoint).
        """
        if logger is None:
            logger = EventLoggerConfig.from_agent_config(config, default_every_n).create(metrics)
        truncator = Truncator.from_config(config, "event-log")
        params = EventLoggerOpenParams(str(job_id), str(task_name), int(subtask_index))
        return cls(logger, params, LevelResolver.from_config(config), truncator, metrics)

    @property
    def write_failures(self) -> int:
        """Records the logger could not write (0 for loggers that cannot fail)."""
        counter = getattr(self.logger, "write_failures", None)
        return int(counter.count) if counter is not None else 0

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records kept, for a memory logger (empty for others)."""
        return self.logger.records if isinstance(self.logger, MemoryEventLogger) else []

    def _cut(self, level: str, value: Any) -> tuple[Any, bool]:
        truncator = self.truncator
        if level != STANDARD or truncator is None:
            return value, False
        new = truncator.value(value)
        return new, new is not value

    def on_event(self, record: EventRecord) -> None:
        """Log one event record (unless its type's level is OFF)."""
        event = record.event
        level = self._levels.get(event.type) or self.levels.level(event.type)
        if level == OFF:
            return
        # Fast path (every record costs the run; see benchmarks/bench_eventlog.py): the
        # attributes are encoded now (they may change later) and checked against cheap
        # bounds, walked only when some limit may be hit.
        attrs = event.attributes
        try:
            encoded = _encode_fast(attrs)
            if b"null" in encoded and has_nonfinite(attrs):  # keep NaN, not null
                encoded = encode_refused(attrs)
        except Exception:
            encoded = encode_refused(attrs)
        if level == STANDARD and self._checked:
            size = len(encoded)
            if (
                size > self._max_chars
                or encoded.count(b"{") + encoded.count(b"[") > self._max_opens
                or (size > self._comma_size and encoded.count(b",") > self._max_commas)
            ):
                cut = self._truncated(attrs)
                if cut is not attrs:
                    encoded = encode_value(cut)
        ns = record.timestamp_ns
        clock = self._clock  # Clock.iso inlined (a call is a measurable share of a record)
        if ns // 1_000_000 != clock.ms:
            clock.advance(ns // 1_000_000)
        self._emit(
            EventLine(
                clock.prefix + DIGITS3Z[ns // 1000 % 1000],
                level,
                "event",
                event.id,
                event.type,
                event.upstream_event_id,
                event.upstream_action_name,
                Raw(encoded),
                record.key,
                record.seq,
                record.input_seq,
                self._job,
                self._task,
                self._subtask,
            )
        )
        if len(self._pending) >= self._every_n:  # by time: the logger's background thread
            self.logger.flush()

    def _truncated(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """``attrs`` STANDARD-truncated: the same object if nothing was cut, else a cut copy
        (counted in ``eventLogTruncatedEvents``)."""
        assert self.truncator is not None
        cut = self.truncator.attributes(attrs)
        if cut is not attrs:
            self.truncated_events.count += 1
        return cut

    def on_action(self, record: ActionRecord) -> None:
        """Log one action record (level of the handled event's type)."""
        level = self._levels.get(record.event_type) or self.levels.level(record.event_type)
        if level == OFF:
            return
        writes: Any = ()  # encoded as []
        error = record.error
        if record.memory_writes or error is not None:
            writes, error = self._action_extras(record, level)
        ns = record.timestamp_ns
        clock = self._clock  # Clock.iso inlined (a call is a measurable share of a record)
        if ns // 1_000_000 != clock.ms:
            clock.advance(ns // 1_000_000)
        self._emit(
            ActionLine(
                clock.prefix + DIGITS3Z[ns // 1000 % 1000],
                level,
                "action",
                record.action,
                record.event_id,
                record.event_type,
                record.key,
                record.seq,
                record.input_seq,
                record.duration_ns,
                record.status,
                record.attempt,
                error,
                record.sent_event_ids,
                writes,
                self._job,
                self._task,
                self._subtask,
            )
        )
        if len(self._pending) >= self._every_n:  # by time: the logger's background thread
            self.logger.flush()

    def _action_extras(self, record: ActionRecord, level: str) -> tuple[Any, str | None]:
        """The memory writes (encoded, or ``()`` for none) and error of an action record,
        STANDARD-truncated (a record with anything cut counts once in
        ``eventLogTruncatedEvents``)."""
        writes = []
        cut_any = False
        for memory, path, value in record.memory_writes:
            value, cut = self._cut(level, value)
            cut_any = cut_any or cut
            writes.append({"memory": memory, "path": path, "value": value})
        error = record.error
        if error is not None and level == STANDARD and self.truncator is not None:
            limit = self.truncator.max_string_length
            if limit and len(error) > limit:
                error = error[:limit] + "..."
                cut_any = True
        if cut_any:
            self.truncated_events.count += 1
        return (Raw(encode_value(writes)) if writes else ()), error

    def _append_dict(self, line: EventLine | ActionLine) -> None:
        """A record to a logger taking dicts (or pretty-printing): as a reader would get it."""
        self.logger.append(as_dict(line))

    def flush(self) -> None:
        """Flush the logger."""
        self.logger.flush()

    def close(self) -> None:
        """Flush and close the logger (idempotent)."""
        if not self._closed:
            self._closed = True
            self._emit = self._append_struct
            self._pending = deque()
            self.logger.close()


def open_sinks(
    config: AgentConfiguration,
    job_id: str,
    task_name: str,
    subtask_index: int,
    metrics: MetricGroup | None = None,
    *,
    default_every_n: int = 1,
    agent_name: str | None = None,
) -> list[Any]:
    """The record sinks ``config`` asks for, for one subtask; both drivers call this.
    ``agent_name``: the Trace Log's ``agentName`` (the agent's name, as Flink Agents
    writes it; ``None``: the job identifier).

    The event log: none when every level is OFF, or for the file logger when ``baseLogDir``
    is unset. The Flink Agents 0.4 Trace Log (:mod:`._trace_sink`): when
    ``trace-log.base-dir`` or ``trace-log.output-type`` is set and some target is not OFF
    (see :func:`._trace_setup.trace_sink_for_task`); the two are independent (both keys set:
    both logs). ``default_every_n`` is the records per write when
    ``event-log.flush.every-n-records`` is unset (the driver's choice: 1 on Flink, so each
    record is on disk before the next checkpoint; :data:`LOCAL_FLUSH_EVERY_N` locally, where
    the run's end closes, hence flushes, the log); the Trace Log writes as often. The caller
    owns the sinks (the execution core closes them in
    :meth:`~flink_agents_runtime.engine._core.ExecutionCore.close`).
    """
    sinks: list[Any] = []
    levels = LevelResolver.from_config(config)
    kind = str(config.get("eventLoggerType") or "file").lower()
    if not levels.all_off and (kind != "file" or config.get("baseLogDir")):
        sinks.append(
            EventLogSink.for_task(
                config, job_id, task_name, subtask_index, metrics, default_every_n=default_every_n
            )
        )
    trace = trace_sink_for_task(
        config,
        job_id,
        task_name,
        subtask_index,
        metrics,
        flush_every=default_every_n,
        agent_name=agent_name,
    )
    if trace is not None:
        sinks.append(trace)
    return sinks
