"""OTLP round trip: a log exported with ``fa.export_otlp`` and read back with
``fa.read_otlp`` gives the original's frame as far as OTLP carries it, column by column,
over every format of the corpus (what it cannot carry is listed per format and documented
in ``flink_agents_nb/otel/_import.py``)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import flink_agents_nb as fa
from flink_agents_nb.eventlog._lineage import causal_trees, render_trees
from flink_agents_nb.eventlog._reader import EventLog
from flink_agents_nb.run._source import record_frame_of
from tests.helpers.triage_agent import Triage

CORPUS = Path(__file__).resolve().parents[1] / "eventlog_corpus"
TRACE = CORPUS / "traces-4f1e2d3c-weather_agent-0.log"

#: Columns that differ after the round trip, per corpus file: what OTLP does not carry
#: (the payloads in ``attributes``; ``seq``; the file and line are the OTLP file's), and
#: for the formats without trace context what the import adds: a trace frame's run id,
#: entity types and names, span ids as execution ids (and, a run's chat response, as its
#: sender's), the agent the export named after the task or job.
_ALWAYS = {"attributes", "file", "line"}
_ADDED = {"seq", "run_id", "entity_type", "entity_name", "agent_name"}
LOST = {
    "traces-4f1e2d3c-weather_agent-0.log": _ALWAYS,  # 0.4 trace log
    "events-a3f1c2d4-weather_agent-0.log": _ALWAYS,  # Aug-format flat with trace context
    "ours.log": _ALWAYS | _ADDED | {"execution_id", "parent_execution_id"},
    "flink_agents_0_3_1.log": _ALWAYS | _ADDED - {"seq"},  # 0.3.1 nested (no seq)
    "flink_agents_flat.log": _ALWAYS | _ADDED - {"seq"},
    "pretty.log": _ALWAYS | _ADDED - {"seq"},
}


def _same(a: Any, b: Any) -> bool:
    def missing(v: Any) -> bool:
        return v is None or v is pd.NA or (isinstance(v, float) and v != v)

    return (missing(a) and missing(b)) or (not missing(a) and not missing(b) and a == b)


def _aligned(frame: pd.DataFrame, calls: bool) -> pd.DataFrame:
    """Events by id, then ended executions by time and name (``calls``: with call rows)."""
    kinds = ["event", "action", "call"] if calls else ["event", "action"]
    f = frame[frame["record_type"].isin(kinds)].copy()
    f["_kind"] = f["record_type"].map({"event": 0, "action": 1, "call": 2})
    f["_id"] = f["event_id"].where(f["record_type"] == "event", "").astype(str)
    f["_name"] = f["action"].astype(object).where(f["action"].notna(), "").astype(str)
    order = ["_kind", "_id", "timestamp", "_name"]
    return f.sort_values(order, kind="stable").reset_index(drop=True)


def _differing(original: pd.DataFrame, back: pd.DataFrame) -> set[str]:
    calls = "call" in set(original["record_type"])  # (our logs: the import adds call rows)
    a, b = _aligned(original, calls), _aligned(back, calls)
    assert len(a) == len(b), (a[["record_type", "event_type"]], b[["record_type", "event_type"]])
    out = set()
    for column in back.columns:
        left = a[column].tolist() if column in a.columns else [None] * len(a)
        if not all(_same(x, y) for x, y in zip(left, b[column].tolist(), strict=True)):
            out.add(column)
    return out


def _skeleton(text: str, calls: bool = True) -> str:
    """A tree drawn as text without the events' payload previews (not exported); without
    ``calls``, without the llm and tool calls (those the export infers for our own logs)."""
    text = re.sub(r"^([│├└─ ]*)(\S+) [{\[\"].*$", r"\1\2", text, flags=re.MULTILINE)
    if not calls:
        text = "\n".join(
            line for line in text.splitlines() if not re.match(r"^[│├└─ ]*(llm|tool) ", line)
        )
    return text


@pytest.mark.parametrize("name", sorted(LOST))
def test_every_corpus_format_comes_back_column_by_column(name: str, tmp_path: Path) -> None:
    original = fa.read_event_log(CORPUS / name)
    fa.export_otlp(original, path=tmp_path / "spans.jsonl")
    back = fa.read_otlp(tmp_path / "spans.jsonl")
    assert back.problems == []
    assert _differing(original.frame, back.frame) == LOST[name]
    calls = "call" in set(original.frame["record_type"])
    assert _skeleton(back.tree_text(), calls) == _skeleton(original.tree_text())
    assert back.summary()["prompt_tokens"] == original.summary()["prompt_tokens"]


def test_a_replayed_action_comes_back_replayed_without_a_duration(tmp_path: Path) -> None:
    log = fa.read_event_log(TRACE)
    (replayed,) = log.frame.index[log.frame["status"] == "replayed"]
    assert log.frame.at[replayed, "duration_ms"] != log.frame.at[replayed, "duration_ms"]  # NaN
    fa.export_otlp(log, path=tmp_path / "spans.jsonl")
    back = fa.read_otlp(tmp_path / "spans.jsonl")
    f = back.frame
    (row,) = f.index[(f["key"] == "u2") & (f["action"] == "process_input")]
    assert f.at[row, "status"] == "replayed"
    assert f.at[row, "duration_ms"] != f.at[row, "duration_ms"]  # NaN, not 0 ms
    assert "─ action process_input [replayed]\n" in back.tree_text("u2")


def test_a_run_comes_back_with_its_tree(tmp_path: Path) -> None:
    """A run with two ``chat_model_action`` executions on different events: each event
    comes back under the execution that sent it."""
    run = fa.local().from_list([{"key": "k", "value": "order 42"}]).apply(Triage()).execute()
    fa.export_otlp(run, path=tmp_path / "run.jsonl")
    back = fa.read_otlp(tmp_path / "run.jsonl")
    frame = record_frame_of(run)
    original = render_trees(frame, causal_trees(frame))
    assert _skeleton(back.tree_text(), calls=False) == _skeleton(original)
    assert back.summary()["prompt_tokens"] == int(frame["prompt_tokens"].sum()) > 0


def _span(sid: str, parent: str | None, name: str, **attrs: Any) -> dict[str, Any]:
    """A span as another tool writes it; ``attrs`` named with ``__`` for ``.``."""
    out: dict[str, Any] = {
        "traceId": "ab" * 16,
        "spanId": sid * 16,
        "name": name,
        "startTimeUnixNano": str(1_000 + len(name)),
        "endTimeUnixNano": "9000",
        "attributes": [
            {
                "key": k.replace("__", "."),
                "value": {"stringValue": v} if isinstance(v, str) else {"intValue": str(v)},
            }
            for k, v in attrs.items()
        ],
    }
    if parent:
        out["parentSpanId"] = parent * 16
    return out


def test_spans_of_another_tool_keep_each_response_under_its_own_action(tmp_path: Path) -> None:
    """Two action spans of one name, each with a chat span (no event ids: another tool's
    spans, or an export before events were carried): each chat's response event hangs
    under its own action, not under the last one of that name."""
    spans = [
        _span("a", None, "invoke_agent desk", gen_ai__operation__name="invoke_agent"),
        _span("b", "a", "chat_model_action"),
        _span("c", "b", "chat m1", gen_ai__operation__name="chat", gen_ai__request__model="m1",
              gen_ai__usage__input_tokens=5, gen_ai__usage__output_tokens=1),
        _span("d", "a", "chat_model_action"),
        _span("e", "d", "chat m2", gen_ai__operation__name="chat", gen_ai__request__model="m2",
              gen_ai__usage__input_tokens=7, gen_ai__usage__output_tokens=2),
    ]  # fmt: skip
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}
    (tmp_path / "other.jsonl").write_text(json.dumps(doc) + "\n", encoding="utf-8")
    log = fa.read_otlp(tmp_path / "other.jsonl")
    responses = log.frame[log.frame["event_type"] == "_chat_response_event"]
    assert sorted(responses["parent_execution_id"]) == ["b" * 16, "d" * 16]  # the actions
    lines = log.tree_text().splitlines()
    first, second = (i for i, line in enumerate(lines) if "action chat_model_action" in line)
    assert [line.strip(" │├└─") for line in lines[first + 1 : second]] == [
        "llm m1 [ok] 0.008 ms (m1)",
        '_chat_response_event {"model":"m1","promptTokens":5,"completionTokens":1}',
    ]
    assert 'promptTokens":7' in lines[-1]


def test_an_event_that_names_a_model_without_counts_keeps_it(tmp_path: Path) -> None:
    log = fa.read_event_log(TRACE)
    frame = log.frame.copy()
    asked = (frame["record_type"] == "event") & (frame["event_type"] == "_chat_request_event")
    frame.loc[asked, "model"] = "qwen3:8b"  # (no corpus log has one: a request naming it)
    fa.export_otlp(EventLog(frame, [], log.files), path=tmp_path / "spans.jsonl")
    back = fa.read_otlp(tmp_path / "spans.jsonl").frame
    requests = back[
        (back["record_type"] == "event") & (back["event_type"] == "_chat_request_event")
    ]
    assert len(requests) == 2 and set(requests["model"]) == {"qwen3:8b"}
    assert requests["prompt_tokens"].isna().all()


def test_a_root_that_counts_more_tokens_than_its_chat_spans_gives_the_rest(
    tmp_path: Path,
) -> None:
    """Another tool's ``invoke_agent`` span with usage totals above its chat spans' (a call
    it did not trace): the totals stay whole, the rest in a response event of the root's
    model."""
    spans = [
        _span("a", None, "invoke_agent desk", gen_ai__operation__name="invoke_agent",
              gen_ai__request__model="m1", gen_ai__usage__input_tokens=10,
              gen_ai__usage__output_tokens=3),
        _span("b", "a", "chat m1", gen_ai__operation__name="chat", gen_ai__request__model="m1",
              gen_ai__usage__input_tokens=4, gen_ai__usage__output_tokens=1),
    ]  # fmt: skip
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}
    (tmp_path / "other.jsonl").write_text(json.dumps(doc) + "\n", encoding="utf-8")
    log = fa.read_otlp(tmp_path / "other.jsonl")
    events = log.frame[log.frame["event_type"] == "_chat_response_event"]
    counts = zip(events["prompt_tokens"], events["completion_tokens"], strict=True)
    assert sorted(counts) == [(4, 1), (6, 2)]
    assert set(events["model"]) == {"m1"}
    assert (log.summary()["prompt_tokens"], log.summary()["completion_tokens"]) == (10, 3)


def test_a_trace_without_its_root_span_counts_its_tokens_once(tmp_path: Path) -> None:
    """Our export's spans of a trace whose root span was dropped (a collector's sampling,
    a cut file): its events came as span events, so its chat spans make no second
    response event."""
    log = fa.read_event_log(TRACE)
    fa.export_otlp(log, path=tmp_path / "spans.jsonl")
    kept = []
    for line in (tmp_path / "spans.jsonl").read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        for resource in doc["resourceSpans"]:
            for scope in resource["scopeSpans"]:
                scope["spans"] = [s for s in scope["spans"] if s.get("parentSpanId")]
        kept.append(json.dumps(doc))
    (tmp_path / "rootless.jsonl").write_text("\n".join(kept) + "\n", encoding="utf-8")
    back = fa.read_otlp(tmp_path / "rootless.jsonl").frame
    assert int(back["prompt_tokens"].sum()) == int(log.frame["prompt_tokens"].sum()) == 120
