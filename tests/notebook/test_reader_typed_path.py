"""The reader's typed fast path (``eventlog/typed/_typed.py``) gives exactly the frame and the
problems of the general path, for each record shape and for what makes it fall back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from flink_agents_nb.eventlog._load import load_log
from flink_agents_nb.eventlog.files import _files
from flink_agents_nb.eventlog.typed import _typed, _vocab

CORPUS = Path(__file__).resolve().parents[1] / "eventlog_corpus"


def _ours(n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(n):
        common: dict[str, Any] = {
            "timestamp": f"2026-01-01T00:00:{i % 60:02d}.{i:06d}Z",
            "key": [f"user-{i % 7}", i % 5, True, None][i % 4],
            "seq": i,
            "inputSeq": i // 3,
            "jobId": "job-1",
            "taskName": "agent",
        }
        if i % 11:
            common["subtaskIndex"] = None if i % 13 == 0 else i % 2
        if i % 3 == 1:
            out.append(
                common
                | {
                    "recordType": "action",
                    "actionName": ["reply", "tool"][i % 2],
                    "eventId": f"e{i - 1}",
                    "eventType": "_input_event",
                    "durationNs": 12345 + i if i % 4 else 1.5e6,
                    "status": ["ok", "failed", "ignored"][i % 3],
                    "attempt": 1 + i % 2,
                    "error": None if i % 5 else {"type": "ValueError", "message": "bad"},
                    "sentEventIds": [f"e{i + 1}"],
                    "memoryWrites": [] if i % 2 else [{"path": "a", "value": i}],
                }
            )
            continue
        attrs: dict[str, Any] = {"input": {"text": f"m {i}", "n": i}}
        if i % 6 == 2:
            attrs = {
                "response": {"content": "hi", "extra_args": {"model_name": "m"}},
                "promptTokens": i,
                "completionTokens": 5,
            }
        elif i % 6 == 5:
            attrs = {"usage": {"prompt_tokens": 3, "completion_tokens": 4, "model": "x"}}
        out.append(
            common
            | {
                "recordType": "event",
                "eventId": f"e{i}",
                "eventType": "_input_event" if i % 3 == 0 else "_output_event",
                "upstreamEventId": None if i % 3 == 0 else f"e{i - 2}",
                "upstreamActionName": None if i % 3 == 0 else "reply",
                "eventAttributes": attrs if i % 17 else None,
            }
        )
    return out


def _nested(n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(n):
        event: dict[str, Any] = {"eventType": "_input_event", "id": f"n{i}"}
        event["attributes"] = {"input": i}
        if i % 2:
            event["eventType"] = "" if i % 5 == 0 else "_chat_response_event"
            event["type"] = "typed" if i % 10 == 5 else None
            event["attributes"] = {
                "request_id": f"r{i}",
                "response": {
                    "content": "hi",
                    "extra_args": {"promptTokens": i, "completionTokens": 2},
                },
            }
            response = event["attributes"]["response"]
            if i % 11 == 1:  # the chat probe's shape with an empty tool_calls, and others
                response |= {"role": "assistant", "tool_calls": []}
            elif i % 11 == 3:
                response["tool_calls"] = [{"usage": {"prompt_tokens": 99}}]
            elif i % 11 == 5:
                response["model"] = "outer"
            elif i % 11 == 7:
                response["extra_args"] = {"usage": {"input_tokens": i, "model": "u"}}
        if i % 9 == 0:
            event["eventClass"] = "x.Y"
        rec: dict[str, Any] = {"event": event, "jobId": "job-1", "taskName": "op"}
        if i % 7:
            rec["timestamp"] = f"2026-01-01T00:00:{i % 60:02d}.{i:03d}Z"
        if i % 3 == 0:
            rec["subtaskId"] = i % 4
        elif i % 3 == 1:
            rec["subtaskIndex"] = None
            rec["subtaskId"] = 3
        if i % 4 == 0:
            rec["eventType"] = "top"
            rec["upstreamEventId"] = f"n{i - 1}"
            rec["upstreamActionName"] = "act"
            rec["key"] = i % 3
        out.append(rec)
    return out


def _trace(n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    statuses = ["started", "success", "failed", "reused", "created", None]
    for i in range(n):
        run, step = divmod(i, 8)
        rid = f"run-{run}"
        rec: dict[str, Any] = {
            "timestamp": f"2026-01-01T00:{run % 60:02d}:{step:02d}.{i:06d}Z",
            "detail": "STANDARD",
            "inputRunId": rid,
            "businessKey": [f"k{run % 3}", run % 4, None][run % 3],
            "agentName": "researcher" if run % 2 and step in (5, 6) else "agent",  # a sub-agent
            "problemCategory": None,
        }
        if run % 7 == 3:  # records without one (upstream's forExecution), or null
            del rec["agentName"]
        elif run % 7 == 5:
            rec["agentName"] = None
        if step == 0:
            rec |= {
                "entityType": "event",
                "entityName": "_input_event",
                "status": "created",
                "entityMetadata": {"eventId": f"{rid}-e0"},
                "attributes": {"input": i},
            }
        elif step in (1, 7):
            rec |= {
                "entityType": "action",
                "entityName": "reply",
                "executionId": f"{rid}-a",
                "status": "started" if step == 1 else statuses[run % 4],
                "entityMetadata": {"triggerEventId": f"{rid}-e0"},
                "attributes": {},
            }
        elif step in (2, 3):
            rec |= {
                "entityType": "llm",
                "entityName": "model",
                "executionId": f"{rid}-l",
                "parentExecutionId": f"{rid}-a",
                "status": "started" if step == 2 else ["success", "failed"][run % 2],
                "entityMetadata": {"model": "qwen3:8b", "other": 1},
                "attributes": {}
                if run % 2 == 0
                else {"error": "boom"}
                if run % 4 == 1
                else {"x": 1},
            }
            if step == 3 and run % 4 == 3:
                rec["problemCategory"] = "MODEL_ERROR"
        elif step == 4:
            rec |= {
                "entityType": "event",
                "entityName": "_chat_response_event",
                "status": "created",
                "entityMetadata": {
                    "eventId": f"{rid}-e1",
                    "producerExecutionId": f"{rid}-a",
                    "upstreamEventId": f"{rid}-e0",
                    "upstreamActionName": "reply",
                },
                "attributes": {
                    "response": {"extra_args": {"promptTokens": 12, "completionTokens": 5}}
                },
            }
        elif step == 5:
            rec |= {
                "entityType": "tool",
                "entityName": "search",
                "executionId": f"{rid}-t",
                "parentExecutionId": f"{rid}-a",
                "status": statuses[run % 6],
                "entityMetadata": None,
                "attributes": None,
            }
        else:
            rec |= {
                "entityType": "parser",
                "entityName": None,
                "status": "success",
                "executionId": None,
                "attributes": {"message": "m"},
            }
            if run % 5 == 0:
                rec |= {"jobId": "j", "taskName": "t", "subtaskIndex": 2}
            elif run % 5 == 1:
                rec |= {"subtaskId": 1}
        out.append(rec)  # fmt: skip
    return out


def _write(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Read ``path`` on the general and the typed path, assert they agree, return the
    shapes the typed path decoded."""
    kinds: list[str] = []
    decode = _typed.decode_typed

    def spy(data: bytes, *rest: Any) -> Any:
        found = decode(data, *rest)
        if found is not None:
            kinds.append(found[0])
        return found

    monkeypatch.setattr(_typed, "ENABLED", False)
    general = load_log(path)
    monkeypatch.setattr(_typed, "ENABLED", True)
    monkeypatch.setattr("flink_agents_nb.eventlog.files._files.decode_typed", spy)
    typed = load_log(path)
    pd.testing.assert_frame_equal(general.frame, typed.frame)
    assert [str(p) for p in general.problems] == [str(p) for p in typed.problems]
    return kinds


