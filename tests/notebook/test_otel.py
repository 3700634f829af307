"""OpenTelemetry: runs and logs as OTLP GenAI traces (file, OTLP/HTTP to MLflow), and back."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import flink_agents_nb as fa
from flink_agents_nb.eventlog._reader import EventLog
from flink_agents_nb.otel._export import OtelExportError, export_otlp
from flink_agents_nb.otel._import import read_otlp
from flink_agents_runtime.chat._events import failed_tool_calls
from tests.helpers.triage_agent import Triage

CORPUS = Path(__file__).resolve().parents[1] / "eventlog_corpus"
TRACE = CORPUS / "traces-4f1e2d3c-weather_agent-0.log"
OTHER = CORPUS / "otlp_other_tool.jsonl"


def spans_in(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        for rs in json.loads(line)["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                out.extend(ss["spans"])
    return out


def attrs(span: dict[str, Any]) -> dict[str, Any]:
    return {a["key"]: next(iter(a["value"].values())) for a in span.get("attributes", [])}


def test_trace_log_to_otlp_json_lines_with_genai_conventions(tmp_path: Path) -> None:
    result = export_otlp(TRACE, path=tmp_path / "spans.jsonl")
    assert (result.spans, result.traces) == (15, 2)
    doc = json.loads((tmp_path / "spans.jsonl").read_text().splitlines()[0])
    (rs,) = doc["resourceSpans"]
    assert {"key": "service.name", "value": {"stringValue": "flink-agents"}} in rs["resource"][
        "attributes"
    ]
    spans = spans_in(tmp_path / "spans.jsonl")
    by_id = {s["spanId"]: s for s in spans}
    assert all(len(s["traceId"]) == 32 and len(s["spanId"]) == 16 for s in spans)
    assert all(
        isinstance(s["startTimeUnixNano"], str) and isinstance(s["kind"], int) for s in spans
    )
    roots = [s for s in spans if "parentSpanId" not in s]
    assert sorted(s["name"] for s in roots) == ["invoke_agent weather_agent"] * 2
    ok_root = next(s for s in roots if attrs(s)["gen_ai.conversation.id"] == "u1")
    assert attrs(ok_root)["gen_ai.usage.input_tokens"] == "120"  # int64 as a string in JSON
    chats = [s for s in spans if s["name"] == "chat qwen3:8b"]
    assert len(chats) == 3
    assert all(attrs(s)["gen_ai.operation.name"] == "chat" for s in chats)
    assert {by_id[s["parentSpanId"]]["name"] for s in chats} == {"chat_model_action"}
    tools = sorted(attrs(s)["gen_ai.tool.name"] for s in spans if s["name"].startswith("execute"))
    assert tools == ["get_time", "get_weather"]
    failed_root = next(s for s in roots if attrs(s)["gen_ai.conversation.id"] == "u2")
    assert attrs(failed_root)["error.type"] == "LLM_CALL_FAILED"
    assert failed_root["status"]["code"] == 2
    failed_chat = next(s for s in chats if s.get("status", {}).get("code") == 2)
    assert attrs(failed_chat)["error.type"] == "TIMEOUT"


def test_round_trip_keeps_tree_tokens_and_failures(tmp_path: Path) -> None:
    export_otlp(TRACE, path=tmp_path / "spans.jsonl")
    log = read_otlp(tmp_path / "spans.jsonl")
    assert log.problems == []
    assert log.summary()["prompt_tokens"] == 120 and log.summary()["completion_tokens"] == 30
    text = log.tree_text("u1")
    # the events come back as span events of the actions that sent them: the causal tree
    assert "            └─ action tool_call_action [ok] 42.000 ms\n" in text
    assert "               ├─ tool get_weather [ok] 7.000 ms\n" in text
    # a 0.4 parser span inside its action's span comes back as a call under that action
    assert (
        "└─ action process_chat_response [ok] 28.000 ms\n"
        "                           ├─ parser json_output [ok]"
    ) in text
    # the error text in the span status message, its category in error.type
    assert "llm qwen [failed] 7.000 ms (qwen3:8b): read timed out after 30 s" in log.tree_text("u2")
    # the same 0.4 metric names as the trace log's (the model resource kept in the spans)
    assert log.metrics["action.chat_model_action.model_resource.qwen.numOfLlmCallsFailed"] == 1
    again = tmp_path / "again.jsonl"
    export_otlp(log, path=again)  # an imported trace log exports again: the same spans
    first, second = spans_in(tmp_path / "spans.jsonl"), spans_in(again)
    assert second == first


def test_a_run_exports_chat_and_tool_spans_with_its_token_counts(tmp_path: Path) -> None:
    run = fa.local().from_list([{"key": "k", "value": "order 42"}]).apply(Triage()).execute()
    export_otlp(run, path=tmp_path / "run.jsonl")
    spans = spans_in(tmp_path / "run.jsonl")
    names = sorted(s["name"] for s in spans)
    assert names.count("chat triage-v1") == 2 and "execute_tool lookup_order" in names
    usage = sum(
        int(attrs(s).get("gen_ai.usage.input_tokens", 0))
        for s in spans
        if s["name"].startswith("chat")
    )
    assert usage == int(run.records["prompt_tokens"].sum())
    imported = read_otlp(tmp_path / "run.jsonl")
    assert imported.summary()["prompt_tokens"] == usage
    assert imported.step().current["event_type"] == "_input_event"


def test_the_agent_is_named_by_its_class_in_the_trace_log_and_the_spans(tmp_path: Path) -> None:
    config = {
        "job-identifier": "desk-job",
        "trace-log.base-dir": str(tmp_path / "traces"),
        # upstream's scope form, a whole entity type
        "trace-log.targets": [{"scope": "EVENT_ONLY"}, {"scope": {"entityType": "tool"}}],
    }
    inputs = [{"key": "k", "value": "order 42"}]
    run = fa.local(config=config).from_list(inputs).apply(Triage()).execute()
    (path,) = (tmp_path / "traces").glob("traces-desk-job-local-0.log")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert {r["agentName"] for r in records} == {"Triage"}  # not the job id
    assert {r["entityType"] for r in records} == {"event", "tool"}
    export_otlp(run, path=tmp_path / "run.jsonl")
    roots = [s for s in spans_in(tmp_path / "run.jsonl") if "parentSpanId" not in s]
    assert [s["name"] for s in roots] == ["invoke_agent Triage"]
    assert attrs(roots[0])["gen_ai.agent.name"] == "Triage"


def test_spans_of_another_tool_import_with_problems_never_fatal() -> None:
    log = read_otlp(OTHER)
    assert [(p.line, p.reason) for p in log.problems] == [
        (2, "not valid JSON (Expecting property name enclosed in double quotes)"),
        (3, "not an OTLP TracesData object"),
        (4, "a span without traceId or spanId"),
    ]
    f = log.frame
    assert set(f["key"]) == {"conv_5j66"} and f["run_id"].nunique() == 1
    calls = f[f["record_type"] == "call"].set_index("execution_id")
    assert calls.loc["6a9b8a4d2e1f0c33", ["entity_type", "status"]].tolist() == ["tool", "failed"]
    assert calls.loc["5fb397be34d26b51", "model"] == "gpt-4o"
    assert calls.loc["6a9b8a4d2e1f0c33", "error"] == "timeout"  # the span status's message
    # the calls made right under the agent span show in the tree, under the agent's action
    tree = log.tree_text().splitlines()
    assert tree[1] == "└─ action invoke_agent Travel Assistant [ok] 2500.000 ms"
    assert "   ├─ tool get_weather [failed] 250.000 ms: timeout" in tree
    assert sum("llm gpt-4o [ok]" in line for line in tree) == 2
    assert set(calls["action"]) == {"invoke_agent Travel Assistant"}  # the span they ran in
    assert (
        log.metrics[
            "action.invoke_agent Travel Assistant.model_resource.gpt-4o.numOfLlmCallsSucceeded"
        ]
        == 2
    )
    assert log.summary()["prompt_tokens"] == 277
    assert log.plot.tokens().data and log.plot.waterfall(input_seq=0).data
    assert fa.inspect(log).model.total == len(f)


def test_export_needs_a_target_and_names_the_unwritable_file(tmp_path: Path) -> None:
    with pytest.raises(OtelExportError, match="needs a path"):
        export_otlp(TRACE)
    (tmp_path / "dir").mkdir()
    with pytest.raises(OtelExportError, match=str(tmp_path / "dir")):
        export_otlp(TRACE, path=tmp_path / "dir")


@pytest.fixture(scope="module")
def mlflow_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.helpers.mlflow_server import mlflow_server

    with mlflow_server(tmp_path_factory.mktemp("mlflow")) as url:
        yield url


@pytest.mark.slow
def test_otlp_http_to_a_real_mlflow_server_and_query_back(mlflow_url: str) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(mlflow_url)
    experiment = client.create_experiment(f"otel-{time.time_ns()}")
    result = export_otlp(
        TRACE,
        endpoint=f"{mlflow_url}/v1/traces",
        headers={"x-mlflow-experiment-id": experiment},
    )
    assert result.spans == 15
    traces = client.search_traces(locations=[experiment])
    assert len(traces) == 2
    spans = [s for t in traces for s in t.data.spans]
    assert len(spans) == 15
    by_id = {s.span_id: s for s in spans}
    chats = [s for s in spans if s.name == "chat qwen3:8b"]
    assert {by_id[s.parent_id].name for s in chats} == {"chat_model_action"}
    tools = [s for s in spans if s.name.startswith("execute_tool")]
    assert {by_id[s.parent_id].name for s in tools} == {"tool_call_action"}
    used = [s for s in chats if "gen_ai.usage.input_tokens" in s.attributes]
    assert [
        (s.attributes["gen_ai.usage.input_tokens"], s.attributes["gen_ai.usage.output_tokens"])
        for s in used
    ] == [(120, 30)]
    roots = [s for s in spans if s.parent_id is None]
    assert sorted(s.attributes["gen_ai.conversation.id"] for s in roots) == ["u1", "u2"]
    # the business events arrive as span events of the actions that sent them
    sent = {
        (s.name, e.name, e.attributes["flink_agents.event.id"]) for s in spans for e in s.events
    }
    assert ("tool_call_action", "_tool_response_event", "ev-04") in sent
    assert len(sent) == 6  # every event but the two runs' inputs
    with pytest.raises(OtelExportError) as err:
        export_otlp(TRACE, endpoint=f"{mlflow_url}/v1/traces")  # no experiment header: 4xx
    assert f"could not send 15 spans to the OTLP collector at {mlflow_url}/v1/traces: " in str(
        err.value
    )
    assert "40" in str(err.value).rsplit(": ", 1)[-1] or "code" in str(err.value)  # the 4xx


@pytest.mark.slow
def test_an_exported_file_posted_as_otlp_json_reads_back_from_a_real_mlflow_server(
    mlflow_url: str, tmp_path: Path
) -> None:
    """The JSON Lines file itself is what a receiver takes: each line, as it is, an OTLP/JSON
    request body (``ExportTraceServiceRequest``'s JSON is ``TracesData``'s)."""
    import urllib.request

    from mlflow import MlflowClient

    client = MlflowClient(mlflow_url)
    experiment = client.create_experiment(f"otel-file-{time.time_ns()}")
    log = fa.read_event_log(TRACE)
    # other run ids, so other trace ids than the HTTP test's (MLflow keeps a trace id once)
    frame = log.frame.assign(run_id=log.frame["run_id"] + "-file")
    export_otlp(EventLog(frame, [], log.files), path=tmp_path / "spans.jsonl")
    for line in (tmp_path / "spans.jsonl").read_bytes().splitlines():
        request = urllib.request.Request(
            f"{mlflow_url}/v1/traces",
            data=line,
            headers={"Content-Type": "application/json", "x-mlflow-experiment-id": experiment},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
    traces = client.search_traces(locations=[experiment])
    spans = [s for t in traces for s in t.data.spans]
    assert (len(traces), len(spans)) == (2, 15)
    names = {s.span_id: s.name for s in spans}
    chats = [s for s in spans if s.name == "chat qwen3:8b"]
    assert {names[s.parent_id] for s in chats} == {"chat_model_action"}
    assert sorted(s.attributes["gen_ai.conversation.id"] for s in spans if s.parent_id is None) == [
        "u1",
        "u2",
    ]
    assert [
        s.attributes["gen_ai.usage.input_tokens"]
        for s in chats
        if "gen_ai.usage.input_tokens" in s.attributes
    ] == [120]
    sent = {
        (s.name, e.name, e.attributes["flink_agents.event.id"]) for s in spans for e in s.events
    }
    assert ("tool_call_action", "_tool_response_event", "ev-04") in sent and len(sent) == 6


def test_an_unreachable_collector_is_named_without_its_secrets(tmp_path: Path) -> None:
    from tests.helpers.ports import free_port

    port = free_port()  # nothing listens there
    url = f"http://alice:s3cret@127.0.0.1:{port}/v1/traces?api_key=TOPSECRET"
    with pytest.raises(OtelExportError) as err:
        export_otlp(TRACE, endpoint=url, headers={"Authorization": "Bearer XYZ1"}, timeout_s=1)
    message = str(err.value)
    assert message.startswith(
        f"could not send 15 spans to the OTLP collector at "
        f"http://alice:****@127.0.0.1:{port}/v1/traces?****: "
    )
    assert "refused" in message.lower()  # the exporter's reason, not a guess
    assert "s3cret" not in message and "TOPSECRET" not in message and "XYZ1" not in message


def test_fast_file_writer_agrees_with_the_sdk_path_through_the_otlp_proto() -> None:
    import base64

    from google.protobuf.json_format import MessageToDict, Parse
    from opentelemetry.proto.trace.v1.trace_pb2 import TracesData

    from flink_agents_nb.otel._export import _readable, fast_json_lines, otlp_json_lines
    from flink_agents_nb.otel._spans import built_spans, spans_of

    log = fa.read_event_log(TRACE)
    specs = spans_of(log)

    def parsed(line: bytes) -> list[dict[str, Any]]:
        doc = json.loads(line)
        for rs in doc["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    for name in ("traceId", "spanId", "parentSpanId"):
                        if name in span:  # OTLP JSON hex -> protobuf JSON base64
                            span[name] = base64.b64encode(bytes.fromhex(span[name])).decode()
        message = Parse(json.dumps(doc), TracesData())  # fails on anything not TracesData
        spans = MessageToDict(message)["resourceSpans"][0]["scopeSpans"][0]["spans"]
        for span in spans:
            span.pop("flags", None)  # the SDK sets W3C trace flags; the file does not need them
        return spans

    (fast,) = list(fast_json_lines(specs, "flink-agents"))
    (sdk,) = list(otlp_json_lines(_readable(specs, "flink-agents")))
    assert parsed(fast) == parsed(sdk)
    (tables,) = list(fast_json_lines(built_spans(log), "flink-agents"))  # what the file gets
    assert parsed(tables) == parsed(sdk)


def test_an_otlp_file_given_to_the_event_log_reader_says_how_to_read_it() -> None:
    log = fa.read_event_log(OTHER)
    assert log.frame.empty
    hint = [p for p in log.problems if p.line is None]
    assert [(p.file, p.reason) for p in hint] == [
        (
            str(OTHER),
            "an OpenTelemetry trace file (OTLP JSON Lines), not an event log: read it with"
            " fa.read_otlp",
        )
    ]
    assert len(log.problems) > 1  # each line's own problem is kept


def test_an_event_log_that_gives_no_rows_gets_no_otlp_hint(tmp_path: Path) -> None:
    log_file = tmp_path / "events.log"
    log_file.write_text('{"resourceNames": 1}\n{"x": "resourceSpans"}\n', encoding="utf-8")
    log = fa.read_event_log(log_file)
    assert log.frame.empty and log.problems
    assert not [p for p in log.problems if "OpenTelemetry" in p.reason]


def test_a_failed_tool_call_told_as_flink_agents_0_4_tells_it_exports_as_an_error(
    tmp_path: Path,
) -> None:
    """Flink Agents 0.4 writes a tool response event's failures as ``success``/``error``
    maps by call id, without the kit's ``errors`` list: its failed call is an error span."""
    run = fa.local().from_list([{"key": "k", "value": "order 42"}]).apply(Triage()).execute()
    records = run.records
    (row,) = records.index[records["event_type"] == "_tool_response_event"][:1]
    attributes = dict(records.at[row, "attributes"])
    (call_id,) = attributes["responses"]
    del attributes["errors"]
    attributes |= {"success": {call_id: False}, "error": {call_id: "Timeout: no answer"}}
    records.at[row, "attributes"] = attributes
    export_otlp(run, path=tmp_path / "run.jsonl")
    (tool,) = [s for s in spans_in(tmp_path / "run.jsonl") if s["name"].startswith("execute")]
    assert attrs(tool)["error.type"] == "tool_error" and tool["status"]["code"] == 2


def test_failed_tool_calls_are_read_from_either_writers_attributes() -> None:
    assert failed_tool_calls({"errors": ["a"], "success": {"a": False, "b": True}}) == {"a"}
    assert failed_tool_calls({"success": {"a": True, "b": False}, "error": {}}) == {"b"}
    assert failed_tool_calls({"error": {"c": "boom", "d": None}}) == {"c"}
    assert failed_tool_calls({"errors": "a", "success": ["x"]}) == set()
    assert failed_tool_calls(None) == set() and failed_tool_calls({}) == set()
