"""Reading with a forked worker process (``eventlog/files/_parallel.py``) gives exactly what a read
in one process gives: the same frame (columns, dtypes, order, values), the same problems in
the same order and the same files; a worker that dies (mid-write too), raises, hangs or
ends its part wrongly loses nothing and leaves no child process behind. The worker's part comes
back in an anonymous in-memory file without waiting for the reader, or, without one, through
the pipe (both are tested).

The logs are small (tens of KB to a few hundred), read in 8 KB chunks with the size threshold
at 0, so each test forks a real worker and splits files at chunk boundaries."""

from __future__ import annotations

import errno
import gzip
import os
import pickle
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from flink_agents_nb.eventlog._attributes import EMPTY, Attributes
from flink_agents_nb.eventlog._load import LoadedLog, load_log
from flink_agents_nb.eventlog.columns._columns import _Columns
from flink_agents_nb.eventlog.files import _cut, _files, _parallel, _transfer
from flink_agents_nb.eventlog.ids._numbering import RowIds
from flink_agents_nb.eventlog.typed._vocab import Vocabulary
from tests.helpers.log_makers import MAKERS
from tests.helpers.reading import CORPUS
from tests.helpers.reading import small_chunks as small_chunks

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
#: The tests of the shared-file path itself (elsewhere the pipe takes its place).
_NEEDS_MEMFD = pytest.mark.skipif(
    not hasattr(os, "memfd_create"), reason="no os.memfd_create on this system"
)


def _one(path: Path) -> LoadedLog:
    loaded = load_log(path, workers=1)
    assert _parallel.last_read.how == "one process"
    return loaded


def _two(path: Path, how: str = "worker") -> LoadedLog:
    loaded = load_log(path, workers=2, min_parallel_bytes=0)
    report = _parallel.last_read
    assert report.how == how
    if report.pid is not None:  # waited for: no zombie left
        with pytest.raises(ChildProcessError):
            os.waitpid(report.pid, os.WNOHANG)
    return loaded


def _same(one: LoadedLog, two: LoadedLog) -> None:
    assert list(two.frame.columns) == list(one.frame.columns)
    assert list(two.frame.dtypes) == list(one.frame.dtypes)
    pd.testing.assert_frame_equal(two.frame, one.frame, check_exact=True)
    assert two.problems == one.problems
    assert two.files == one.files


def _make(kind: str, directory: Path, records: int = 2400) -> Path:
    directory.mkdir()
    MAKERS[kind](directory, records)
    return directory


def _one_file(directory: Path, target: Path) -> Path:
    with target.open("wb") as out:
        for file in sorted(directory.iterdir()):
            out.write(file.read_bytes())
    return target


@pytest.mark.parametrize("kind", ["ours", "nested", "trace"])
def test_each_format_directory_and_one_big_file(kind: str, tmp_path: Path) -> None:
    directory = _make(kind, tmp_path / kind)
    one = _one(directory)
    assert len(one.frame) == 2400
    _same(one, _two(directory))
    big = _one_file(directory, tmp_path / f"{kind}.log")  # the cut falls inside the file
    one_big = _one(big)
    assert len(one_big.frame) == 2400
    _same(one_big, _two(big))


