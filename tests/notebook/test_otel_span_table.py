"""A trace log's spans laid out straight from their span tables (what ``export_otlp`` writes
to a file) are, byte for byte, the OTLP JSON lines of the same spans as SpanSpecs (what the
OTLP/HTTP path sends, and what the SDK path is checked against in ``test_otel.py``)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import flink_agents_nb as fa
from flink_agents_nb.eventlog._reader import EventLog
from flink_agents_nb.otel._export import _readable, otlp_json_lines
from flink_agents_nb.otel._json_lines import BATCH, json_lines
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
