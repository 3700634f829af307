"""Ids numbered by the process that read their rows (``_ids.RowIds``): the reader numbers
its part as its read ends, the worker sends codes and its distinct ids, and the linking and
the lineage check hash no id. The results are those of hashing every id after the read:
ids whose events, actions and references sit on both sides of the cut, cycles across it,
missing ids, ids that are not strings, a worker that fails (its part then read and numbered
here), and a multi-line file whose tail the worker read in vain.

Logs of a few hundred KB read in 8 KB chunks with the size threshold at 0: each two-process
read forks a real worker and cuts a file at a chunk boundary."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from flink_agents_nb.eventlog import _load
from flink_agents_nb.eventlog._load import LoadedLog, load_log
from flink_agents_nb.eventlog.files import _parallel
from flink_agents_nb.eventlog.ids._ids import ID_COLUMNS, ID_FAMILIES, EventCodes
from flink_agents_nb.eventlog.ids._numbering import RowIds, WorkerIds
from flink_agents_nb.eventlog.ids._strkeys import keys_of, readable, text_words
from flink_agents_nb.eventlog.trace import _trace
from flink_agents_nb.eventlog.trace._trace_link import _by_first_row
from tests.helpers.log_makers import MAKERS
from tests.helpers.reading import CORPUS
from tests.helpers.reading import small_chunks as small_chunks

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


@pytest.fixture
def given_codes(monkeypatch: pytest.MonkeyPatch) -> list[EventCodes | None]:
    """The codes each load_log handed to check_links (``None``: it hashed the ids)."""
    seen: list[EventCodes | None] = []
    check = _load.check_links

    def spy(frame: Any, codes: EventCodes | None = None, record: Any = None) -> Any:
        seen.append(codes)
        return check(frame, codes, record)

    monkeypatch.setattr(_load, "check_links", spy)
    return seen


def _event(i: int, eid: Any, up: Any = None, etype: str = "step") -> dict[str, Any]:
    return {
        "timestamp": f"2025-03-06T00:00:{i // 1000000:02d}.{i % 1000000:06d}Z",
        "recordType": "event",
        "eventId": eid,
        "eventType": etype,
        "upstreamEventId": up,
        "upstreamActionName": None if up is None else "act",
        "eventAttributes": {"n": i, "pad": "x" * 120},
        "key": f"k{i % 7}",
    }


def _action(i: int, eid: Any) -> dict[str, Any]:
    return {
        "timestamp": f"2025-03-06T00:00:{i // 1000000:02d}.{i % 1000000:06d}Z",
        "recordType": "action",
        "actionName": "act",
        "eventId": eid,
        "eventType": "step",
        "durationNs": 5,
        "status": "ok",
        "attempt": 1,
        "key": f"k{i % 7}",
    }


def _crossing_log(path: Path, n: int = 1200) -> Path:
    """One file whose references cross its middle both ways (the cut falls near it):
    events whose parent is on the other side, actions on events of the other side, a cycle
    across it, missing parents and handled events, int and float ids (``7`` and ``7.0`` are
    one id, ``"7"`` another), an id given to two events on both sides, and ``null`` ids."""
    half = n // 2
    ids = [f"e-{i:05d}" for i in range(n)]
    recs: list[dict[str, Any]] = []
    for i in range(n):
        if i == 0:
            recs.append(_event(i, ids[i], etype="_input_event"))
        elif i % 5 == 0:  # parent on the other side of the middle (later or earlier)
            recs.append(_event(i, ids[i], up=ids[(i + half) % n]))
        elif i % 11 == 0:
            recs.append(_action(i, ids[(i + half) % n]))  # handled event on the other side
        elif i % 97 == 0:
            recs.append(_event(i, ids[i], up=f"gone-{i}"))  # missing parent
        elif i % 89 == 0:
            recs.append(_action(i, f"nowhere-{i}"))  # handled event not in the log
        else:
            recs.append(_event(i, ids[i], up=ids[i - 1]))
    recs[3] = _event(3, "loop-a", up="loop-b")  # a cycle across the middle
    recs[half + 3] = _event(half + 3, "loop-b", up="loop-a")
    recs[10] = _event(10, 7, etype="_input_event")  # an int id ...
    recs[half + 10] = _event(half + 10, "int-child", up=7.0)  # ... found by its float
    recs[half + 12] = _event(half + 12, "str-child", up="7")  # "7" is not 7: missing
    recs[half + 14] = _action(half + 14, 7)
    recs[20] = _event(20, "twice", up=ids[19])  # one id, two events, both sides
    recs[half + 20] = _event(half + 20, "twice", up=ids[half + 19])
    recs[half + 22] = _event(half + 22, "twice-child", up="twice")
    recs[30] = _event(30, None, up=ids[29])  # no id
    recs[half + 30] = _action(half + 30, None)
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return path


def _read(path: Path, workers: int, how: str) -> LoadedLog:
    loaded = load_log(path, workers=workers, min_parallel_bytes=0)
    assert _parallel.last_read.how == how
    return loaded


class _Unnumbered(RowIds):
    def codes(self) -> None:
        return None


def _hashing(path: Path) -> LoadedLog:
    """``path`` read as before ids were numbered per process: in one process, every id
    hashed by the linking and the lineage check after the read."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_load, "RowIds", _Unnumbered)
        return _read(path, 1, "one process")