def test_attribute_cells_come_back_as_lazy_cells(tmp_path: Path) -> None:
    big = _one_file(_make("trace", tmp_path / "t"), tmp_path / "t.log")
    frame = _two(big).frame
    cells = [a for a in frame["attributes"] if isinstance(a, Attributes)]
    assert len(cells) > 1000
    half = frame.iloc[len(frame) // 2 :]["attributes"]  # the worker's rows among them
    assert any(type(a) is Attributes and not a.decoded for a in half)
    assert any(a is EMPTY for a in half)  # the shared empty cell stays that one object


def test_the_worker_keeps_what_it_read_rather_than_freeing_it(tmp_path: Path) -> None:
    directory = _make("ours", tmp_path / "o")
    pieces = [_parallel.Piece(file) for file in sorted(directory.iterdir())]
    kept: list[Any] = []
    segments = _parallel._work(pieces, 0, kept)
    assert len(kept) == len(segments) == 1
    rows = _transfer.packed_rows(segments[0].columns["line"])
    assert sum(map(len, kept[0]["line"])) == rows == 2400
    cells = [cell for part in kept[0]["attributes"] for cell in part]
    assert len(cells) == 2400 and all(type(cell) is Attributes for cell in cells)


def _mixed(tmp_path: Path) -> Path:
    """Every shape and trouble, in one directory: the cut falls in different files as the
    share moves."""
    directory = tmp_path / "mixed"
    directory.mkdir()
    for kind in MAKERS:
        _one_file(_make(kind, tmp_path / f"m-{kind}", 800), directory / f"{kind}.log")
    for name in (
        "malformed.log",
        "pretty.log",
        "odd_identity_fields.log",
        "empty.log",
        "broken_links.log",
    ):
        shutil.copy(CORPUS / name, directory / f"z-{name}")
    (directory / "ours.log.gz").write_bytes(gzip.compress((directory / "ours.log").read_bytes()))
    junk = (CORPUS / "malformed.log").read_bytes()
    lines = (directory / "nested.log").read_bytes().splitlines(keepends=True)
    (directory / "nested-junk.log").write_bytes(b"".join(x + junk for x in lines[::40]))
    return directory


@pytest.mark.parametrize("share", [0.1, 0.3, 0.5, 0.7, 0.9])
def test_mixed_malformed_gzip_multiline_log(
    share: float, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = _mixed(tmp_path)
    monkeypatch.setattr(_parallel, "READER_SHARE", share)
    one = _one(directory)
    assert len(one.problems) > 50  # malformed lines in several files, in file and line order
    _same(one, _two(directory))


def _exit() -> None:
    os._exit(3)


def _raise() -> None:
    raise RuntimeError("injected")


@pytest.mark.parametrize("fault", [None, _raise], ids=["worker", "fell back"])
def test_a_multiline_file_split_in_two_is_read_once(
    fault: Callable[[], None] | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (CORPUS / "pretty.log").read_text()
    big = tmp_path / "pretty-big.log"
    big.write_text(text * 400)  # ~100 KB of pretty-printed records: the cut falls inside
    one = _one(big)
    assert one.problems and len(one.frame) > 500
    monkeypatch.setattr(_parallel, "worker_fault", fault)
    _same(one, _two(big, how="worker" if fault is None else "fell back"))


def _killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _garbled() -> None:  # runs in the worker: what it sends cannot be unpacked
    send = _parallel.send

    def garbled(segments: list[Any], fd: int) -> None:
        send([s._replace(columns={"line": ("no such packing",)}) for s in segments], fd)

    _parallel.send = garbled  # type: ignore[assignment]


def _not_segments() -> None:  # runs in the worker: it sends something else
    _parallel.send = lambda segments, fd: _transfer.send({"not": "segments"}, fd)  # type: ignore[assignment]


class _Code:
    """Unpickled by a plain ``pickle.load``, this would run ``os.mkdir(path)``."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (self.path,))


_CODE_RAN = Path(tempfile.gettempdir()) / f"fa-nb-unpickled-{os.getpid()}"


def _sends_code() -> None:  # runs in the worker: a stream that would run code if unpickled
    _parallel.send = lambda segments, fd: _transfer.send(_Code(str(_CODE_RAN)), fd)  # type: ignore[assignment]


def _dies_mid_write() -> None:  # runs in the worker: killed with half its part written
    def half(segments: list[Any], fd: int) -> None:
        data = pickle.dumps(segments, protocol=5)
        with open(fd, "wb") as out:
            out.write(data[: len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)

    _parallel.send = half  # type: ignore[assignment]


def _says_more_than_written() -> None:  # runs in the worker: its end message is wrong
    _parallel.done = lambda fd, size: _transfer.done(fd, size + 1)


def _garbled_end() -> None:  # runs in the worker: an end message that is not one
    _parallel.done = lambda fd, size: os.write(fd, b"FANB:nonsense")  # type: ignore[assignment]


@pytest.fixture(params=["shared file", "pipe"])
def transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The worker's part comes in the shared file (where the system has one) or, without
    one, through the pipe."""
    if request.param == "pipe":
        monkeypatch.delattr(os, "memfd_create", raising=False)
    elif not hasattr(os, "memfd_create"):
        pytest.skip("no os.memfd_create on this system")
    return str(request.param)


@pytest.mark.parametrize(
    "fault",
    [_exit, _raise, _killed, _garbled, _not_segments, _sends_code, _dies_mid_write],
    ids=["exits", "raises", "killed", "garbled", "not segments", "sends code", "dies mid-write"],
)
def test_a_failing_worker_loses_nothing(
    fault: Callable[[], None], transport: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = _mixed(tmp_path)
    one = _one(directory)
    monkeypatch.setattr(_parallel, "worker_fault", fault)
    _same(one, _two(directory, how="fell back"))
    assert not _CODE_RAN.exists()  # the worker's stream is read as data, never run


@_NEEDS_MEMFD
@pytest.mark.parametrize("fault", [_says_more_than_written, _garbled_end])
def test_a_wrong_end_message_loses_nothing(
    fault: Callable[[], None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = _mixed(tmp_path)
    one = _one(directory)
    monkeypatch.setattr(_parallel, "worker_fault", fault)
    _same(one, _two(directory, how="fell back"))


def test_the_read_buffers_go_before_the_ids_are_numbered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The typed read's file buffer (a file's size) is dropped before the ids are numbered
    when asked (the worker's last part: with the numbering's tables it made the worker's
    peak), kept otherwise (the worker's first part: more is read with it; the reader)."""
    big = _one_file(_make("ours", tmp_path / "o"), tmp_path / "o.log")
    vocabulary = Vocabulary()
    held: list[int] = []
    monkeypatch.setattr(
        _parallel, "_number", lambda ids, columns: held.append(len(vocabulary.scratch._file))
    )
    for drop in (False, True):
        piece = _parallel.Piece(big)
        _parallel.read_pieces([piece], _Columns(), [], vocabulary, set(), RowIds(), drop)
    assert held[0] >= big.stat().st_size // 2 and held[1] == 0


def test_the_worker_does_not_wait_for_the_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's part (more than a pipe holds) lands in the shared file and the worker
    exits while the reader is still reading its own part; the reader then takes it whole."""
    if not hasattr(os, "memfd_create") or not hasattr(os, "waitid"):
        pytest.skip("no os.memfd_create or os.waitid on this system")
    big = _one_file(_make("trace", tmp_path / "t", 6000), tmp_path / "t.log")
    one = _one(big)
    monkeypatch.setattr(_parallel, "PIPE_BYTES", 64 << 10)  # (the default size)
    reader, start, read_pieces = os.getpid(), _parallel._Worker.start, _parallel.read_pieces
    pids: list[int] = []
    exited: list[bool] = []

    def recorded(pieces: Any, expect: int = 0) -> Any:
        worker = start(pieces, expect)
        pids.append(worker.pid)
        return worker

    def then_wait_for_the_worker(*args: Any, **kwargs: Any) -> None:
        read_pieces(*args, **kwargs)
        if os.getpid() == reader and not exited:  # the reader's own part is read: the
            deadline = time.monotonic() + 60  # worker ends without the reader taking a byte
            while time.monotonic() < deadline:
                if os.waitid(os.P_PID, pids[0], os.WEXITED | os.WNOHANG | os.WNOWAIT):
                    break
                time.sleep(0.01)
            exited.append(time.monotonic() < deadline)

    monkeypatch.setattr(_parallel._Worker, "start", recorded)
    monkeypatch.setattr(_parallel, "read_pieces", then_wait_for_the_worker)
    _same(one, _two(big))
    assert exited == [True]
    assert _parallel.last_read.shared > 4 * _parallel.PIPE_BYTES  # more than a pipe takes
    assert _parallel.last_read.rusage.ru_maxrss > 0  # waited for, after it exited


def test_without_a_shared_file_the_part_comes_through_the_pipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = _one_file(_make("trace", tmp_path / "t"), tmp_path / "t.log")
    one = _one(big)
    _same(one, _two(big))
    assert _parallel.last_read.shared > 0 or not hasattr(os, "memfd_create")

    def no_descriptor_left(name: str, flags: int = 0) -> int:
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(os, "memfd_create", no_descriptor_left)
    _same(one, _two(big))
    assert _parallel.last_read.shared == 0
    monkeypatch.delattr(os, "memfd_create")  # a system without it (macOS, Windows)
    _same(one, _two(big))
    assert _parallel.last_read.shared == 0


def _no_room_in_memory() -> None:  # runs in the worker: the shared file cannot take its part
    send = _parallel.send

    def full(segments: list[Any], fd: int) -> None:
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.write(fd, b"\x80\x05 a start")
            raise OSError(errno.ENOSPC, "No space left on device")
        send(segments, fd)

    _parallel.send = full  # type: ignore[assignment]


@_NEEDS_MEMFD
def test_a_shared_file_without_room_sends_the_part_through_the_pipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = _mixed(tmp_path)
    one = _one(directory)
    monkeypatch.setattr(_parallel, "worker_fault", _no_room_in_memory)
    _same(one, _two(directory))
    assert _parallel.last_read.shared == 0


def test_a_hanging_worker_is_killed_and_its_part_read_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = _one_file(_make("ours", tmp_path / "o"), tmp_path / "o.log")
    one = _one(big)
    monkeypatch.setattr(_parallel, "worker_fault", lambda: time.sleep(300))
    monkeypatch.setattr(_parallel, "MIN_WAIT_S", 0.5)
    monkeypatch.setattr(_parallel, "WAIT_FACTOR", 0.0)
    started = time.monotonic()
    two = _two(big, how="fell back")
    assert time.monotonic() - started < 60  # not the worker's 300 s: it was killed
    _same(one, two)


def test_the_worker_is_killed_when_the_reader_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = _one_file(_make("ours", tmp_path / "o"), tmp_path / "o.log")
    reader = os.getpid()
    read_pieces = _parallel.read_pieces

    def interrupted(*args: Any, **kwargs: Any) -> None:
        if os.getpid() == reader:  # the reader's own part, not the worker's
            raise KeyboardInterrupt
        read_pieces(*args, **kwargs)

    monkeypatch.setattr(_parallel, "worker_fault", lambda: time.sleep(300))
    monkeypatch.setattr(_parallel, "read_pieces", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_log(big, workers=2, min_parallel_bytes=0)
    pid = _parallel.last_read.pid
    assert pid is not None
    with pytest.raises(ChildProcessError):  # killed and waited for
        os.waitpid(pid, os.WNOHANG)


def test_one_process_when_off_small_or_without_fork(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = _make("nested", tmp_path / "n")
    one = _one(directory)
    _same(one, load_log(directory))  # below MIN_PARALLEL_BYTES: one process
    assert _parallel.last_read.how == "one process"
    monkeypatch.setenv(_parallel.WORKERS_ENV, "1")
    _same(one, load_log(directory, min_parallel_bytes=0))
    assert _parallel.last_read.how == "one process"
    monkeypatch.setenv(_parallel.WORKERS_ENV, "2")
    _same(one, load_log(directory, min_parallel_bytes=0))
    assert _parallel.last_read.how == "worker"
    monkeypatch.delattr(os, "fork")  # a system without fork (Windows)
    _same(one, _two(directory, how="no fork"))


def test_the_plan_splits_by_bytes_at_chunk_boundaries(tmp_path: Path) -> None:
    big = _one_file(_make("ours", tmp_path / "o"), tmp_path / "o.log")
    mine, theirs, total = _parallel.plan([big], 0.5)
    assert total == big.stat().st_size
    assert [p.part for p in mine] == [(total // 2, False)]
    assert [p.part for p in theirs] == [(total // 2, True)]
    data = big.read_bytes()
    cut = _cut.split_point(data, total // 2, _files.CHUNK_BYTES)
    assert cut >= total // 2 and data[cut - 1 : cut] == b"\n"
    with big.open("rb") as fh:  # the same cut, found reading the file in blocks
        found = _cut.cut_of(fh, total // 2, total, True, _files.CHUNK_BYTES)
    assert found == (cut, data.count(b"\n", 0, cut))
    head: list[Any] = []
    tail: list[Any] = []
    for part, out in (((total // 2, False), head), ((total // 2, True), tail)):
        out.extend(_files.read_records(big, [], None, part))
    whole = list(_files.read_records(big, []))
    assert [list(c.lines) for c in head + tail] == [list(c.lines) for c in whole]


_BLANK = (b" " * 1023 + b"\n") * 200  # 200 KB, 200 blank lines


@pytest.mark.parametrize("blank", [_BLANK, _BLANK + b"{"])
def test_a_file_starting_blank_split_in_its_blank_part(blank: bytes, tmp_path: Path) -> None:
    records = _one_file(_make("ours", tmp_path / "o", 400), tmp_path / "o.log").read_bytes()
    for name, text in (("rest.log", blank + records), ("all-blank.log", blank)):
        log = tmp_path / name
        log.write_bytes(text)
        with log.open("rb") as fh:
            cut = _cut.cut_of(fh, len(text) // 3, len(text), False, _files.CHUNK_BYTES)[0]
        assert cut < len(blank)
        one = _one(log)
        for share in (0.2, 0.5):
            _parallel.READER_SHARE, before = share, _parallel.READER_SHARE
            try:
                _same(one, _two(log))
            finally:
                _parallel.READER_SHARE = before


def test_the_variable_is_not_taken_for_a_config_option() -> None:
    from flink_agents_runtime import AgentConfiguration

    AgentConfiguration().load_env({_parallel.WORKERS_ENV: "1"})  # no "unknown variable"
