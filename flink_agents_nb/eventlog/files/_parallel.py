"""Reading a log with both cores: a forked worker process reads the last part of its bytes.

:func:`read_files` reads a log's files into a :class:`..columns._columns._Columns` as
reading them one after another does, but for a log of at least :data:`MIN_PARALLEL_BYTES`
it forks a worker (``os.fork``: the modules stay imported, nothing is sent to start it)
that reads the last part of the bytes (whole files, and the tail of the file the cut falls
in, cut at a chunk boundary: see :func:`._files.read_records`' ``part``) while this process
reads the first part. The worker sends its columns, files, trace flag and problems back
(:mod:`._transfer`: into an anonymous file in memory shared at the fork, without waiting
for this process, then "done" through a pipe; through the pipe itself where there is no
such file); they are appended after this process' own, so the frame, its column order and
dtypes, the problems (in file and line order) and the files are those of a read in one
process. (Each process learns its own typed vocabulary: only which string objects hold
the values differs.)

Never worse than one process: without ``os.fork``, when the fork fails, when the worker
dies, raises, sends something unreadable or takes far longer than this process' part
(:data:`WAIT_FACTOR`), this process reads the worker's part itself; the worker is always
waited for (no zombie), and killed first when still running.

Turned off with ``FLINK_AGENTS_NB_READ_WORKERS=1`` (or ``0``) or ``workers=1``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from flink_agents_nb.eventlog.columns._columns import _Columns
from flink_agents_nb.eventlog.files._files import LogProblem, read_records
from flink_agents_nb.eventlog.files._records import FileRecords
from flink_agents_nb.eventlog.files._segments import Segment, pack_segment, rows_of, unpack_segments
from flink_agents_nb.eventlog.files._segments import merge as _merge
from flink_agents_nb.eventlog.files._transfer import done, receive, send, shared_file
from flink_agents_nb.eventlog.ids._ids import ID_FAMILIES
from flink_agents_nb.eventlog.ids._numbering import Numbering, RowIds
from flink_agents_nb.eventlog.typed._typed import Scratch
from flink_agents_nb.eventlog.typed._vocab import Vocabulary

#: The environment variable giving the number of processes a read uses (1 or 0: one; the
#: default: 2, this process and one worker).
WORKERS_ENV = "FLINK_AGENTS_NB_READ_WORKERS"
#: Logs of fewer bytes (on disk) are read in one process. Measured (CPU on the reader's own
#: path, 2 cores): a worker saves ~20% at 32 MB (100k records), ~25% at 400 MB; below 32 MB
#: the fork's fixed costs (copy-on-write faults on both sides, each process learning its
#: vocabulary, the transfer) leave little (a read of 32 MB takes ~0.35 s in one process).
MIN_PARALLEL_BYTES = 32 << 20
#: The share of the bytes this process reads itself: where the two reads end together. This
#: process also unpickles, unpacks and merges the worker's part after its own; the worker
#: packs and writes its part (into the shared file, without waiting: see :mod:`._transfer`)
#: after its read. Found on 1M records of each format, 2 cores, 0.52-0.58 alternated over
#: 5-7 rounds on a quiet machine (load ~1): 0.54 best or level for all three (medians: trace
#: 2.25 s vs 2.35 s at 0.56, ours 1.87 vs 1.89, nested 1.65 vs 1.66), once the chunks were
#: decoded as lines and an ended action's cell made lazily (the reader's part got cheaper).
#: (0.56 before; 0.54 before the worker sent each id once, when its part cost more to pack.)
READER_SHARE = 0.54
#: The worker is given up (killed, its part read here) when it has not sent its part this
#: many times the reader's own part's time after the reader finished (at least
#: :data:`MIN_WAIT_S`): a worker stuck, say, on a lock another thread held at the fork.
WAIT_FACTOR = 10.0
MIN_WAIT_S = 60.0
#: The pipe's size asked for (Linux): the worker's part streams through it when there is no
#: shared file (see :mod:`._transfer`), in fewer, larger writes than the default 64 KiB.
PIPE_BYTES = 1 << 20
#: Called in the worker just before it sends its part: a seam for tests to make it fail.
worker_fault: Callable[[], None] | None = None


class ReadReport(NamedTuple):
    """How the last :func:`read_files` in this process went (for benchmarks and tests):
    ``how``: ``"one process"`` (off, small log, nothing for a worker), ``"no fork"`` (the
    system cannot), ``"worker"`` (its part came back) or ``"fell back"`` (the worker failed:
    its part was read here); the worker's ``pid`` and its resource usage (``os.wait4``:
    ``ru_maxrss`` its peak memory in KiB, ``ru_utime``/``ru_stime`` its CPU seconds);
    ``shared``: the bytes of the worker's payload held in the shared file (0: it came
    through the pipe), memory in neither process' ``ru_maxrss``, held from the worker's
    write until this process unpickled it (a read's peak is at most the reader's peak + the
    worker's + this)."""

    how: str
    pid: int | None = None
    rusage: Any = None
    shared: int = 0


#: See :class:`ReadReport`.
last_read = ReadReport("one process")


@dataclass(frozen=True)
class Piece:
    """A file to read, whole (``part`` ``None``) or its head or tail (see
    :func:`._files.read_records`)."""

    file: Path
    part: tuple[int, bool] | None = None

    @property
    def is_tail(self) -> bool:
        return self.part is not None and self.part[1]


def workers_wanted(workers: int | None = None) -> int:
    """How many processes a read may use: ``workers``, else :data:`WORKERS_ENV`, else 2."""
    if workers is None:
        try:
            workers = int(os.environ.get(WORKERS_ENV, "2"))
        except ValueError:
            workers = 2
    return max(1, min(workers, 2))


def plan(files: Sequence[Path], share: float | None = None) -> tuple[list[Piece], list[Piece], int]:
    """This process' pieces (the first ``share`` of the bytes), the worker's (the rest) and
    the bytes in all (on disk).
    The file the cut falls in is split (head here, tail there); a gzip file is not (by its
    size on disk, a guess of its records: it goes to the side holding most of it)."""
    sizes = []
    for file in files:
        try:
            sizes.append(file.stat().st_size)
        except OSError:
            sizes.append(0)
    target = (READER_SHARE if share is None else share) * sum(sizes)
    mine: list[Piece] = []
    theirs: list[Piece] = []
    start = 0
    for file, size in zip(files, sizes, strict=True):
        if start + size <= target:
            mine.append(Piece(file))
        elif start >= target:
            theirs.append(Piece(file))
        elif _is_gzip(file):
            (mine if target - start >= size / 2 else theirs).append(Piece(file))
        else:
            at = int(target - start)
            mine.append(Piece(file, (at, False)))
            theirs.append(Piece(file, (at, True)))
        start += size
    return mine, theirs, start


def _is_gzip(file: Path) -> bool:
    try:
        with open(file, "rb") as fh:
            return fh.read(2) == b"\x1f\x8b"
    except OSError:
        return False


def read_pieces(
    pieces: Sequence[Piece],
    columns: _Columns,
    problems: list[LogProblem],
    vocabulary: Vocabulary,
    whole: set[str],
    ids: RowIds | None = None,
    drop_buffers: bool = False,
) -> None:
    """Read ``pieces`` in order into ``columns``. A multi-line file's head reads the whole
    file: its name is added to ``whole``, and a tail of a file in ``whole`` is skipped.
    ``ids``: the ids of the rows read are numbered into it, at the end (numbering each
    chunk's as it came, while its strings might be in the cache, measured no cheaper), the
    ``vocabulary``'s read buffers (a file's size) dropped first when ``drop_buffers``:
    nothing more is read with it (the worker's last part: they made its peak with the
    numbering's tables; the reader's peak comes later, and freeing them earlier there moves
    glibc's mmap threshold up: its later arrays then stay in the heap, its peak higher)."""
    chunk: FileRecords | None = None
    for piece in pieces:
        if piece.is_tail and str(piece.file) in whole:
            continue
        for chunk in read_records(piece.file, problems, vocabulary, piece.part):
            if chunk.whole_file:
                whole.add(chunk.file)
            columns.add(chunk, problems)
        chunk = None  # its structs' raw JSON are views of the file buffer the next reads into
    if ids is not None:
        if drop_buffers:
            vocabulary.scratch = Scratch()
        _number(ids, columns)


def read_files(
    files: Sequence[Path],
    columns: _Columns,
    problems: list[LogProblem],
    vocabulary: Vocabulary,
    workers: int | None = None,
    min_bytes: int | None = None,
    ids: RowIds | None = None,
) -> None:
    """Read ``files`` into ``columns`` (problems appended), with a worker process when
    allowed (``workers``, see :func:`workers_wanted`) and the files hold at least
    ``min_bytes`` (default :data:`MIN_PARALLEL_BYTES`). ``ids``: the rows' ids numbered
    into it, each process numbering the rows it read (see :class:`..ids._numbering.RowIds`)."""
    global last_read
    whole: set[str] = set()
    last_read = ReadReport("one process")
    ids = RowIds() if ids is None else ids
    limit = MIN_PARALLEL_BYTES if min_bytes is None else min_bytes
    mine, theirs, total = plan(files) if workers_wanted(workers) > 1 else ([], [], 0)
    if not theirs or total < limit:  # whole files, as they are read without a worker
        ids.expect = ids.expect or expected_ids(_size(files))
        read_pieces([Piece(file) for file in files], columns, problems, vocabulary, whole, ids)
        return
    worker = _Worker.start(theirs, expected_ids(total - int(READER_SHARE * total)))
    if worker is None:  # this system cannot fork
        last_read = ReadReport("no fork")
        ids.expect = ids.expect or expected_ids(total)
        read_pieces([Piece(file) for file in files], columns, problems, vocabulary, whole, ids)
        return
    segments: list[Segment] | None = None
    try:
        began = time.perf_counter()
        ids.expect = ids.expect or expected_ids(total)  # (the worker's are added to it)
        read_pieces(mine, columns, problems, vocabulary, whole, ids)
        took = time.perf_counter() - began
        segments = worker.result(max(MIN_WAIT_S, WAIT_FACTOR * took))
    finally:
        worker.close(wait=segments is not None)
        how = "fell back" if segments is None else "worker"
        last_read = ReadReport(how, worker.pid, worker.rusage, worker.shared_bytes)
    kept = [s for s in segments or () if s.tail_of is None or s.tail_of not in whole]
    try:  # (a multi-line file's tail is dropped: its head read it all)
        got = unpack_segments(segments or [], kept)
    except Exception:  # anything unreadable: nothing of it merged
        got = None
    if got is None or segments is None:  # the worker failed: its part read here
        last_read = last_read._replace(how="fell back")
        read_pieces(theirs, columns, problems, vocabulary, whole, ids)
        return
    unpacked, worker_ids = got
    numbered = []
    for segment, parts in zip(kept, unpacked, strict=True):
        problems.extend(segment.problems)
        numbered.append((_merge(columns, segment, parts), segment.ids))
    ids.add_numbered(numbered, worker_ids)
    if ids.rows != rows_of(columns):  # cannot be: numbered anew here rather than wrong
        ids.failed = True


def expected_ids(nbytes: int) -> int:
    """How many distinct ids of a family ``nbytes`` of log may hold, to size a table once
    (records are ~300-500 bytes; a table found too small grows, at a cost)."""
    return max(1024, nbytes // 300)


def _size(files: Sequence[Path]) -> int:
    total = 0
    for file in files:
        with contextlib.suppress(OSError):
            total += file.stat().st_size
    return total


def _number(ids: RowIds, columns: _Columns) -> None:
    """Number the ids of the rows ``columns`` gained since ``ids`` last saw it."""
    ids.number_rows(columns.parts, rows_of(columns))


def _work(pieces: Sequence[Piece], expect: int = 0, keep: list[Any] | None = None) -> list[Segment]:
    """The worker's reading: the tail of a split file (first, when any) in a segment of
    its own (dropped when the head finds the file multi-line), the whole files in another.
    All read first, then packed: the read's buffers (a file's size) are gone by then.
    ``keep``: the columns read are put there rather than freed as they are packed (the
    worker exits without freeing them: freeing a million objects costs ~0.05 s)."""
    vocabulary = Vocabulary()
    groups = [pieces[:1], pieces[1:]] if pieces[0].is_tail else [pieces]
    read = []
    numbering = Numbering()  # one for all its parts (a part's codes count the
    for i, group in enumerate(groups):  # earlier parts' values)
        if group:
            columns, problems = _Columns(), list[LogProblem]()
            before = {family: numbering.size(family) for family in ID_FAMILIES}
            ids = RowIds(numbering, expect)
            last = i + 1 == len(groups) or not groups[-1]
            read_pieces(group, columns, problems, vocabulary, set(), ids, drop_buffers=last)
            after = {family: numbering.size(family) for family in ID_FAMILIES}
            read.append((group, columns, problems, ids, before, after))
    del vocabulary
    numbering.done()  # its tables go before the packing
    segments = []
    for group, columns, problems, ids, before, after in read:
        if keep is not None:
            keep.append({name: list(parts) for name, parts in columns.parts.items()})
        tail_of = str(group[0].file) if group[0].is_tail else None
        segments.append(pack_segment(columns, problems, tail_of, ids, before, after))
    return segments


class _Worker:
    """A forked worker reading some pieces, and the pipe (and shared file) it answers through."""

    def __init__(self, pid: int, fd: int, shared: int | None) -> None:
        self.pid = pid
        self.fd: int | None = fd
        self.shared = shared  # the shared file's descriptor (None: none, or closed)
        self.shared_bytes = 0  # the payload's size in it, once received
        self.reaped = False
        self.rusage: Any = None  # when reaped

    @classmethod
    def start(cls, pieces: Sequence[Piece], expect: int = 0) -> _Worker | None:
        """Fork a worker reading ``pieces`` (``expect``: see :func:`expected_ids`); ``None``
        when this system cannot fork."""
        if not hasattr(os, "fork"):
            return None
        read_end, write_end = os.pipe()
        shared = shared_file()
        with contextlib.suppress(OSError, AttributeError, ImportError):  # fewer, larger writes
            import fcntl  # POSIX only (this module is imported on Windows too)

            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_BYTES)  # Linux only
        try:
            with warnings.catch_warnings():  # 3.12+ warns when threads run (a notebook's):
                # the worker runs only this module's reading, and is given up on if stuck
                warnings.filterwarnings("ignore", ".*fork", DeprecationWarning)
                pid = os.fork()
        except OSError:
            for fd in (read_end, write_end, shared):
                if fd is not None:
                    os.close(fd)
            return None
        if pid == 0:  # the worker: never returns (whatever happens, it exits here)
            code = 1
            try:
                os.close(read_end)
                kept: list[Any] = []  # (alive until the exit, which frees nothing)
                segments = _work(pieces, expect, kept)
                if worker_fault is not None:
                    worker_fault()
                _answer(segments, write_end, shared)
                code = 0
            except BaseException:  # reported by the exit code; the reader reads the part
                pass
            finally:
                os._exit(code)
        os.close(write_end)
        return cls(pid, read_end, shared)

    def result(self, timeout: float) -> list[Segment] | None:
        """The worker's segments, ``None`` when it failed or sent nothing for ``timeout``
        seconds (it is then killed by :meth:`close`)."""
        assert self.fd is not None
        try:
            segments, self.shared_bytes = receive(self.fd, time.monotonic() + timeout, self.shared)
        except Exception:  # ended early, unreadable, too late: its part is read here instead
            return None
        finally:  # the shared file's memory freed (the worker has closed its copy or exits)
            self._close_shared()
        if type(segments) is not list or not all(type(s) is Segment for s in segments):
            return None
        return segments

    def close(self, wait: bool = False) -> None:
        """Close the pipe; wait for the worker (no zombie): ``wait``: it sent its part and
        is exiting; else it is killed first if still running."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        self._close_shared()
        if self.reaped:
            return
        self.reaped = True
        try:
            pid, _, self.rusage = (0, 0, None) if wait else os.wait4(self.pid, os.WNOHANG)
            if pid == 0 and not wait:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
            if pid == 0:
                _, _, self.rusage = os.wait4(self.pid, 0)
        except ChildProcessError:  # reaped by someone else's waitpid(-1): gone all the same
            self.rusage = None

    def _close_shared(self) -> None:
        if self.shared is not None:
            os.close(self.shared)
            self.shared = None


def _answer(segments: list[Segment], pipe: int, shared: int | None) -> None:
    """The worker's answer: its ``segments`` written to the ``shared`` file, without waiting
    for the reader, and "done" said through the ``pipe``; through the pipe itself when there
    is no shared file or it cannot take them (no memory for it: emptied first)."""
    if shared is not None:
        try:
            send(segments, os.dup(shared))
        except OSError:
            os.ftruncate(shared, 0)
        else:  # (its copy closed first: the reader's is then the file's last reference)
            size = os.fstat(shared).st_size
            os.close(shared)
            done(pipe, size)
            return
    send(segments, pipe)