def _same(one: LoadedLog, two: LoadedLog) -> None:
    assert two.frame.equals(one.frame)
    assert list(two.frame.dtypes) == list(one.frame.dtypes)
    assert two.problems == one.problems
    assert two.files == one.files


def test_ids_crossing_the_cut_give_what_hashing_all_gives(
    tmp_path: Path, given_codes: list[EventCodes | None]
) -> None:
    log = _crossing_log(tmp_path / "crossing.log")
    one = _read(log, 1, "one process")
    two = _read(log, 2, "worker")
    assert len(given_codes) == 2 and all(c is not None for c in given_codes)  # nothing hashed
    _same(one, two)
    _same(_hashing(log), one)
    text = "\n".join(str(p) for p in one.problems)
    assert "upstream event gone-97 is not in the log" in text
    assert "handled event nowhere-89, which is not in the log" in text
    assert "event loop-a: its upstream chain loops" in text
    assert "event str-child (step): upstream event 7 is not in the log" in text
    assert "int-child" not in text  # 7.0 found 7
    assert "twice-child" not in text


@pytest.mark.parametrize("share", [0.2, 0.5, 0.8])
def test_same_problems_wherever_the_cut_falls(
    share: float, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "logs"
    directory.mkdir()
    _crossing_log(directory / "a.log", 700)
    _crossing_log(directory / "b.log", 900)  # the same ids again in another file
    (directory / "c.log").write_text((CORPUS / "broken_links.log").read_text())
    one = _read(directory, 1, "one process")
    monkeypatch.setattr(_parallel, "READER_SHARE", share)
    two = _read(directory, 2, "worker")
    _same(one, two)
    _same(_hashing(directory), one)


def _raise() -> None:
    raise RuntimeError("injected")


def test_a_failing_worker_leaves_its_part_numbered_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given_codes: list[EventCodes | None]
) -> None:
    log = _crossing_log(tmp_path / "crossing.log")
    one = _read(log, 1, "one process")
    monkeypatch.setattr(_parallel, "worker_fault", _raise)
    two = _read(log, 2, "fell back")
    assert given_codes[-1] is not None
    _same(one, two)


def _sent_without(field: str) -> Callable[[], None]:
    """A worker fault (runs in the worker): its segments are sent with ``field`` lost
    (``ids``: id columns sent as codes, without the codes; ``keys``: codes without the
    keys of its ids)."""

    def fault() -> None:
        send = _parallel.send

        def without(segments: list[Any], fd: int) -> None:
            send([s._replace(**{field: None}) for s in segments], fd)

        _parallel.send = without  # type: ignore[assignment]

    return fault


def test_a_worker_whose_ids_cannot_be_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given_codes: list[EventCodes | None]
) -> None:
    log = _crossing_log(tmp_path / "crossing.log")
    one = _read(log, 1, "one process")
    monkeypatch.setattr(_parallel, "worker_fault", _sent_without("ids"))
    _same(one, _read(log, 2, "fell back"))  # its id columns cannot be rebuilt: read here
    assert given_codes[-1] is not None
    monkeypatch.setattr(_parallel, "worker_fault", _sent_without("keys"))
    _same(one, _read(log, 2, "fell back"))
    assert given_codes[-1] is not None


