"""A trace log's spans laid out straight from their span tables (what ``export_otlp`` writes
to a file) are, byte for byte, the OTLP JSON lines of the same spans as SpanSpecs (what the
OTLP/HTTP path sends, and what the SDK path is checked against in ``test_otel.py``)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import flink_agents_nb as fa
from flink_agents_nb.eventlog._reader import EventLog
from flink_agents_nb.otel._export import _readable, otlp_json_lines
from flink_agents_nb.otel._json_lines import BATCH, json_lines
from flink_agents_nb.otel._names import EVENT_ID
from flink_agents_nb.otel._span_table import SpanTable, object_array
from flink_agents_nb.otel._spans import built_spans
from flink_agents_nb.otel._trace_spans import TracedTables

CORPUS = Path(__file__).resolve().parents[1] / "eventlog_corpus"
TRACE = CORPUS / "traces-4f1e2d3c-weather_agent-0.log"
FLAT = CORPUS / "events-a3f1c2d4-weather_agent-0.log"


def _both(frame: pd.DataFrame, agent: str | None = None) -> tuple[bytes, bytes, TracedTables]:
    built = built_spans(EventLog(frame, [], []), agent)
    assert isinstance(built, TracedTables)  # a trace frame: the column-wise path
    laid = b"".join(built.lines("svc"))
    return laid, b"".join(json_lines(built.specs(), "svc")), built


@pytest.mark.parametrize("path", [TRACE, FLAT], ids=["trace-log", "flat-with-context"])
def test_the_tables_lay_out_the_specs_bytes(path: Path) -> None:
    frame = fa.read_event_log(path).frame
    laid, specs, _ = _both(frame)
    assert laid == specs and b'"events":[' in laid
    laid, specs, _ = _both(frame, agent="named")
    assert laid == specs and b'"invoke_agent named"' in laid


def test_the_same_over_many_lines_and_odd_values() -> None:
    """Several lines (batch boundaries inside runs), runs without actions or calls, failed
    and replayed executions, missing durations and attempts, a sub-agent's rows, an event
    whose upstream differs from its span's."""
    base = fa.read_event_log(TRACE).frame
    copies = []
    for i in range(3 * BATCH // 10):  # (a run makes 7 or 8 spans, events only 1)
        copy = base.copy()
        copy["run_id"] = copy["run_id"].astype(str) + f"-{i}"
        if i % 3 == 0:  # events only: a root with its span events
            copy = copy[copy["record_type"] == "event"]
        if i % 5 == 1:
            copy["duration_ms"] = float("nan")
            copy["attempt"] = pd.array([None] * len(copy), dtype="Int64")
            copy.loc[copy["record_type"] == "call", "status"] = "failed"
        if i % 7 == 2:
            copy["agent_name"] = ["helper" if j % 2 else "main" for j in range(len(copy))]
            copy["upstream_action"] = "somewhere"
        copies.append(copy)
    frame = pd.concat(copies, ignore_index=True)
    laid, specs, built = _both(frame)
    assert len(laid.splitlines()) > 2 and len(built) > 2 * BATCH
    assert laid == specs
    for text in (b"flink_agents.duration.missing", b'"somewhere"', b'"helper"', b'"code":2'):
        assert text in laid
    # and what OpenTelemetry's SDK encodes for the same spans, read by opentelemetry-proto
    sdk = b"".join(otlp_json_lines(_readable(built.specs(), "svc")))
    assert _proto_spans(laid) == _proto_spans(sdk)


def _proto_spans(lines: bytes) -> list[dict[str, Any]]:
    """The spans of OTLP JSON lines as opentelemetry-proto parses them (``TracesData``)."""
    from google.protobuf.json_format import MessageToDict, Parse
    from opentelemetry.proto.trace.v1.trace_pb2 import TracesData

    out = []
    for line in lines.splitlines():
        doc = json.loads(line)
        for rs in doc["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    for name in ("traceId", "spanId", "parentSpanId"):
                        if name in span:  # OTLP JSON hex -> protobuf JSON base64
                            span[name] = base64.b64encode(bytes.fromhex(span[name])).decode()
        message = MessageToDict(Parse(json.dumps(doc), TracesData()))
        for rs in message["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    span.pop("flags", None)  # the SDK sets W3C trace flags; the file need not
                    out.append(span)
    return out


#: Text JSON must escape or may carry raw: a quote, a backslash, a newline, control
#: characters, non-ASCII, line and paragraph separators and NEL (``str.splitlines`` splits
#: at them), and a lone surrogate (``json.loads`` gives one for a ``"\ud83d"`` escape;
#: UTF-8 has none: written as U+FFFD).
ODD = 'q"uo\\te\nnl\x01ctl\x7f é😀 \u2028ls\u2029ps\u0085nel \ud83d'
WRITTEN = ODD.replace("\ud83d", "\ufffd")


def test_odd_text_in_every_text_column_is_written_and_read_back(tmp_path: Path) -> None:
    frame = fa.read_event_log(TRACE).frame
    (tmp_path / "plain.jsonl").write_bytes(_both(frame)[0])
    plain = fa.read_otlp(tmp_path / "plain.jsonl").frame  # (a lone start record: no span)
    calls = frame["record_type"] == "call"
    frame.loc[calls, "status"] = "failed"
    frame.loc[calls, "error"] = f"Boom: {ODD}"
    frame["action"] = [None if a is None else f"{a}{ODD}" for a in frame["action"]]
    frame["entity_name"] = [None if a is None else f"{a}{ODD}" for a in frame["entity_name"]]
    frame["agent_name"] = [f"sub{ODD}" if i % 2 else "main" for i in range(len(frame))]
    frame["model"] = [None if m is None or m != m else f"{m}{ODD}" for m in frame["model"]]
    frame["upstream_action"] = f"up{ODD}"
    laid, specs, built = _both(frame)
    assert laid == specs  # the tables' bytes are the SpanSpecs'
    assert "\ufffd".encode() in laid and "\u2028".encode() in laid  # (raw, as msgspec has it)
    sdk = b"".join(otlp_json_lines(_readable(built.specs(), "svc")))
    assert _proto_spans(laid) == _proto_spans(sdk)
    path = tmp_path / "odd.jsonl"
    path.write_bytes(laid)
    back = fa.read_otlp(path)
    assert back.problems == []
    rows = back.frame
    assert len(rows) == len(plain) and rows["event_id"].equals(plain["event_id"])
    assert set(rows.loc[rows["record_type"] == "call", "error"]) == {f"Boom: {WRITTEN}"}
    sent = (rows["record_type"] == "event") & plain["upstream_event_id"].notna()
    assert sent.any() and set(rows.loc[sent, "upstream_action"]) == {f"up{WRITTEN}"}
    assert f"sub{WRITTEN}" in set(rows["agent_name"])
    original_actions = {f"{a}{WRITTEN}" for a in fa.read_event_log(TRACE).frame["action"] if a}
    assert original_actions <= set(rows["action"].dropna())
    assert any(WRITTEN in str(m) for m in rows["model"].dropna())


def test_equal_values_of_different_types_keep_their_types() -> None:
    """``True``, ``1`` and ``1.0`` are equal dict keys: each keeps its own OTLP type, in a
    span table's column as in the SpanSpecs' JSON; an id attribute that is not a string
    is written as its type says, not as ``stringValue``."""
    values = [True, 1, 1.0, None, 2, False]
    column = object_array(values)
    ids = object_array([None, 7, "e-1", None, "e-2", None])
    n = len(values)
    table = SpanTable(
        list(range(1, n + 1)), list(range(11, 11 + n)), [0] * n, ["root"] * n,
        [1_000] * n, [2_000] * n, [None] * n, [("x.flag", column), (EVENT_ID, ids)],
    )  # fmt: skip
    empty = SpanTable([], [], [], [], [], [], [], [])
    built = TracedTables([table, empty, empty], np.zeros(n, dtype=np.int64), np.arange(n))
    laid = b"".join(built.lines("svc"))
    assert laid == b"".join(json_lines(built.specs(), "svc"))
    spans = json.loads(laid)["resourceSpans"][0]["scopeSpans"][0]["spans"]
    written = [{a["key"]: a["value"] for a in s["attributes"]} for s in spans]
    assert [w.get("x.flag") for w in written] == [
        {"boolValue": True}, {"intValue": "1"}, {"doubleValue": 1.0}, None,
        {"intValue": "2"}, {"boolValue": False},
    ]  # fmt: skip
    assert written[1][EVENT_ID] == {"intValue": "7"}
    assert written[2][EVENT_ID] == {"stringValue": "e-1"}


def test_missing_values_of_any_dtype_write_no_attribute() -> None:
    """``pd.NA`` (a nullable string column's missing value) is as missing as ``None``:
    never written as ``"<NA>"``."""
    frame = fa.read_event_log(TRACE).frame
    for name in ("key", "event_type", "execution_id", "model", "agent_name", "event_id"):
        values = frame[name].astype(object).where(frame[name].notna(), None).tolist()
        values[::3] = [None] * len(values[::3])
        frame[name] = pd.array(values, dtype="string")
    laid, specs, _ = _both(frame)
    assert laid == specs and b"<NA>" not in laid
