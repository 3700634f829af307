"""Other programs' text logs beside event logs: Flink's own (``flink-<user>-<service>-<n>-
<host>.log``, rotated ``.log.<n>``), JVM GC logs, any log of timestamped lines.

A directory walk (:func:`._sources.list_log_files`) reads the files named as event logs
(:func:`named_as_event_log`) and sniffs the others' first line (:func:`foreign_log`): a
timestamped text line, not a record, makes the file another program's log. It is skipped
with one problem naming it, unless records are in it (a Trace Log routed into Flink's log
through its log4j layout, or the kit's SLF4J output on Flink): then it is read, and the
problems of its own lines, each not a record, fold into one (``_sources.fold_own_lines``).
A file named alone is read as it is, whatever it holds.
"""

from __future__ import annotations

import mmap
import re
from pathlib import Path

import numpy as np

#: A log file name's end: ``.log``, gzip (``.log.gz``) or rotated (``.log.1``).
LOG_SUFFIX = r"\.log(?:\.gz|\.\d+)?"
#: The general path's problem for a file's unreadable lines past the listed ones (``{}``:
#: how many); the fold of a text log's own lines counts them by it.
MORE_NOT_LISTED = "{} more unreadable lines not listed"
#: Names the kit, Flink Agents and its SLF4J appender give event logs and Trace Logs
#: (``traces-{job}-{task}-{n}.log``, ``events-...``, ``{log.file}.trace-log.log``; gzip or
#: rotated copies too): read without looking inside.
_EVENT_LOG_NAME = re.compile(r"(?:(?:traces|events)-.+|.+\.trace-log)" + LOG_SUFFIX)
#: A text log's line: a date and time first (log4j, logback, Python logging, JDK 8 GC
#: logs), JVM unified logging's ``[...][info]``, a level first, or a JVM banner.
_TEXT_LINE = re.compile(
    rb"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d"
    rb"|\[[^\]\n]*\]\[(?:trace|debug|info|warning|error)\]"
    rb"|(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|SEVERE)\b"
    rb"|(?:Java HotSpot|OpenJDK)\b"
)
#: A key every record form the reader knows has (compact, spaced or pretty-printed):
#: searched for in a text log to tell whether records are routed into it.
_RECORD = re.compile(rb'"(?:timestamp|inputRunId|eventType|recordType)"\s*:')
#: A line where a record starts (at the line's start or after a layout's `` - ``): a
#: problem there is a broken record, kept when the text log's own lines are folded.
_RECORD_LINE = re.compile(rb"\s*\{|.*?\s-\s+\{")
#: Flink's daemon logs: ``flink-<user>-<service>-<n>-<host>.log`` (the client's has no n).
_FLINK_LOG = re.compile(
    r"flink-.*?-(taskexecutor|standalonesession|standalonejob|jobmanager|taskmanager"
    r"|historyserver|sql-gateway|sql-client|client|zookeeper|kubernetes-[a-z]+)-.+"
)
_MORE = re.compile(re.escape(MORE_NOT_LISTED).replace(re.escape("{}"), r"(\d+)"))
_HEAD_BYTES = 4096


def named_as_event_log(name: str) -> bool:
    """Whether a file name is one event logs and Trace Logs are written under."""
    return _EVENT_LOG_NAME.fullmatch(name) is not None


def foreign_log(path: Path) -> tuple[str, bool] | None:
    """``(what it is, whether records are in it)`` when the first non-blank line of the
    regular file ``path`` is a text log's line (not a record); else ``None`` (read it as
    an event log: JSON, gzip, junk, empty or unreadable, the reader says what is wrong).
    Records are looked for in the whole file (memory-mapped, not read into memory)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEAD_BYTES)
            start = len(head) - len(head.lstrip())
            if head[:2] == b"\x1f\x8b" or _TEXT_LINE.match(head, start) is None:
                return None
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
                records = _RECORD.search(data) is not None
    except (OSError, ValueError):
        return None
    flink = _FLINK_LOG.match(path.name)
    if flink is not None:
        return f"Flink's {flink[1]} log", records
    if b"][gc" in head or path.name.startswith("gc"):
        return "a JVM garbage collection log", records
    return "a text log of another program", records


def skip_reason(what: str) -> str:
    """Why a directory walk does not read a text log (``what`` it is)."""
    return f"{what} (timestamped text lines, no event-log record in it): not read"


def own_lines_reason(count: int, what: str) -> str:
    """The one problem standing for the ``count`` problems of a text log's own lines."""
    return (
        f"{count} lines of {what}, its own and not event-log records, not listed (read the "
        "file alone to list each)"
    )


def opens_record(line: bytes) -> bool:
    """Whether a record starts on ``line`` (one line's bytes): at its start, or after a
    logging layout's `` - ``. A bad line that does is a broken record, kept when a text
    log's own lines are folded."""
    return b"{" in line and _RECORD_LINE.match(line) is not None


def listed_more(reason: str) -> int | None:
    """How many bad lines a problem sums up that the reader did not list one by one (its
    ``"<n> more unreadable lines not listed"``); ``None`` for any other problem."""
    found = _MORE.fullmatch(reason)
    return None if found is None else int(found[1])


class Lines:
    """A file's lines by number, found once (the file read once, when first asked): for
    the problems the reader did not tell :func:`opens_record` of (``LogProblem.at_record``
    ``None``)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._data: bytes | None = None
        self._starts: np.ndarray | None = None

    def opens_record(self, line: int) -> bool:
        """Whether a record starts at 1-based ``line``."""
        if self._data is None:
            try:
                self._data = self._path.read_bytes()
            except OSError:
                self._data = b""
            newlines = np.flatnonzero(np.frombuffer(self._data, dtype=np.uint8) == 10)
            self._starts = np.concatenate([[0], newlines + 1])
        assert self._starts is not None
        if not 1 <= line <= len(self._starts):
            return False
        start = int(self._starts[line - 1])
        stop = int(self._starts[line]) if line < len(self._starts) else len(self._data)
        return opens_record(self._data[start:stop])