def test_a_multiline_file_whose_tail_the_worker_read_in_vain(
    tmp_path: Path, given_codes: list[EventCodes | None]
) -> None:
    pretty = "".join(json.dumps(r, indent=2) + "\n" for r in _records_of(_crossing_log(
        tmp_path / "flat.log", 600)))  # fmt: skip
    big = tmp_path / "pretty.log"
    big.write_text(pretty)
    one = _read(big, 1, "one process")
    two = _read(big, 2, "worker")  # the worker's segment of the tail is dropped
    assert given_codes[-1] is not None
    _same(one, two)
    _same(_hashing(big), one)


def _records_of(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_trace_logs_built_in_final_order_as_linking_reordered_them(tmp_path: Path) -> None:
    """Start times moved before the frame is built (``start_times``) give the frame the
    linking gave by reordering it: files overlapping in time, a corpus trace log, an
    SLF4J one and logs of other records beside them, read in one and two processes."""
    directory = tmp_path / "trace"
    directory.mkdir()
    MAKERS["trace"](directory, 1600)  # 8 files whose times overlap
    for name in ("traces-4f1e2d3c-weather_agent-0.log", "taskmanager.log.trace-log.log"):
        (directory / name).write_bytes((CORPUS / name).read_bytes())
    _same(_hashing(directory), _read(directory, 1, "one process"))
    _same(_hashing(directory), _read(directory, 2, "worker"))
    (directory / "ours.log").write_bytes((CORPUS / "ours.log").read_bytes())  # not traced
    (directory / "broken_links.log").write_bytes((CORPUS / "broken_links.log").read_bytes())
    _same(_hashing(directory), _read(directory, 2, "worker"))


def test_trace_log_linked_on_the_processes_codes(tmp_path: Path) -> None:
    directory = tmp_path / "trace"
    directory.mkdir()
    MAKERS["trace"](directory, 2400)
    big = tmp_path / "trace.log"  # one file: the cut falls inside a run
    big.write_bytes(b"".join(f.read_bytes() for f in sorted(directory.iterdir())))
    given: list[Any] = []
    link_coded = _trace.link_coded

    def spy(frame: Any, order: Any = None, ids: Any = None, **given_too: Any) -> Any:
        given.append(ids)
        return link_coded(frame, order, ids, **given_too)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_trace, "link_coded", spy)
        one = _read(big, 1, "one process")
        two = _read(big, 2, "worker")
    assert len(given) == 2 and all(ids is not None for ids in given)
    _same(one, two)
    _same(_hashing(big), one)
    assert len(one.frame) == 2400


def test_row_ids_of_junk_fail_without_raising() -> None:
    ids = RowIds()
    junk = np.empty(3, dtype=object)
    junk[:] = ["a", ["not", "hashable"], None]
    parts = {"event_id": [junk], "upstream_event_id": [np.full(3, None, dtype=object)]}
    ids.number_rows(parts, 3)
    assert ids.failed and ids.codes() is None


def _sent(values: list[Any], fake: dict[Any, int] | None = None) -> tuple[Any, Any]:
    """A worker's distinct values per family and their keys (``fake``: given ones)."""
    distinct = {family: np.empty(0, object) for family in ID_FAMILIES}
    keys = {family: np.empty(0, np.int64) for family in ID_FAMILIES}
    distinct["event"] = np.array(values, dtype=object)
    keys["event"] = np.array([(fake or {}).get(v, _key(v)) for v in values], np.int64)
    keys[""] = np.array([_key("flink-agents-nb read ids")], np.int64)  # how the worker keys
    return distinct, keys


def _key(value: Any) -> int:
    if not readable(value):
        return 0
    return int(keys_of(*text_words([value]))[0])


def _worker_codes(event: list[int]) -> dict[str, np.ndarray]:
    codes = {name: np.full(len(event), -1, np.int32) for name in ID_COLUMNS}
    for name in ID_FAMILIES["event"]:
        codes[name] = np.array(event, dtype=np.int32)
    return codes


