"""The ``attributes`` column of a log read holds lazily decoded mappings
(``eventlog/_attributes.py``): they behave as the dicts they decode to, are decoded only when
looked into (token extraction decodes only records that mention tokens), pickle, print and
show escaped like dicts, and bad bytes are never fatal."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from flink_agents_nb._html import json_block
from flink_agents_nb.eventlog._attributes import (
    EMPTY,
    Attributes,
    SentAttributes,
    SentTable,
    action_cells,
    cells,
    plain,
)
from flink_agents_nb.eventlog._load import load_log
from flink_agents_nb.eventlog._usage import raw_usage_columns, usage_columns
from flink_agents_nb.eventlog.typed import _typed
from flink_agents_nb.inspector._widget import json_tree
from flink_agents_nb.stepper._memory_replay import writes_of
from flink_agents_runtime.eventlog._lines import encode_value

DATA = {"topic": "billing", "n": {"x": [1, 2.5, None, True]}, "t": "a\nb é"}
RAW = json.dumps(DATA).encode()


def test_reads_as_the_dict_it_holds() -> None:
    a = Attributes(RAW)
    assert not a.decoded
    assert isinstance(a, Mapping) and not isinstance(a, Iterator)
    assert a == DATA and a == DATA and a != {"topic": "billing"}
    assert a == Attributes(json.dumps(DATA, separators=(",", ":")).encode())  # by contents
    assert a != Attributes(b'{"topic": "other"}') and a != [1]
    assert a.decoded
    assert a["topic"] == "billing" and a.get("missing", 7) == 7 and "n" in a and len(a) == 3
    assert list(a) == list(DATA) and list(a.items()) == list(DATA.items())
    assert dict(a) == DATA and {**a} == DATA and type(a.to_dict()) is dict
    assert a.to_dict() is not a.to_dict() and a.to_dict()["n"] is not a["n"]  # new each call
    assert a | {"u": 1} == {**DATA, "u": 1} and {"u": 1} | a == {"u": 1, **DATA}
    assert repr(a) == repr(DATA) and str(a) == str(DATA)
    with pytest.raises(TypeError):
        hash(a)
    with pytest.raises(TypeError):
        next(a)
    with pytest.raises(KeyError):
        a["missing"]


def test_pickles_as_its_bytes_and_decodes_again() -> None:
    a = Attributes(RAW)
    a.get("topic")
    back = pickle.loads(pickle.dumps(a))
    assert type(back) is Attributes and not back.decoded and back == DATA
    assert back.raw == RAW


def test_an_ended_actions_cell_reads_as_its_attributes_with_the_events_it_sent() -> None:
    """0.4 trace logs: an ended action's cell (made without its dict) holds its own
    attributes and ``sentEventIds``, with the contract of :class:`Attributes`."""
    table = SentTable(["e1", "e2", "e3"], np.array([0, 2, 3]), np.array([2, 3, 3]))
    own = Attributes(b'{"t": "<b>x</b>"}')
    cases: list[tuple[Any, int, dict[str, Any]]] = [
        (EMPTY, 0, {"sentEventIds": ["e1", "e2"]}),
        (own, 1, {"t": "<b>x</b>", "sentEventIds": ["e3"]}),
        ({"k": [1]}, 2, {"k": [1], "sentEventIds": []}),
        (None, 0, {"sentEventIds": ["e1", "e2"]}),
    ]
    for base, row, want in cases:
        a = SentAttributes(base, table, row)
        assert isinstance(a, Mapping) and not isinstance(a, Iterator)
        assert a == want and want == a and a != {**want, "x": 1} and a != [1]
        assert a == SentAttributes(base, table, row) and a == Attributes(json.dumps(want).encode())
        assert dict(a) == want and {**a} == want and len(a) == len(want) and list(a) == list(want)
        assert a["sentEventIds"] == want["sentEventIds"] and "sentEventIds" in a
        assert a.get("missing", 7) == 7 and list(a.items()) == list(want.items())
        assert a | {"u": 1} == {**want, "u": 1} and {"u": 1} | a == {"u": 1, **want}
        assert repr(a) == repr(want) and str(a) == str(want)
        copy = a.to_dict()
        assert copy == want and type(copy) is dict and copy["sentEventIds"] is not a["sentEventIds"]
        assert type(plain(a)) is dict and plain(a) == want
        back = pickle.loads(pickle.dumps(a))
        assert type(back) is dict and back == want
        assert json.loads(encode_value(a)) == want
        with pytest.raises(TypeError):
            hash(a)
        with pytest.raises(TypeError):
            next(a)  # type: ignore[call-overload]
    assert own.get("t") == "<b>x</b>" and EMPTY == {}  # the bases are left as they were
    shown = SentAttributes(own, table, 1)
    for html in (json_block(shown), json_tree(shown)):
        assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x" not in html


def test_an_ended_actions_cell_is_read_without_decoding_what_it_need_not() -> None:
    """``to_dict`` (the inspector's search, reports) leaves the cell and its base
    undecoded; ``get`` of a key of the base (the stepper's memory writes) makes no dict."""
    table = SentTable(["e1"], np.array([0]), np.array([1]))
    own = Attributes(b'{"memoryWrites": [{"path": "a"}]}')
    cell = SentAttributes(own, table, 0)
    copy = cell.to_dict()
    assert copy == {"memoryWrites": [{"path": "a"}], "sentEventIds": ["e1"]}
    assert not own.decoded and not hasattr(cell, "_value")
    assert cell.get("memoryWrites") == [{"path": "a"}] and not hasattr(cell, "_value")
    assert SentAttributes(EMPTY, table, 0).get("memoryWrites") is None
    assert cell.get("sentEventIds") == ["e1"] and hasattr(cell, "_value")
    cell["sentEventIds"].append("e2")  # looked into: the cell's own dict, as Attributes'
    assert cell.to_dict()["sentEventIds"] == ["e1", "e2"] and table.ids == ["e1"]


def test_bad_bytes_read_as_empty_and_never_raise() -> None:
    for raw, why in ((b'{"a": ', "not valid JSON"), (b"[1, 2]", "not a JSON object")):
        a = Attributes(raw)
        assert len(a) == 0 and a.get("a") is None and dict(a) == {} and a.to_dict() == {}
        assert repr(a) == "{}" and a.problem is not None and why in a.problem
    assert Attributes(RAW).problem is None


def test_cells_keep_objects_lazy_and_other_values_as_they_are() -> None:
    raws: list[Any] = [b'{"a": 1}', b"null", b'"text"', b"[1]", b"{}", b"3", b'{"nTokens":1}']
    made, mentions = cells(raws)
    assert not any(c.decoded for c in made[[0, 6]]) and made[4] is EMPTY
    assert mentions.tolist() == [False] * 6 + [True]
    kinds = [Attributes, type(None), str, list, Attributes, int, Attributes]
    assert [type(c) for c in made] == kinds
    assert made[0] == {"a": 1} and made[2] == "text" and made[3] == [1] and made[4] == {}
    assert [c == {} for c in cells(raws, objects_only=True)[0]] == [False] + [True] * 5 + [False]
    one, two = cells([b"{}", b"{}"])[0]  # trace records' many empty attributes: one cell
    assert one is two and one == {} and dict(one) is not dict(two) and one.to_dict() == {}
    buffer = bytearray(b'{"a": 1}')
    kept = cells([memoryview(buffer)])[0][0]
    buffer[6] = ord("2")  # the reader's buffer is reused: a cell holds a copy
    assert kept == {"a": 1}
    assert plain(kept) == {"a": 1} and type(plain(kept)) is dict and plain([1]) == [1]


def test_which_cells_mention_tokens_is_what_find_says_of_each() -> None:
    """Mentions are read from the chunk's values joined: a match must lie inside one value
    (not across two), at either end of it, in a value as short as the word, or not at all."""
    rng = np.random.default_rng(7)
    pieces = [b"okens", b"ok", b"ens", b"k", b"o", b"s", b"x", b'"', b"tokens", b"OKENS"]
    for _ in range(200):
        raws: list[Any] = []
        for _ in range(int(rng.integers(1, 12))):
            parts = [pieces[j] for j in rng.integers(0, len(pieces), int(rng.integers(0, 4)))]
            text = b"".join(parts)
            raws.append(b'{"' + text + b'":1}' if rng.random() < 0.7 else b'"' + text + b'"')
        mentions = cells(raws)[1]
        said = [b"okens" in raw and raw[:1] == b"{" for raw in raws]
        assert mentions.tolist() == said
    split = [b'{"ok":1}', b'{"ens":1}', b'"okens"', b'{"x":"to', b'kens"}', b'{"okens":0}']
    assert cells(split)[1].tolist() == [False] * 5 + [True]
    assert cells([b'{"a":"okens"}'] * 3)[1].tolist() == [True] * 3


def _log(tmp_path: Path) -> Path:
    """Our own records: plain events, one with token usage, one with HTML in it, and an
    action with memory writes."""
    stamp = "2026-01-01T00:00:0{}.000000Z"
    records: list[dict[str, Any]] = [
        {"timestamp": stamp.format(0), "recordType": "event", "eventId": "e0",
         "eventType": "_input_event", "key": "k", "eventAttributes": {"input": "<b>hi</b>"}},
        {"timestamp": stamp.format(1), "recordType": "action", "actionName": "reply",
         "eventId": "e0", "eventType": "_input_event", "key": "k", "durationNs": 1000,
         "status": "ok", "attempt": 1, "error": None, "sentEventIds": ["e1"],
         "memoryWrites": [{"memory": "short_term", "path": "a.b", "value": 3}]},
        {"timestamp": stamp.format(2), "recordType": "event", "eventId": "e1",
         "eventType": "_chat_response_event", "upstreamEventId": "e0",
         "upstreamActionName": "reply", "key": "k",
         "eventAttributes": {"response": {"extra_args": {"model_name": "m",
                                                         "promptTokens": 12,
                                                         "completionTokens": 5}}}},
        {"timestamp": stamp.format(3), "recordType": "event", "eventId": "e2",
         "eventType": "_output_event", "upstreamEventId": "e1", "upstreamActionName": "reply",
         "key": "k", "eventAttributes": {"output": "<script>alert(1)</script>"}},
    ]  # fmt: skip
    path = tmp_path / "events-a.log"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_a_log_read_decodes_only_the_records_that_mention_tokens(tmp_path: Path) -> None:
    frame = load_log(_log(tmp_path)).frame
    attrs = frame["attributes"].tolist()
    assert all(type(a) is Attributes for a in attrs)
    assert not any(a.decoded for a in attrs)  # searched for tokens, not kept decoded
    assert frame["prompt_tokens"].tolist()[2] == 12 and frame["model"].tolist()[2] == "m"
    assert attrs[1] == {
        "attempt": 1,
        "error": None,
        "sentEventIds": ["e1"],
        "memoryWrites": [{"memory": "short_term", "path": "a.b", "value": 3}],
    }
    assert writes_of(attrs[1]) == [{"memory": "short_term", "path": "a.b", "value": 3}]
    none = action_cells([1], [None], [b"[]"], [b"[]"])[0]
    assert writes_of(none) == [] and not none.decoded  # told by its bytes
    assert "{'input': '<b>hi</b>'}" in repr(frame[["attributes"]])  # pandas prints the dict
    restored = pickle.loads(pickle.dumps(frame))
    pd.testing.assert_frame_equal(restored, frame)
    as_json = json.loads(frame[["attributes"]].to_json(orient="records"))
    assert as_json[0] == {"attributes": {"input": "<b>hi</b>"}}
    assert json.loads(encode_value(attrs[3])) == {"output": "<script>alert(1)</script>"}


def test_lazy_attributes_show_escaped(tmp_path: Path) -> None:
    attrs = load_log(_log(tmp_path)).frame["attributes"].tolist()
    for html in (json_block(attrs[3]), json_tree(attrs[3])):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "output" in json_tree(attrs[3]) and "1 key" in json_tree(attrs[3])


def test_a_record_with_malformed_attributes_is_a_problem_of_the_read(tmp_path: Path) -> None:
    path = _log(tmp_path)
    good = path.read_bytes()
    bad = b'{"timestamp": "2026-01-01T00:00:09Z", "recordType": "event", "eventAttributes": {"a": tru}}\n'  # noqa: E501
    path.write_bytes(good + bad)
    log = load_log(path)
    assert len(log.frame) == 4
    assert [(p.line, "not valid JSON" in p.reason) for p in log.problems] == [(5, True)]


def test_an_object_column_of_them_is_built_without_looking_inside() -> None:
    made, _ = cells([RAW, RAW])
    assert made.shape == (2,) and not any(a.decoded for a in made)
    assert np.array_equal(made == DATA, [True, True])


def test_action_cells_hold_the_dict_the_general_path_builds() -> None:
    made = action_cells(
        [1, None, 2], [None, "boom", {"type": "E", "message": "é"}], [b'["e1"]', b"null", b"[]"],
        [b"[]", b'[{"path": "a", "value": 1}]', b"null"],
    )  # fmt: skip
    assert [dict(c) for c in made] == [
        {"attempt": 1, "error": None, "sentEventIds": ["e1"], "memoryWrites": []},
        {"attempt": None, "error": "boom", "sentEventIds": None,
         "memoryWrites": [{"path": "a", "value": 1}]},
        {"attempt": 2, "error": {"type": "E", "message": "é"}, "sentEventIds": [],
         "memoryWrites": None},
    ]  # fmt: skip
    assert len(action_cells([], [], [], [])) == 0


USAGE_CASES: list[Any] = [
    {"request_id": "r", "response": {"role": "assistant", "content": "hi",
     "extra_args": {"model_name": "m", "promptTokens": 12, "completionTokens": 5}}},
    {"response": {"extra_args": {"model": 3, "modelName": "n", "prompt_tokens": "7"}}},
    {"promptTokens": 1, "model": "top", "response": {"extra_args": {"promptTokens": 9}}},
    {"gen_ai.usage.input_tokens": 4, "gen_ai.usage.output_tokens": 6,
     "gen_ai.request.model": "g"},
    {"promptTokens": None, "response": {"extra_args": {"promptTokens": 9}}},
    {"usage": {"prompt_tokens": 3}, "response": {"extra_args": {"promptTokens": 9}}},
    {"call_usage": {"promptTokens": 3}, "response": {"extra_args": {"promptTokens": 9}}},
    {"response": "text", "promptTokens": 1},
    {"response": {"extra_args": None}, "x": [{"output_tokens": 8}]},
    {"a": {"b": {"c": {"d": {"promptTokens": 1}}}}, "response": {"extra_args": {"x": 1}}},
    {"tokens": 1},
    {"model": "top", "response": {"extra_args": {"promptTokens": 9}}},
    {"response": {"modelName": "r", "extra_args": {"promptTokens": 9, "model_name": "x"}}},
    {"response": {"extra_args": {"model_name": "modelX", "promptTokens": 9}}},
    {"response": {"extra_args": {"cachedTokens": 4, "completionTokens": 9}}},
    {"response": {"extra_args": {"promptTokens": [1], "completionTokens": "7",
                                 "gen_ai.response.model": "g", "model": 5}}},
    {"response": {"extra_args": {"promptTokens": None, "completion_tokens": True}}},
    {"response": None, "x": {"prompt_tokens": 2}},
    {"response": {"extra_args": {"prompt_tokens": 1}}, "response2": {"output_tokens": 3}},
    {"response": {"extra_args": {"input_tokens": 1, "gen_ai.usage.input_tokens": 2}}},
    # the chat-response probe: only this exact shape, other names or nesting searched
    {"request_id": 7, "response": {"role": "assistant", "content": "hi", "tool_calls": [],
     "extra_args": {"promptTokens": 3, "completionTokens": 1}}},
    {"request_id": "r", "response": {"content": "hi", "tool_calls": [{"x": {
     "prompt_tokens": 99}}], "extra_args": {"promptTokens": 3}}},
    {"request_id": "r", "response": {"content": {"prompt_tokens": 8}, "extra_args": {
     "promptTokens": 3}}},
    {"request_id": "r", "response": {"content": "hi", "model": "outer", "extra_args": {
     "promptTokens": 3}}},
    {"request_id": "r", "response": {"extra_args": {"usage": {"prompt_tokens": 4}}}},
    {"request_id": "r", "response": {"extra_args": {"promptTokens": None,
     "completionTokens": None, "usage": {"output_tokens": 2}}}},
    {"request_id": "r", "response": {"extra_args": {"prompt\\u0054okens": 6}}},
    {"response": {"extra_args": {"promptTokens": 10**30, "completionTokens": 1.5,
     "model_name": None, "modelName": "n"}}},
    {"response": {"extra_args": {"promptTokens": True, "completionTokens": "x"}}},
    {"promptTokens": {"n": 1}, "prompt_tokens": 4},
    {"input_tokens": None, "output_tokens": None, "x": {"completion_tokens": 5}},
]  # fmt: skip
_CHAT_HEAD: dict[str, Any] = {"request_id": "r", "response": {"role": "assistant", "content": "hi"}}
#: Chat responses as Flink Agents' chat models write them, and near misses: a chunk of one
#: of these alone is tried by the counted probe (``extra_args`` read straight as numbers).
COUNTED_CASES: list[Any] = [
    {"model_name": "m", "promptTokens": 12, "completionTokens": 5, "reasoning": "thought",
     "structured_output": {"promptTokens": 1, "model": "s"}, "refusal": None},
    {"model_name": None, "promptTokens": 1, "completionTokens": 2},
    {"completionTokens": 2, "promptTokens": 1, "model_name": "late"},
    {"model": "first", "model_name": "m", "promptTokens": 1, "completionTokens": 2},
    {"model_name": "m", "promptTokens": 10**30, "completionTokens": 2},
    {"model_name": "m", "promptTokens": 10**400, "completionTokens": 2},
    {"model_name": "m", "prompt\\u0054okens": 6, "completionTokens": 1},
    {"model_name": "m", "promptTokens": 1.5, "completionTokens": 2},
    {"model_name": "m", "promptTokens": True, "completionTokens": 2},
    {"model_name": 3, "promptTokens": 1, "completionTokens": 2},
    {"model_name": "m", "promptTokens": 1},
    {"model_name": "m", "promptTokens": 1, "completionTokens": 2, "usage": {"x": 1}},
    {"model_name": "m", "promptTokens": None, "completionTokens": 2},
]  # fmt: skip
_FIRST_COUNTED = len(USAGE_CASES)
USAGE_CASES += [
    {**_CHAT_HEAD, "response": {**_CHAT_HEAD["response"], "extra_args": extra}}
    for extra in COUNTED_CASES
]
_CALL = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}
_COUNTS = {"model_name": "m", "promptTokens": 4, "completionTokens": 2}
USAGE_CASES += [  # chat responses with tool calls: the counted probe checks their bytes
    {"request_id": "r", "response": {"role": "assistant", "content": "", "tool_calls": [
     _CALL, _CALL], "extra_args": _COUNTS}, "retry_count": 0},
    {"response": {"tool_calls": [{"function": {"arguments": {"prompt_tokens": 9}}}],
     "extra_args": _COUNTS}},
    {"response": {"tool_calls": [{"usage": {"output_tokens": 9, "model": "t"}}],
     "extra_args": _COUNTS}},
    {"response": {"tool_calls": [{"x": [{"y": {"input_tokens": 9}}]}], "extra_args": _COUNTS}},
    {"response": {"tool_calls": [{"note": "tokens"}], "extra_args": _COUNTS}},
    {"response": {"tool_calls": [{"note": "\u00e9"}], "extra_args": _COUNTS}},
    {"response": {"tool_calls": [{"input_t\\u006fkens": 9}], "extra_args": _COUNTS}},
    {"response": {"extra_args": _COUNTS, "tool_calls": [{"model": "late"}]}},
    {"response": {"tool_calls": {"promptTokens": 9}, "extra_args": _COUNTS}},
    {"response": {"tool_calls": [[{"completionTokens": 9}]], "extra_args": _COUNTS}},
]  # fmt: skip
USAGE_CASES += [  # 0.3.1's retry fields beside the response, in a Java HashMap's order
    {"retry_count": 1, "response": {"extra_args": {"model_name": "m", "promptTokens": 2,
     "completionTokens": 3}, "role": "assistant", "content": "x"}, "request_id": "r",
     "total_retry_wait_sec": 0},
    {"retry_count": 0, "response": {"extra_args": {"promptTokens": 2}}, "request_id": "r"},
    {"retry_count": {"promptTokens": 5}, "response": {"extra_args": {"promptTokens": 2}}},
    {"total_retry_wait_sec": [{"input_tokens": 4}], "response": {"extra_args": {
     "model_name": "m", "promptTokens": 2, "completionTokens": 3}}},
]  # fmt: skip


def _raw_case(case: Any) -> bytes:
    """A case as JSON bytes (a ``\\u`` escape in a name kept as the escape)."""
    return json.dumps(case).replace("\\\\u", "\\u").encode()


@pytest.mark.parametrize(
    "picked",
    [
        list(range(len(USAGE_CASES))),  # a mixed chunk: the chat probe row by row
        [0] * 5,  # chat responses only: the chat probe on the whole chunk at once
        [2, 3, 2],  # counts at the top level only
        [0, 0, 2, 0],  # both probes
        *([k] * 3 for k in range(_FIRST_COUNTED, len(USAGE_CASES))),  # the counted probe
        *([0, k, 0] for k in range(_FIRST_COUNTED, len(USAGE_CASES))),  # or not the chunk
    ],
)
def test_lazy_cells_give_the_token_columns_of_dicts_and_stay_lazy(picked: list[int]) -> None:
    raws = [_raw_case(USAGE_CASES[i]) for i in picked]
    lazy, _ = cells(raws)
    plain_dicts = np.fromiter(map(json.loads, raws), dtype=object, count=len(raws))
    events = np.ones(len(raws), dtype=bool)
    want = usage_columns(plain_dicts, events, None)
    rows = np.arange(len(raws))
    hints = np.random.default_rng(len(picked)).random(len(raws)) < 0.5  # right or wrong
    for got_columns in (
        usage_columns(lazy, events, None),
        raw_usage_columns(len(raws), rows, raws),
        raw_usage_columns(len(raws), rows, raws, hints),
        raw_usage_columns(len(raws), rows, raws, ~hints),
    ):
        for got, wanted in zip(got_columns, want, strict=True):
            np.testing.assert_array_equal(got, wanted)
            assert [type(v) for v in got.tolist()] == [type(v) for v in wanted.tolist()]
    assert not any(a.decoded for a in lazy)


def test_a_frame_prints_and_exports_as_with_dicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Notebooks show ``log.frame`` (nbval compares the text): lazy cells print as the dicts
    of the general path did; ``to_json`` and ``to_dict`` give the same too."""
    path = _log(tmp_path)
    lazy = load_log(path).frame
    monkeypatch.setattr(_typed, "ENABLED", False)
    dicts = load_log(path).frame
    assert (
        type(dicts["attributes"].iat[0]) is dict and type(lazy["attributes"].iat[0]) is Attributes
    )
    for show in (repr, lambda f: f.to_html(), lambda f: f.to_json(orient="records")):
        assert show(lazy[["key", "attributes"]]) == show(dicts[["key", "attributes"]])
    assert [r["attributes"] for r in lazy[["attributes"]].to_dict("records")] == [
        r["attributes"] for r in dicts[["attributes"]].to_dict("records")
    ]


def test_the_documented_way_to_parquet(tmp_path: Path) -> None:
    frame = load_log(_log(tmp_path)).frame
    path = tmp_path / "log.parquet"
    frame.assign(attributes=frame["attributes"].map(dict)).to_parquet(path)
    back = pd.read_parquet(path)
    assert back["attributes"].iat[0]["input"] == "<b>hi</b>" and len(back) == len(frame)
