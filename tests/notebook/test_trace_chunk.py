"""A chunk of 0.4 Trace Log records on the typed path (``eventlog/typed/_trace_chunk.py``):
records as upstream's serializer writes them, and what makes the path fall back, read as the
general path reads them; the column builders give what the general helpers give."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from flink_agents_nb.eventlog._load import load_log
from flink_agents_nb.eventlog.columns import _arrays
from flink_agents_nb.eventlog.files import _files
from flink_agents_nb.eventlog.typed import _trace_chunk, _typed
from flink_agents_nb.eventlog.typed._trace_chunk import Few, stamps
from tests.notebook.test_reader_typed_path import _both, _trace, _write


def _instant(us: int) -> str:
    """``Instant.toString()`` of a time in microseconds: 0, 3 or 6 fraction digits."""
    text = pd.Timestamp(us * 1000).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = us % 1_000_000
    if not fraction:
        return text + "Z"
    if fraction % 1000 == 0:
        return f"{text}.{fraction // 1000:03d}Z"
    return f"{text}.{fraction:06d}Z"


def _upstream(n: int, seed: int = 3) -> list[dict[str, Any]]:
    """Records as Flink Agents 0.4 writes them (``TraceRecordJsonSerializer``): its field
    order, null fields and an empty ``entityMetadata`` left out, ids as UUID-like text,
    ``Instant`` times of mixed widths, records of several keys interleaved, tool calls
    with their metadata and a ``_tool_response_event`` keyed by tool-call id."""
    rng = random.Random(seed)
    runs: list[list[dict[str, Any]]] = []
    for r in range(n // 12 + 1):
        run, key, e0, e1, act, llm, tool = (f"{r:08x}-0000-4000-8000-{j:012x}" for j in range(7))
        base = {"inputRunId": run, "businessKey": f"user-{r % 7}", "agentName": "weather"}

        def rec(etype: str, name: str, base: dict[str, Any] = base, **more: Any) -> dict[str, Any]:
            return {"timestamp": "", **base, "entityType": etype, "entityName": name, **more}

        failed = r % 5 == 3
        ended: dict[str, Any] = {"status": "failed", "problemCategory": "MODEL_ERROR",
                 "attributes": {"errorType": "IOError", "errorMessage": "timeout"}} if failed \
            else {"status": "success", "attributes": {}}  # fmt: skip
        runs.append([
            rec("event", "_input_event", entityMetadata={"eventId": e0},
                attributes={"input": f"q{r}"}),
            rec("action", "chat", executionId=act, entityMetadata={"triggerEventId": e0},
                status="started", attributes={}),
            rec("llm", "qwen", executionId=llm, parentExecutionId=act,
                entityMetadata={"model": "qwen3:8b"}, status="started", attributes={}),
            rec("llm", "qwen", executionId=llm, parentExecutionId=act,
                entityMetadata={"model": "qwen3:8b"}, **ended),
            rec("tool", "get_weather", executionId=tool, parentExecutionId=act,
                entityMetadata={"toolRequestEventId": e1, "toolCallId": f"call_{r}",
                                "toolType": "function", "skillRegistered": True},
                status="started", attributes={}),
            rec("tool", "get_weather", executionId=tool, parentExecutionId=act,
                status="reused" if r % 4 == 1 else "success", attributes={}),
            rec("event", "_tool_response_event",
                entityMetadata={"eventId": e1, "producerExecutionId": act,
                                "upstreamEventId": e0, "upstreamActionName": "chat"},
                attributes={"responses": {f"call_{r}": {"result": "sunny"}}}),
            rec("event", "_chat_response_event",
                entityMetadata={"eventId": key, "producerExecutionId": act,
                                "upstreamEventId": e1, "upstreamActionName": "chat"},
                attributes={"request_id": e0, "response": {
                    "role": "assistant", "content": "ok", "tool_calls": [],
                    "extra_args": {"promptTokens": 10 + r, "completionTokens": 2}}}),
            rec("parser", "json", executionId=f"{act}-p", parentExecutionId=act,
                status="success", attributes={}),
            rec("subagent", "helper", executionId=f"{act}-s", parentExecutionId=act,
                status="started", attributes={}),
            rec("action", "chat", executionId=act, entityMetadata={"triggerEventId": e0},
                **ended),
            rec("event", "_output_event",
                entityMetadata={"eventId": f"{key}-o", "producerExecutionId": act},
                attributes={"output": "ok"}),
        ])  # fmt: skip
    out: list[dict[str, Any]] = []
    clock = 1_800_000_000_000_000
    while runs and len(out) < n:
        k = rng.randrange(min(4, len(runs)))  # four keys in flight
        clock += rng.choice((1, 1000, 1_000_000 - clock % 1_000_000, 7))
        record = runs[k].pop(0)
        record["timestamp"] = _instant(clock)
        out.append(record)
        if not runs[k]:
            runs.pop(k)
    return out


def test_records_as_flink_agents_writes_them_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = _upstream(600)
    widths = {len(r["timestamp"]) for r in records}
    assert len(widths) == 3  # Instant.toString(): 0, 3 and 6 fraction digits
    parsed: list[int] = []

    def row_by_row(values: list[Any]) -> np.ndarray:
        parsed.append(len(values))
        return _arrays.timestamps(values)

    monkeypatch.setattr(_trace_chunk, "timestamps", row_by_row)
    assert _both(_write(tmp_path / "traces-j-agent-0.log", records), monkeypatch) == ["trace"]
    assert not parsed  # mixed widths parsed per width, not row by row
    frame = load_log(tmp_path / "traces-j-agent-0.log").frame
    assert set(frame["entity_type"]) == {"event", "action", "llm", "tool", "parser", "subagent"}
    assert frame["prompt_tokens"].notna().sum() == 50
    assert (frame["status"] == "replayed").any() and (frame["error"] == "IOError: timeout").any()


@pytest.mark.parametrize(
    "odd",
    [
        {"status": 5},
        {"executionId": 7},
        {"inputRunId": ["r"]},
        {"entityName": {"n": 1}},
        {"entityMetadata": {"eventId": 9}},
        {"entityMetadata": "m"},
        {"timestamp": 17},
        {"durationNs": 5},
    ],
)
def test_a_field_of_another_type_falls_back_and_still_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: dict[str, Any]
) -> None:
    records = _upstream(60)
    records[30] = records[30] | odd
    assert _both(_write(tmp_path / "traces-j-agent-1.log", records), monkeypatch) == []


def test_statuses_types_metadata_and_malformed_lines_per_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of a few records: each status (and an unknown one), entity types the reader
    does not know, null and absent metadata, values learned late, and a broken line (its
    chunk goes the general way, reported; the others stay typed)."""
    monkeypatch.setattr(_files, "CHUNK_BYTES", 3000)
    records = _upstream(240) + _trace(160)
    statuses = ["created", "started", "success", "failed", "reused", "exploded", None]
    for i, rec in enumerate(records[::3]):
        rec["status"] = statuses[i % len(statuses)]
        if i % 11 == 0:
            rec["entityType"] = f"kind{i}"
        if i % 13 == 0:
            rec["entityMetadata"] = None
        if i % 17 == 0:
            rec.pop("entityMetadata", None)
    path = _write(tmp_path / "traces-j-agent-2.log", records)
    lines = path.read_bytes().split(b"\n")
    lines[100] = lines[100][:40]
    path.write_bytes(b"\n".join(lines))
    kinds = _both(path, monkeypatch)
    assert len(kinds) > 30 and set(kinds) == {"trace"}  # all but the broken line's chunk
    log = load_log(path)
    assert log.problems[0].line == 101
    assert len(log.frame) == len(records) - 1