def test_row_ids_merge_a_workers_numbering() -> None:
    ids = RowIds()
    values = np.array(["a", "b", None, 7], dtype=object)
    ids.number_rows({"event_id": [values], "upstream_event_id": [values.copy()]}, 4)
    # "b" is the reader's; 7.0 is 7; "x" has the key of "a" (as if they collided): compared,
    # and new; "c" is new, not compared
    distinct, sums = _sent(["b", "c", 7.0, "x"], fake={"x": _key("a")})
    codes = _worker_codes([0, 1, -1, 2, 3])
    worker = WorkerIds.of([(codes, distinct, sums, 5)])
    assert worker is not None
    ids.add_numbered([(5, codes)], worker)
    got = ids.codes()
    assert got is not None
    assert got["event_id"].tolist() == [0, 1, -1, 2, 1, 4, -1, 2, 3]
    assert got["execution_id"].tolist() == [-1] * 9
    assert ids.numbering.distinct("event").tolist() == ["a", "b", 7, "x", "c"]
    # the keys kept: a string's own, "x"'s as sent (numbered by value), none for 7
    keys = ids.numbering.value_keys("event").tolist()
    assert keys == [_key("a"), _key("b"), 0, _key("a"), _key("c")]


def test_worker_ids_that_do_not_fit_are_refused() -> None:
    distinct, sums = _sent(["b", "c"])
    good = _worker_codes([0, 1])
    assert WorkerIds.of([(good, distinct, sums, 2)]) is not None
    assert WorkerIds.of([(good, distinct, sums, 3)]) is None  # rows
    assert WorkerIds.of([(_worker_codes([0, 2]), distinct, sums, 2)]) is None  # no value 2
    assert WorkerIds.of([(_worker_codes([0, -2]), distinct, sums, 2)]) is None
    assert WorkerIds.of([(None, distinct, sums, 2)]) is None
    short = dict(sums, event=sums["event"][:1])
    assert WorkerIds.of([(good, distinct, short, 2)]) is None
    other = dict(sums, **{"": sums[""] + 1})  # a worker keying otherwise
    assert WorkerIds.of([(good, distinct, other, 2)]) is None
    floats = {name: c.astype(float) for name, c in good.items()}
    assert WorkerIds.of([(floats, distinct, sums, 2)]) is None
    ids = RowIds()
    ids.add_numbered([(2, good)], None)
    assert ids.failed and ids.rows == 2 and ids.codes() is None


def test_codes_renumbered_by_first_row_as_factorize_numbers() -> None:
    rng = np.random.default_rng(5)
    values = rng.integers(-1, 40, size=500)
    codes = rng.permutation(60)[values]  # any numbering of the values, gaps among them
    codes[values == -1] = -1
    expected, _ = pd.factorize(np.where(values == -1, np.nan, values), use_na_sentinel=True)
    assert _by_first_row(codes).tolist() == expected.tolist()
    assert _by_first_row(np.full(3, -1)).tolist() == [-1, -1, -1]


def test_a_worker_sends_each_of_its_ids_once(tmp_path: Path) -> None:
    """A worker reading a file's tail and whole files (two segments, one numbering) sends
    each distinct id once: each segment the values its rows added (the first segment
    does not carry the later one's: they were merged twice and sent twice)."""
    directory = tmp_path / "trace"
    directory.mkdir()
    MAKERS["trace"](directory, 2400)
    files = sorted(directory.iterdir())
    _, theirs, _ = _parallel.plan(files, share=0.3)
    assert theirs[0].is_tail and len(theirs) > 1
    segments = _parallel._work(theirs)
    assert len(segments) == 2
    for family, names in ID_FAMILIES.items():
        sent = np.concatenate([s.distinct[family] for s in segments])
        assert len(sent) == len(set(sent.tolist()))  # each once
        known = np.append(sent, None)  # codes count the earlier segments' values; -1: None
        rows = [known[s.ids[name]] for s in segments for name in names]
        assert set(sent.tolist()) == {v for r in rows for v in r.tolist() if v is not None}
