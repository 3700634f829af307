"""Export GenAI spans: an OTLP JSON Lines file, OTLP/HTTP with OpenTelemetry's exporter.

:func:`export_otlp` takes a run, an event log (any format), a path to one, or a finished
Flink job's log directory, builds spans (:mod:`._spans`), and

- to a file (``path=``): the OpenTelemetry file-exporter format: JSON Lines, one
  ``TracesData`` object a line (``resourceSpans``), ids as hex, times as decimal strings of
  nanoseconds, enums as integers. Written by :func:`fast_json_lines` (the SDK path,
  :func:`otlp_json_lines`: ``ReadableSpan`` + ``encode_spans`` + protobuf's JSON, gives the
  same spans many times slower; a test checks they agree through opentelemetry-proto's parser);
- to a collector (``endpoint=``, e.g. ``http://127.0.0.1:4318/v1/traces``): sends them with
  ``opentelemetry-exporter-otlp-proto-http``'s ``OTLPSpanExporter`` (protobuf over HTTP),
  ``headers`` added to each request.

These packages are notebook-layer dependencies (installed with the kit, imported only here);
the runtime never imports them.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import re
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flink_agents_nb.otel._json_lines import BATCH as JSON_LINES_BATCH
from flink_agents_nb.otel._json_lines import SCOPE, clean
from flink_agents_nb.otel._names import SERVICE_NAME
from flink_agents_runtime._errors import FlinkAgentsError
from flink_agents_runtime._redact import redact_text, redact_url

if TYPE_CHECKING:
    from flink_agents_nb.otel._trace_spans import TracedTables

#: Spans per OTLP request / per line of the JSON Lines file.
BATCH = JSON_LINES_BATCH


class OtelExportError(FlinkAgentsError, RuntimeError):
    """The spans could not be written or sent (names the file or endpoint)."""


@dataclass
class ExportResult:
    """What an export did: ``spans`` and ``traces`` counted, the ``path`` written or the
    ``endpoint`` sent to (its password and query string hidden)."""

    spans: int
    traces: int
    path: str | None = None
    endpoint: str | None = None


def _readable(specs: list[Any], service_name: str) -> list[Any]:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import Event, ReadableSpan
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

    resource = Resource.create({SERVICE_NAME: service_name})
    scope = InstrumentationScope(SCOPE[0], SCOPE[1], attributes=SCOPE[2])
    sampled = TraceFlags(TraceFlags.SAMPLED)
    ok, unset = Status(StatusCode.OK), Status(StatusCode.UNSET)
    out = []
    for s in specs:
        context = SpanContext(s.trace_id, s.span_id, False, sampled)
        parent = SpanContext(s.trace_id, s.parent_id, False, sampled) if s.parent_id else None
        error = _text(s.error)
        status = Status(StatusCode.ERROR, error) if error else (ok if s.parent_id else unset)
        out.append(
            ReadableSpan(
                _text(s.name),
                context,
                parent,
                resource,
                _texts(s.attributes),
                kind=SpanKind.INTERNAL if s.kind == "INTERNAL" else SpanKind.CLIENT,
                status=status,
                start_time=s.start_ns,
                end_time=s.end_ns,
                instrumentation_scope=scope,
                events=[Event(_text(n), _texts(a), timestamp=t) for n, t, a in s.events],
            )
        )
    return out


def _text(value: Any) -> Any:
    """A string with its lone surrogates as U+FFFD (protobuf cannot encode one, as the
    JSON Lines file cannot: :func:`._json_lines.clean`); other values as they are."""
    if isinstance(value, str) and not value.isascii():
        return clean(value)
    return value


def _texts(attributes: Mapping[str, Any]) -> dict[str, Any]:
    return {_text(k): _text(v) for k, v in attributes.items()}


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _hex_ids(node: Any) -> Any:
    """protobuf's JSON has ids in base64; OTLP JSON wants lowercase hex."""
    if isinstance(node, dict):
        for name in ("traceId", "spanId", "parentSpanId"):
            value = node.get(name)
            if isinstance(value, str):
                node[name] = base64.b64decode(value).hex()
        for value in node.values():
            if isinstance(value, (dict, list)):
                _hex_ids(value)
    elif isinstance(node, list):
        for value in node:
            _hex_ids(value)
    return node


def otlp_json_lines(spans: list[Any]) -> Iterator[bytes]:
    """SDK spans as OTLP JSON lines (``TracesData`` objects), :data:`BATCH` spans a line."""
    from google.protobuf.json_format import MessageToDict
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    for batch in _batches(spans, BATCH):
        request = encode_spans(batch)  # ExportTraceServiceRequest: resource_spans
        doc = MessageToDict(request, use_integers_for_enums=True)
        yield json.dumps(_hex_ids(doc), separators=(",", ":")).encode("utf-8") + b"\n"


def fast_json_lines(specs: list[Any] | TracedTables, service_name: str) -> Iterator[bytes]:
    """The same OTLP JSON lines as :func:`otlp_json_lines` (``TracesData``: ids hex, times
    decimal strings, enums as integers, status OK on ended child spans), laid out straight
    from the span specs (:mod:`._json_lines`) or a trace log's span tables (the same bytes,
    :mod:`._span_table`), ~30x faster for bulk files than SDK spans + protobuf + JSON
    (``benchmarks/bench_otel.py --sdk``). A test parses its output with opentelemetry-proto's
    ``TracesData`` and compares it with the SDK path's."""
    from flink_agents_nb.otel._json_lines import json_lines
    from flink_agents_nb.otel._spans import gc_paused

    if isinstance(specs, list):
        lines = json_lines(specs, service_name)
    else:  # a trace log's span tables (_trace_spans.TracedTables): the same lines
        lines = specs.lines(service_name)
    while True:
        with gc_paused():  # between yields only: the caller's code runs as usual
            line = next(lines, None)
        if line is None:
            return
        yield line


