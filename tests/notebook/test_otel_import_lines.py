"""What ``fa.read_otlp`` takes from a file's bytes: lines split at ``\\n`` only, and the
implied-upstream rule applied only where the kit's scope says its export follows it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

import flink_agents_nb as fa
from flink_agents_nb.otel._names import UPSTREAM_IMPLIED

CORPUS = Path(__file__).resolve().parents[1] / "eventlog_corpus"
TRACE = CORPUS / "traces-4f1e2d3c-weather_agent-0.log"


def _exported(frame: pd.DataFrame, path: Path) -> Path:
    from flink_agents_nb.eventlog._reader import EventLog

    fa.export_otlp(EventLog(frame, [], []), path)
    return path


def test_line_separators_inside_strings_keep_the_line_whole(tmp_path: Path) -> None:
    """U+2028, U+2029 and NEL stand raw inside JSON strings (``str.splitlines`` splits at
    them): every span still comes back, without problems."""
    frame = fa.read_event_log(TRACE).frame
    plain = fa.read_otlp(_exported(frame, tmp_path / "plain.jsonl")).frame
    frame["action"] = [None if a is None else f"{a}\u2028\u2029\x85" for a in frame["action"]]
    path = _exported(frame, tmp_path / "odd.jsonl")
    assert "\u2028".encode() in path.read_bytes()
    back = fa.read_otlp(path)
    assert back.problems == [] and len(back.frame) == len(plain)
    named = set(back.frame.loc[back.frame["record_type"] == "action", "action"])
    assert "process_input\u2028\u2029\x85" in named


def _events(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.loc[
        frame["record_type"] == "event", ["event_id", "upstream_event_id", "upstream_action"]
    ]


def test_an_absent_upstream_is_the_spans_only_where_the_scope_says_so(tmp_path: Path) -> None:
    """Our export marks its scope (``flink_agents.event.upstream_implied``) and leaves out
    an upstream that is its span's own: read back, each event has its upstream. The same
    spans without the mark (an export from before the rule, another tool's file) read an
    absent upstream as none; one written stays."""
    frame = fa.read_event_log(TRACE).frame
    path = _exported(frame, tmp_path / "ours.jsonl")
    docs = [json.loads(line) for line in path.read_bytes().splitlines()]
    scope = docs[0]["resourceSpans"][0]["scopeSpans"][0]["scope"]
    assert {"key": UPSTREAM_IMPLIED, "value": {"boolValue": True}} in scope["attributes"]
    ours = _events(fa.read_otlp(path).frame).set_index("event_id")
    original = _events(frame).set_index("event_id")
    sent = original.index[original["upstream_event_id"].notna()]
    assert len(sent) and ours.loc[sent].values.tolist() == original.loc[sent].values.tolist()
    for doc in docs:  # the same spans as an older export wrote them
        for rs in doc["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                ss["scope"].pop("attributes")
    older = tmp_path / "older.jsonl"
    older.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    theirs = _events(fa.read_otlp(older).frame)
    assert theirs["upstream_event_id"].isna().all() and theirs["upstream_action"].isna().all()
    # an upstream that differs from its span's is written, so it stays
    frame["upstream_action"] = frame["upstream_action"].where(
        frame["upstream_action"].isna(), "elsewhere"
    )
    path = _exported(frame, tmp_path / "elsewhere.jsonl")
    text = path.read_text(encoding="utf-8").replace(f'"key":"{UPSTREAM_IMPLIED}"', '"key":"x"')
    older.write_text(text, encoding="utf-8")
    theirs = _events(fa.read_otlp(older).frame)
    assert set(theirs["upstream_action"].dropna()) == {"elsewhere"}
