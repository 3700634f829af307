"""Which files make up an event log, and :class:`LogProblem`, what cannot be read in one.

:func:`list_log_files` finds the log files under a path (never blocking on FIFOs or
devices, never looping on links, skipping other programs' logs in a directory:
:mod:`._foreign`); reading them is :mod:`._files`' part, after which :func:`fold_own_lines`
folds the problems of such a log's own lines when records were in it. :func:`is_otlp_file`
tells an OpenTelemetry trace file, which is no event log (``otel`` reads it).
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flink_agents_nb.eventlog.files import _foreign
from flink_agents_runtime._errors import LogNotFoundError

#: File names read from a directory (compressed variants included; rotated ``.log.<n>``
#: too, see :data:`_ROTATED`).
LOG_SUFFIXES = (".log", ".jsonl", ".json", ".ndjson", ".gz")
#: A log4j rolling file's older parts: ``<name>.log.<n>``.
_ROTATED = re.compile(r".+\.log\.\d+")
#: The kit's own files that sit beside event logs and are none: a Flink subtask's metric
#: totals (``metrics-{job}-{task}-{i}.json``) and a savepoint's manifest (savepoints go
#: under the log directory by default). A directory walk skips them.
_NOT_LOGS = re.compile(r"metrics-[0-9a-f]{32}-.+-\d+\.json|flink-agents-nb\.json")
#: An OTLP JSON Lines file's first line opens with its ``resourceSpans`` key; so much of a
#: file is looked at (bytes) to tell.
_OTLP_START = re.compile(rb'\s*\{\s*"resourceSpans"\s*:')
_OTLP_HEAD_BYTES = 4096


@dataclass(frozen=True)
class LogProblem:
    """A part of a log that could not be read (or a broken causal link).

    Attributes:
        file: the file, as found (``""`` when not tied to one file).
        line: 1-based line where the problem starts (``None`` for the whole file).
        reason: what is wrong, in words.
        at_record: whether a record starts at ``line`` (a broken record, not a line that
            is none: :func:`._foreign.opens_record`), when the reader told, which had the
            line (``None``: not told). Not compared, shown or in :meth:`to_dict`: the fold
            of a text log's own lines (:func:`fold_own_lines`) reads it.
    """

    file: str
    line: int | None
    reason: str
    at_record: bool | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.reason}" if where else self.reason

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"file": self.file, "line": self.line, "reason": self.reason}


def list_log_files(
    path: str | Path,
    problems: list[LogProblem] | None = None,
    text_logs: dict[str, str] | None = None,
) -> list[Path]:
    """``path`` itself if a file, else every log file under the directory, sorted.

    Raises :class:`LogNotFoundError` when ``path`` does not exist. What cannot be read is
    appended to ``problems`` (when given) and skipped: an empty path (it is not taken as the
    current directory), a FIFO, device or socket (never opened: reading one could block or
    never end), a symbolic link loop or a dangling link. Directories are walked without
    following symbolic links to directories (no loops).

    In a directory (Flink's ``log/``, say), files named as event logs are read; another
    log-named file whose first line is another program's text log line (Flink's own logs,
    GC logs: :func:`._foreign.foreign_log`) is skipped with one problem naming it, unless
    records are in it: then it is read and listed in ``text_logs`` (file -> what it is), so
    that its own lines' problems can fold into one (:func:`fold_own_lines`).
    """
    found: list[LogProblem] = [] if problems is None else problems
    if str(path) == "":
        found.append(LogProblem("", None, "empty path: name an event-log file or directory"))
        return []
    p = Path(path)
    why = not_readable(p)
    if why is None:
        return [p]
    if why != "directory":
        if why.startswith("no such"):
            raise LogNotFoundError(f"no event log at {p}: no such file or directory")
        found.append(LogProblem(str(p), None, why))
        return []
    out: list[Path] = []
    for root, dirs, names in os.walk(p, followlinks=False):
        dirs.sort()
        for name in sorted(names + [d for d in dirs if os.path.islink(os.path.join(root, d))]):
            if not (name.endswith(LOG_SUFFIXES) or _ROTATED.fullmatch(name)):
                continue
            if _NOT_LOGS.fullmatch(name):
                continue
            f = Path(root, name)
            reason = not_readable(f)
            if reason is None:
                foreign = None if _foreign.named_as_event_log(name) else _foreign.foreign_log(f)
                if foreign is not None and not foreign[1]:
                    found.append(LogProblem(str(f), None, _foreign.skip_reason(foreign[0])))
                    continue
                if foreign is not None and text_logs is not None:
                    text_logs[str(f)] = foreign[0]
                out.append(f)
            elif reason != "directory":
                found.append(LogProblem(str(f), None, reason))
    return sorted(out)


def fold_own_lines(problems: list[LogProblem], mixed: dict[str, str]) -> None:
    """In place: the reading problems of each file of ``mixed`` (file -> what it is; text
    logs with records in them) become one, where the first was. A problem at a line where
    a record starts (a broken record) is kept; the rest are the log's own lines. Whether a
    record starts there is what the reader told (``at_record``, on the bad lines it
    lists); the file is read again only for a problem it did not tell it of."""
    own: dict[str, int] = {}
    at: dict[str, int] = {}
    kept: list[LogProblem] = []
    lines = {file: _foreign.Lines(Path(file)) for file in mixed}  # (read when first asked)
    for problem in problems:
        file = problem.file
        if file not in mixed:
            kept.append(problem)
            continue
        more = _foreign.listed_more(problem.reason) if problem.line is None else None
        if problem.line is not None and (
            problem.at_record
            if problem.at_record is not None
            else lines[file].opens_record(problem.line)
        ):
            kept.append(problem)
            continue
        if problem.line is None and more is None:
            kept.append(problem)  # about the whole file (unreadable, cut short ...)
            continue
        if file not in at:
            at[file] = len(kept)
            kept.append(problem)  # (replaced below)
        own[file] = own.get(file, 0) + (more if more is not None else 1)
    for file, index in at.items():
        kept[index] = LogProblem(file, None, _foreign.own_lines_reason(own[file], mixed[file]))
    problems[:] = kept


def not_readable(p: Path) -> str | None:
    """``None`` for a regular file (or a link to one), ``"directory"``, else why it is not
    read (``"no such file or directory"``, a link loop, a FIFO ...)."""
    try:
        info = os.stat(p)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop; not read"
        if exc.errno == errno.ENOENT:
            if os.path.islink(p):
                return "dangling symbolic link; not read"
            return "no such file or directory"
        return f"cannot read ({exc.strerror or exc})"
    if stat.S_ISREG(info.st_mode):
        return None
    if stat.S_ISDIR(info.st_mode):
        return "directory"
    kind = (
        "a FIFO (named pipe)"
        if stat.S_ISFIFO(info.st_mode)
        else "a device"
        if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
        else "a socket"
        if stat.S_ISSOCK(info.st_mode)
        else "not a regular file"
    )
    return f"{kind}, not a regular file; not read"


def is_otlp_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a regular file whose first record opens with ``resourceSpans``:
    OTLP JSON Lines (``TracesData`` a line). Only a regular file is opened (a FIFO would
    block); an unreadable one is no OTLP file (its reader says why)."""
    if not os.path.isfile(path):
        return False
    try:
        with open(path, "rb") as fh:
            return _OTLP_START.match(fh.read(_OTLP_HEAD_BYTES)) is not None
    except OSError:
        return False