def _source_of(source: Any) -> Any:
    if isinstance(source, (str, os.PathLike)):
        from flink_agents_nb.eventlog._reader import read_event_log

        return read_event_log(source)
    result = getattr(source, "result", None)  # a finished Flink job (PromotedRun, JobResult)
    log_files = getattr(result, "log_files", None) or getattr(source, "log_files", None)
    if log_files and not hasattr(source, "frame") and not hasattr(source, "records"):
        from flink_agents_nb.eventlog._reader import read_event_log

        return read_event_log(Path(log_files[0]).parent)
    return source


def _agent_of(source: Any) -> str | None:
    """The agent class name a run (``Run``, ``RunResult``, a promoted or finished job's
    result) carries, else ``None``."""
    for holder in (source, getattr(source, "result", None)):
        name = getattr(holder, "agent", None)
        if isinstance(name, str) and name:
            return name
    return None


def export_otlp(
    source: Any,
    path: str | os.PathLike[str] | None = None,
    endpoint: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    service_name: str = "flink-agents",
    agent_name: str | None = None,
    timeout_s: float = 30.0,
) -> ExportResult:
    """Export ``source`` as OTLP traces to ``path`` (JSON Lines) and/or ``endpoint``.

    Args:
        source: a ``Run``, an ``EventLog``, a log file or directory (any supported
            format), or a finished Flink job (its log directory is read).
        path: the OTLP JSON Lines file to write (replaced if it exists).
        endpoint: an OTLP/HTTP traces URL (``.../v1/traces``).
        headers: extra HTTP headers (e.g. ``{"x-mlflow-experiment-id": "1"}``); never logged.
        service_name: the ``service.name`` resource attribute.
        agent_name: ``gen_ai.agent.name`` (default: the agent's class name for a run, a
            trace log's ``agentName``, else the task name, else the job id).
        timeout_s: per-request timeout of the HTTP exporter, in seconds.

    Raises :class:`OtelExportError` when the file cannot be written or the spans do not
    reach the collector (the endpoint named with its password and query string hidden,
    the exporter's reason given; headers never shown).
    """
    if path is None and endpoint is None:
        raise OtelExportError("export_otlp needs a path (OTLP JSON Lines file) or an endpoint")
    from flink_agents_nb.otel._spans import built_spans, gc_paused

    with gc_paused():
        specs = built_spans(_source_of(source), agent_name or _agent_of(source))
    if isinstance(specs, list):
        result = ExportResult(len(specs), len({s.trace_id for s in specs}))
    else:  # a trace log's span tables
        result = ExportResult(len(specs), specs.traces)
    if path is not None:
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as out:
                for line in fast_json_lines(specs, service_name):
                    out.write(line)
        except OSError as exc:
            raise OtelExportError(f"cannot write OTLP JSON Lines to {target}: {exc}") from exc
        result.path = str(target)
    if endpoint is not None:
        listed = specs if isinstance(specs, list) else specs.specs()
        _send(_readable(listed, service_name), endpoint, dict(headers or {}), timeout_s)
        result.endpoint = shown_endpoint(endpoint)
    return result


def shown_endpoint(endpoint: str) -> str:
    """``endpoint`` for messages and reprs: its password and its query string (which may
    hold an API key) as ``****``."""
    url = redact_url(endpoint)
    return _QUERY.sub("?****", url)


_QUERY = re.compile(r"\?[^\s)'\"]+")
_EXPORTER_LOGGER = "opentelemetry.exporter.otlp.proto.http"


class _Reasons(logging.Handler):
    """Collects the OTLP exporter's warnings during one export: why a batch failed."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.messages.append(record.getMessage())

    def reason(self, endpoint: str) -> str:
        """The most telling message (a specific one before the exporter's summary), with
        the endpoint's secrets hidden; ``""`` when the exporter said nothing."""
        specific = [
            m for m in self.messages if not m.startswith("Failed to export spans batch due")
        ]
        text = (specific or self.messages or [""])[0]
        return _QUERY.sub("?****", redact_text(text, [urlsplit(endpoint).password]))


def _probe(endpoint: str) -> str:
    """Whether anything accepts connections at ``endpoint``'s host and port, in words
    (``""`` when something does): the exporter's own summary does not say why it gave up."""
    parts = urlsplit(endpoint)
    try:
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return ""
    try:
        with socket.create_connection((host, port), timeout=2):
            return ""
    except OSError as exc:
        return f"(nothing accepts connections at {host}:{port}: {exc.strerror or exc})"


def _send(spans: list[Any], endpoint: str, headers: dict[str, str], timeout_s: float) -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    exporter = OTLPSpanExporter(endpoint=endpoint, headers=headers, timeout=timeout_s)
    reasons = _Reasons()
    log = logging.getLogger(_EXPORTER_LOGGER)
    log.addHandler(reasons)
    try:
        for batch in _batches(spans, BATCH):
            if exporter.export(batch) is not SpanExportResult.SUCCESS:
                why = reasons.reason(endpoint) or "no answer (see the exporter's log)"
                if why.startswith("Failed to export spans batch due"):  # says no more
                    why = f"{why} {_probe(endpoint)}".rstrip()
                raise OtelExportError(
                    f"could not send {len(batch)} spans to the OTLP collector at "
                    f"{shown_endpoint(endpoint)}: {why}"
                )
    finally:
        log.removeHandler(reasons)
        exporter.shutdown()