def _columns(rng: random.Random, n: int) -> list[np.ndarray]:
    values = [f"v{j}" for j in range(5)]
    runs = [rng.choice([*values, None]) for _ in range(n // 4)]
    made = [
        np.array([rng.choice([*values, None]) for _ in range(n)], dtype=object),
        np.array([v for v in runs for _ in range(4)], dtype=object),  # equal neighbours
        np.array([f"id{j // 3}" for j in range(n)], dtype=object),
        np.array([None] * n, dtype=object),
        np.array([1, True, 1.0, "1", None, "x"] * (n // 6), dtype=object),
    ]
    for column in made:  # equal strings as distinct objects, as a plain decode makes them
        column[:] = [("".join(v) if isinstance(v, str) else v) for v in column.tolist()]
    return made


def _same_objects(column: np.ndarray) -> bool:
    """Whether equal strings of ``column`` are one object."""
    return all(len({id(v) for v in column if v == s}) == 1 for s in set(column) - {None})


def test_few_gives_what_shared_gives() -> None:
    rng = random.Random(5)
    for column in [*_columns(rng, 240), *_columns(rng, 600)]:  # (few or many objects)
        if all(v is None or type(v) is str for v in column):
            few = Few(column)
            got = few.column()
            assert got.tolist() == column.tolist() and _same_objects(got)
            where = np.arange(len(column)) % 2 == 0
            assert few.column(where).tolist() == np.where(where, column, None).tolist()
            assert few.mask("v1".__eq__).tolist() == (column == "v1").tolist()
            mapped = few.mapped({"v1": "one"}, where).tolist()
            assert mapped == [("one" if v == "v1" else v) if w else None
                              for v, w in zip(column, where, strict=True)]  # fmt: skip


@pytest.mark.filterwarnings("ignore:no explicit representation of timezones")
def test_times_of_mixed_widths_parse_as_the_general_path_parses_them() -> None:
    rng = random.Random(9)
    base = 1_800_000_000_000_000
    texts = [_instant(base + rng.choice((0, 1000, 7)) * j) for j in range(300)]
    texts += ["2026-01-01T00:00:01.123456789Z", "2026-01-01T00:00:02.5Z"]
    odd = ["2026-01-01T00:00:01.5+01:00", "2026-02-30T00:00:00Z", "x", "Z", "2026-01-01T00:00\0Z"]
    for values in (texts, texts[:1], *([*texts[:50], o, *texts[50:60]] for o in odd)):
        assert stamps(values).tolist() == _arrays.timestamps(values).tolist()


def _pretty(records: list[Any]) -> str:
    """Records as ``trace-log.pretty-print`` writes them (Jackson's default printer)."""
    text = "".join(json.dumps(r, indent=2, separators=(",", " : ")) + "\n" for r in records)
    return text.replace(" : {}", " : { }")


def test_pretty_printed_records_read_the_same_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pretty-printed file of one typed shape is decoded typed in one call; a file the
    typed decoding refuses (an odd value, text between records, a record on one line, CRLF
    line ends) goes the general way: the same frame and problems either way."""
    found: list[Any] = []
    decode = _typed.decode_pretty

    def spy(*args: Any) -> Any:
        found.append(decode(*args))
        return found[-1]

    monkeypatch.setattr(_files, "decode_pretty", spy)
    records = _upstream(300)
    odd_key = [*records[:40], records[40] | {"businessKey": [1]}]
    cases = {
        "upstream": (_pretty(records), True),
        "generator": (_pretty(_trace(200)), True),
        "odd key": (_pretty(odd_key), False),
        "text between": (_pretty(records[:20]) + "junk\n" + _pretty(records[20:40]), False),
        "one-line record": (_pretty(records[:20]) + json.dumps(records[20]) + "\n", False),
        "crlf": (_pretty(records[:20]).replace("\n", "\r\n"), False),
        "newline in a string": (_pretty(records[:20]).replace('"q1"', '"q\n}\n{\n1"'), False),
    }
    for i, (text, typed) in enumerate(cases.values()):
        path = tmp_path / f"traces-j-agent-{i}.log"
        path.write_text(text, encoding="utf-8")
        found.clear()
        _both(path, monkeypatch)
        assert any(f is not None for f in found) is typed
    frame = load_log(tmp_path / "traces-j-agent-0.log").frame
    assert len(frame) == 300 and frame["line"].iloc[1] == 1 + _pretty(records[:1]).count("\n")
    monkeypatch.setattr(_files, "CHUNK_BYTES", 5000)  # the records handed on in chunks
    chunks = list(_files.read_records(tmp_path / "traces-j-agent-0.log", []))
    assert len(chunks) > 10 and [c.whole_file for c in chunks].count(True) == 1
    assert sum(len(c.records) for c in chunks) == 300
    _both(tmp_path / "traces-j-agent-0.log", monkeypatch)


def test_a_chunk_is_typed_only_when_each_of_its_lines_holds_one_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lines are decoded as JSON values one after another: a chunk whose values are not
    one per line (a blank line, a record spanning two lines, a line of two records) goes the
    general way, so the rows keep their lines and the problems are the general path's."""
    lines = [json.dumps(r) for r in _trace(40)]
    cases = {
        "as written": ("\n".join(lines) + "\n", True),
        "no last newline": ("\n".join(lines), True),
        "crlf": ("\r\n".join(lines) + "\r\n", True),
        "blank line": ("\n".join([*lines[:5], "", *lines[5:]]), False),
        "spaces line": ("\n".join([*lines[:5], "   ", *lines[5:]]), False),
        "two on a line": ("\n".join([*lines[:5], lines[5] + " " + lines[6], *lines[7:]]), False),
        "spanning": ("\n".join([*lines[:5], lines[5].replace(", ", ",\n", 1), *lines[6:]]), False),
        # one fault balancing another: as many values as lines, still not one per line
        "blank and two": (
            "\n".join([*lines[:3], "", *lines[3:5], lines[5] + " " + lines[6], *lines[7:]]),
            False,
        ),
        "span and two": (
            "\n".join(
                [
                    *lines[:3],
                    lines[3].replace(", ", ",\n", 1),
                    lines[4],
                    lines[5] + " " + lines[6],
                    *lines[7:],
                ]
            ),
            False,
        ),
        "trailing blank": ("\n".join(lines) + "\n\n", False),
    }
    for i, (text, typed) in enumerate(cases.values()):
        path = tmp_path / f"traces-j-agent-{i}.log"
        path.write_text(text, encoding="utf-8")
        assert bool(_both(path, monkeypatch)) is typed, text[:80]
    data = bytearray(cases["as written"][0].encode())
    found = _typed.decode_typed(data, 0, len(data))
    assert found is not None and found[0] == "trace" and len(found[1]) == 40
    assert _typed.decode_typed(data, 0, data.index(b"\n") + 1) is not None  # one line


def test_a_raw_value_still_alive_keeps_its_bytes_when_the_next_file_is_read(
    tmp_path: Path,
) -> None:
    """The structs' raw JSON are views of the reused file buffer: while one is alive the
    next read (even of a file of the same size) goes to a new buffer."""
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_bytes(b'{"v": "AAAA"}\n')
    b.write_bytes(b'{"v": "BBBB"}\n')
    scratch = _typed.Scratch()
    view = memoryview(scratch.read(a))[:13]
    assert bytes(scratch.read(b)) == b'{"v": "BBBB"}\n'
    assert bytes(view) == b'{"v": "AAAA"}'
    del view
    first = scratch.read(a)
    assert scratch.read(b) is first  # no view alive: the buffer is reused
