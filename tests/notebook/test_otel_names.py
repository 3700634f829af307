"""The OTLP export and import name attributes from one module (``otel/_names.py``), and a
span event's upstream event and action are its span's unless it says otherwise."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pandas as pd

import flink_agents_nb as fa
from flink_agents_nb.eventlog._reader import EventLog

OTEL = Path(fa.__file__).parent / "otel"
CORPUS = Path(__file__).resolve().parents[1] / "eventlog_corpus"
TRACE = CORPUS / "traces-4f1e2d3c-weather_agent-0.log"
PREFIXES = ("gen_ai.", "flink_agents.", "error.type", "service.name")


def test_no_otel_module_but_the_names_spells_an_attribute_name() -> None:
    spelled = []
    for path in sorted(OTEL.glob("*.py")):
        if path.name == "_names.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and node.value.startswith(PREFIXES)
            ):
                spelled.append(f"{path.name}:{node.lineno} {node.value!r}")
    assert spelled == []


def _span_events(path: Path) -> dict[str, dict[str, object]]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        for resource in json.loads(line)["resourceSpans"]:
            for scope in resource["scopeSpans"]:
                for span in scope["spans"]:
                    for event in span.get("events", ()):
                        attrs = {a["key"]: a["value"] for a in event["attributes"]}
                        out[attrs["flink_agents.event.id"]["stringValue"]] = attrs
    return out


def test_an_upstream_other_than_its_spans_is_written_and_comes_back(tmp_path: Path) -> None:
    log = fa.read_event_log(TRACE)
    frame = log.frame.copy()
    events = frame.index[(frame["record_type"] == "event") & frame["upstream_event_id"].notna()]
    moved, cleared = events[0], events[1]
    frame.loc[moved, ["upstream_event_id", "upstream_action"]] = ["ev-elsewhere", "elsewhere"]
    frame.loc[cleared, ["upstream_event_id", "upstream_action"]] = [None, None]
    fa.export_otlp(EventLog(frame, [], log.files), path=tmp_path / "spans.jsonl")

    written = _span_events(tmp_path / "spans.jsonl")
    up_id, up_action = "flink_agents.event.upstream_id", "flink_agents.event.upstream_action"
    moved_id, cleared_id = frame.at[moved, "event_id"], frame.at[cleared, "event_id"]
    assert written[moved_id][up_id] == {"stringValue": "ev-elsewhere"}
    assert written[moved_id][up_action] == {"stringValue": "elsewhere"}
    assert written[cleared_id][up_id] == written[cleared_id][up_action] == {"stringValue": ""}
    others = [attrs for key, attrs in written.items() if key not in (moved_id, cleared_id)]
    assert others and all(up_id not in a and up_action not in a for a in others)  # the span's

    back = fa.read_otlp(tmp_path / "spans.jsonl").frame.set_index("event_id")
    back = back[back["record_type"] == "event"]
    assert back.at[moved_id, "upstream_event_id"] == "ev-elsewhere"
    assert back.at[moved_id, "upstream_action"] == "elsewhere"
    assert pd.isna(back.at[cleared_id, "upstream_event_id"])
    assert pd.isna(back.at[cleared_id, "upstream_action"])
    original = frame.set_index("event_id")
    original = original[original["record_type"] == "event"]
    for column in ("upstream_event_id", "upstream_action"):
        assert back[column].reindex(original.index).fillna("-").tolist() == (
            original[column].fillna("-").tolist()
        )