@pytest.mark.parametrize(
    ("make", "kind", "name"),
    [(_ours, "ours", "events-a.log"), (_nested, "nested", "events-b.log"),
     (_trace, "trace", "traces-job9-agent-3.log")],
)  # fmt: skip
def test_each_shape_reads_the_same_on_the_typed_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: Any, kind: str, name: str
) -> None:
    path = _write(tmp_path / name, make(600))
    assert _both(path, monkeypatch) == [kind]


def test_what_the_typed_path_refuses_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    odd = {
        "list key": [*_ours(30), _ours(1)[0] | {"key": [1, 2]}],
        "subtaskId beside ours": [*_ours(30), _ours(1)[0] | {"subtaskId": 4}],
        "int event id": [*_nested(30), _nested(1)[0] | {"event": {"id": 5, "attributes": {}}}],
        "extra event field": [*_nested(30), _nested(1)[0] | {"event": {"attributes": {}, "x": 1}}],
        "empty entity type": [*_trace(30), _trace(1)[0] | {"entityType": ""}],
        "meta list": [*_trace(30), _trace(1)[0] | {"entityMetadata": [1]}],
        "agent name a number": [*_trace(30), _trace(1)[0] | {"agentName": 7}],
        "odd record type": [*_ours(30), _ours(1)[0] | {"recordType": "weird"}],
        "mixed shapes": _ours(20) + _trace(20) + _nested(20),
    }
    for i, records in enumerate(odd.values()):
        assert _both(_write(tmp_path / f"odd{i}.log", records), monkeypatch) == []
    directory = tmp_path / "mixed"
    directory.mkdir()
    _write(directory / "a.log", _ours(50))
    _write(directory / "traces-j-t-1.log", _trace(50))
    _write(directory / "c.log", _nested(50))
    assert sorted(_both(directory, monkeypatch)) == ["nested", "ours", "trace"]


def test_the_corpus_reads_the_same_on_the_typed_path(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _both(CORPUS, monkeypatch)  # some corpus files take the typed path


def test_values_learned_over_chunks_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many chunks per file: the typed decoders learn the repeated values (``_vocab``) from
    the first chunks; later chunks bring new values (relearned), a field with too many
    values (kept ``str``) and more new-value chunks than the learning allows."""
    monkeypatch.setattr(_files, "CHUNK_BYTES", 4000)
    monkeypatch.setattr(_vocab, "MAX_RELEARN", 3)
    late: list[dict[str, Any]] = []
    for i, rec in enumerate(_ours(300)):
        if i > 100:
            rec["jobId"] = f"job-{i // 40}"  # a new job every few chunks
            rec["eventType"] = f"t{i}" if i % 3 != 1 else rec["eventType"]  # too many
        late.append(rec)
    traces = _trace(300)
    for i, rec in enumerate(traces[150:]):
        rec["entityName"] = f"n{i // 30}"
        rec["agentName"] = f"agent{i // 45}"
        if rec.get("entityMetadata"):
            rec["entityMetadata"]["model"] = f"m{i // 50}"
    nested = _nested(300)
    for i, rec in enumerate(nested[100:]):
        rec["event"]["eventType"] = f"late{i // 60}"
        rec["taskName"] = "op2"
    for name, records in (("a.log", late), ("traces-j-t-1.log", traces), ("c.log", nested)):
        kinds = _both(_write(tmp_path / name, records), monkeypatch)
        assert len(kinds) > 5 and len(set(kinds)) == 1  # every chunk typed


#: Chat response attributes: the common 0.4 shape (read by one typed decode per chunk) and
#: shapes where the token search must decide (nested values or usage names above
#: ``extra_args``, null or odd counts, usage elsewhere).
_RESPONSES: list[Any] = [
    {"request_id": "r", "response": {"role": "assistant", "content": "hi",
                                     "extra_args": {"promptTokens": 12, "completionTokens": 5}}},
    {"response": {"content": "hi", "extra_args": {"promptTokens": 3, "model_name": "m1",
                                                  "model": 7, "modelName": "m2"}}},
    {"response": {"extra_args": {"prompt_tokens": 1, "promptTokens": None}, "tool_calls": []}},
    {"response": {"tool_calls": [{"function": {"name": "f"}, "usage": {"promptTokens": 99}}],
                  "extra_args": {"promptTokens": 4}}},
    {"response": {"content": "hi", "extra_args": {"promptTokens": None,
                                                  "usage": {"input_tokens": 5, "model": "u"}}}},
    {"model": "top", "response": {"content": "hi", "extra_args": {"promptTokens": 7}}},
    {"response": {"content": "hi", "model": "mid", "extra_args": {"completionTokens": 7}}},
    {"response": {"content": "hi", "extra_args": {"promptTokens": "12", "completionTokens": 1.5}}},
    {"response": {"content": "hi", "extra_args": {"promptTokens": "many", "completionTokens": {}}}},
    {"response": {"content": "hi", "extra_args": {"promptTokens": 10**400,
                                                  "completionTokens": True}}},
    {"response": {"content": {"x": 1}, "extra_args": {"completionTokens": 8}}},
    {"response": {"content": "hi", "extra_args": {"promptTokens": 3}}, "other": {"tokens": 1}},
    {"response": {"content": "hi", "extra_args": {"gen_ai.usage.input_tokens": 2,
                                                  "gen_ai.request.model": "g"}}},
    {"response": {"content": "hi", "extra_args": {"promptTokens": 1}},
     "response": {"content": "hi", "extra_args": {"promptTokens": 2}}},  # noqa: F601
    {"usage": {"prompt_tokens": 9, "completion_tokens": 1}},
    {"response": "tokens: none"},
]  # fmt: skip


def test_trace_chat_responses_read_the_same_on_the_typed_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The typed path reads a 0.4 chat response's usage by one typed decode of the chunk's
    candidates (``eventlog/_usage``); every shape gives what the general search gives,
    in chunks of one shape and in chunks that mix them."""
    records = _trace(8 * len(_RESPONSES) * 3)
    responses = [r for r in records if r["entityName"] == "_chat_response_event"]
    for i, rec in enumerate(responses):
        rec["attributes"] = _RESPONSES[i % len(_RESPONSES)]
    assert _both(_write(tmp_path / "traces-j-t-0.log", records), monkeypatch) == ["trace"]
    common = _trace(80)  # only the common shape: one decode for the whole chunk
    assert _both(_write(tmp_path / "traces-j-t-1.log", common), monkeypatch) == ["trace"]
    read = load_log(tmp_path / "traces-j-t-0.log").frame
    counted = read[read["event_type"] == "_chat_response_event"]
    assert counted["prompt_tokens"].notna().sum() >= len(responses) // 2  # found, not skipped


def test_trace_times_read_the_same_on_the_typed_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trace chunk's times are parsed from one joined buffer when they share one width
    and end with ``Z``; mixed widths, offsets, bad and missing times read as the general
    path reads them."""
    odd = ["2026-01-01T00:00:01Z", "2026-01-01T00:00:02.5Z", "2026-01-01T01:00:03.000+01:00",
           "2026-13-01T00:00:04.000Z", "not a time", None,
           "2026-01-01T00:00:05.123456789Z"]  # fmt: skip
    for i, stamps in enumerate(([odd[1]] * 3, odd, odd[:2], odd[3:5])):
        records = _trace(8 * len(stamps))
        for rec, stamp in zip(records, stamps * 8, strict=False):
            rec["timestamp"] = stamp
        assert _both(_write(tmp_path / f"traces-j-t-{i}.log", records), monkeypatch) == ["trace"]


@pytest.mark.filterwarnings("ignore:no explicit representation of timezones")  # numpy, on é
@pytest.mark.parametrize(("make", "kind"), [(_nested, "nested"), (_ours, "ours")])
def test_nested_and_our_times_read_the_same_on_the_typed_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: Any, kind: str
) -> None:
    """0.3.1 nested and our chunks' times are parsed as the trace chunk's are (one joined
    buffer when they share one width and end with ``Z``); odd ones as the general path
    reads them."""
    odd = ["2026-01-01T00:00:01Z", "2026-01-01T00:00:02.5Z", "2026-01-01T01:00:03.000+01:00",
           "2026-13-01T00:00:04.000Z", "not a time", None, "2026-01-01T00:00:05.éé9Z",
           "2026-01-01T00:00:05.123456789Z"]  # fmt: skip
    for i, stamps in enumerate(([odd[1]] * 3, odd, odd[:2], odd[3:5], odd[6:])):
        records = make(8 * len(stamps))
        for rec, stamp in zip(records, stamps * 8, strict=False):
            rec["timestamp"] = stamp
        assert _both(_write(tmp_path / f"n{i}.log", records), monkeypatch) == [kind]


def _fa_chat(i: int, extra: dict[str, Any]) -> dict[str, Any]:
    """A 0.3.1 chat response record as Flink Agents' Python chat models log it."""
    response = {"role": "assistant", "content": f"answer {i}", "tool_calls": [],
                "extra_args": extra}  # fmt: skip
    return {"timestamp": "2026-01-01T00:00:01.000Z", "event": {
        "eventType": "_chat_response_event", "id": f"c{i}", "attributes": {
            "request_id": f"r{i}", "response": response}}, "jobId": "j", "taskName": "t",
        "subtaskId": 0}  # fmt: skip


def test_nested_chat_responses_read_the_same_on_the_typed_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0.3.1 chat responses as Flink Agents' chat models write them are read by the counted
    probe (a chunk of them only), the rest by the other probes and the search: every shape
    gives what the general search gives, alone and mixed with the usual one."""
    usual = {"model_name": "gpt", "promptTokens": 12, "completionTokens": 5}
    alone = [_fa_chat(i, usual | {"reasoning": "r"} if i % 3 else usual) for i in range(40)]
    for rec in alone[::2]:  # as 0.3.1 writes them (a Java HashMap: any order)
        attributes = rec["event"]["attributes"]
        rec["event"]["attributes"] = {"retry_count": 0, **attributes, "total_retry_wait_sec": 1}
    assert _both(_write(tmp_path / "usual.log", alone), monkeypatch) == ["nested"]
    read = load_log(tmp_path / "usual.log").frame
    assert read["prompt_tokens"].tolist() == [12] * 40
    assert read["model"].tolist() == ["gpt"] * 40
    mixed = [_fa_chat(i, usual) for i in range(2 * len(_RESPONSES))]
    for i, rec in enumerate(mixed[1::2]):
        rec["event"]["attributes"] = _RESPONSES[i]
    assert _both(_write(tmp_path / "mixed.log", mixed), monkeypatch) == ["nested"]


def _react_round(j: int) -> list[dict[str, Any]]:
    """One ReAct round trip as Flink Agents 0.3.1 logs it: a chat request, a response with a
    tool call, the tool's request and response, a request carrying the history (the first
    response's counts inside), the final response, the output."""
    call = {"id": f"call_{j}", "type": "function",
            "function": {"name": "weather", "arguments": {"city": f"c{j}"}}}  # fmt: skip
    user = {"role": "user", "content": f"weather {j}?", "tool_calls": [], "extra_args": {}}
    first = {
        "role": "assistant",
        "content": "",
        "tool_calls": [call],
        "extra_args": {"model_name": "gpt", "promptTokens": 100 + j, "completionTokens": 9},
    }
    counts = {"model_name": "gpt", "promptTokens": 150, "completionTokens": j}
    final = first | {"content": "sunny", "tool_calls": [], "extra_args": counts}
    rows = [
        ("_chat_request_event", {"model": "chat", "messages": [user], "output_schema": None}),
        ("_chat_response_event", {"retry_count": 0, "response": first, "request_id": "a"}),
        ("_tool_request_event", {"model": "chat", "tool_calls": [call]}),
        ("_tool_response_event", {"request_id": "b", "responses": {f"call_{j}": "sunny"}}),
        ("_chat_request_event", {"model": "chat", "messages": [user, first]}),
        ("_chat_response_event", {"request_id": "c", "response": final, "retry_count": 1}),
        ("_output_event", {"output": "sunny"}),
    ]  # fmt: skip
    return [{"timestamp": "2026-01-01T00:00:01.000Z", "eventType": kind, "event": {
        "eventType": kind, "id": f"{j}-{k}", "attributes": attrs, "type": kind},
        "jobId": "j", "taskName": "t", "subtaskId": 0}
        for k, (kind, attrs) in enumerate(rows)]  # fmt: skip


def test_react_round_trips_read_the_same_on_the_typed_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 0.3.1 ReAct log: its chat responses (with and without tool calls) are read by the
    counted probe, told by their event type, beside chat requests whose history the search
    reads; a response whose tool call holds a usage name, and one typed otherwise, too."""
    records = [rec for j in range(30) for rec in _react_round(j)]
    records[1]["event"]["attributes"]["response"]["tool_calls"][0]["usage"] = {"input_tokens": 7}
    records[8]["event"]["eventType"] = "_output_event"  # a chat response typed otherwise
    records[13]["event"]["eventType"] = "_chat_response_event"  # an output typed as one
    assert _both(_write(tmp_path / "react.log", records), monkeypatch) == ["nested"]
    read = load_log(tmp_path / "react.log").frame
    assert read["prompt_tokens"].iloc[[1, 5, 8]].tolist() == [7, 150, 101]


def test_a_chat_request_carrying_history_has_no_tokens_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a tool-calling loop, the next chat request carries the earlier answers with their
    counts: those were counted on their responses; the request has none (no double count)."""
    records = [rec for j in range(30) for rec in _react_round(j)]
    assert _both(_write(tmp_path / "react.log", records), monkeypatch) == ["nested"]
    read = load_log(tmp_path / "react.log").frame
    requests = read[read["event_type"] == "_chat_request_event"]
    assert requests["prompt_tokens"].isna().all() and requests["model"].isna().all()
    responses = read[read["event_type"] == "_chat_response_event"]
    assert int(read["prompt_tokens"].sum()) == int(responses["prompt_tokens"].sum())
    assert int(read["prompt_tokens"].sum()) == sum(100 + j + 150 for j in range(30))


def test_nested_odd_attributes_read_the_same_on_the_typed_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attributes that are not objects (mentioning tokens or not), counts deep down or
    behind an escaped name: as the general path reads them."""
    odd: list[Any] = [
        ["promptTokens", 3], "promptTokens: 3", None, 7, {"promptTokens": {"n": 1}},
        {"a": {"b": {"c": {"promptTokens": 4, "model": "deep"}}}},
        {"a": {"b": {"c": {"d": {"promptTokens": 5}}}}},
        {"a": {"b": {"c": {"d": {"e": {"promptTokens": 9}}}}}},  # below the rule's depth
        {"response": {"extra_args": {"prompt\\u0054okens": 6, "completionTokens": 1}}},
    ]  # fmt: skip
    records = _nested(8 * len(odd))
    for rec, attributes in zip(records, odd * 8, strict=True):
        rec["event"]["attributes"] = attributes
    path = _write(tmp_path / "odd.log", records)
    text = path.read_text(encoding="utf-8").replace("\\\\u0054", "\\u0054")
    path.write_text(text, encoding="utf-8")  # the name escaped in the file itself
    assert _both(path, monkeypatch) == ["nested"]
    frame = load_log(path).frame.sort_values("line")
    tokens = frame["prompt_tokens"].iloc[: len(odd)]  # the first lines: the odd ones once each
    assert [None if pd.isna(t) else t for t in tokens] == [None] * 5 + [4, 5, None, 6]
