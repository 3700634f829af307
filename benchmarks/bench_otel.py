"""OTLP export benchmark: N Flink Agents 0.4 trace records (default 1M) to an OTLP JSON Lines
file, timed by phase (read the log, build spans, write the OTLP JSON lines), against a
baseline in the same run (``json.dumps`` of the same spans as minimal OTLP dicts) and, with
``--sdk``, the OpenTelemetry SDK path (``ReadableSpan`` + ``encode_spans`` + protobuf JSON).

Times are CPU seconds of this process (``time.process_time``: the machine is shared, wall
time is noisy), with the load average printed beside them.

Usage: ``.venv/bin/python benchmarks/bench_otel.py [--records N] [--logs DIR] [--sdk]``
(``--logs``: an existing directory of trace logs instead of writing N records)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_eventlog import make_trace_logs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--sdk", action="store_true", help="also time the SDK encoding path")
    parser.add_argument("--logs", type=Path, help="read these trace logs (else write N records)")
    args = parser.parse_args()
    from flink_agents_nb.eventlog._reader import read_event_log
    from flink_agents_nb.otel._export import _readable, fast_json_lines, otlp_json_lines
    from flink_agents_nb.otel._spans import built_spans, gc_paused

    with tempfile.TemporaryDirectory() as tmp:
        d = args.logs
        if d is None:
            d = Path(tmp) / "logs"
            d.mkdir()
            make_trace_logs(d, args.records)
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        clock = time.process_time
        t0 = clock()
        log = read_event_log(d)
        read_s, t0 = clock() - t0, clock()
        with gc_paused():  # what export_otlp does: a trace log's spans as tables
            built = built_spans(log)
        build_s, t0 = clock() - t0, clock()
        out = Path(tmp) / "spans.jsonl"
        with open(out, "wb") as f:  # what export_otlp(path=...) does
            for line in fast_json_lines(built, "flink-agents"):
                f.write(line)
        write_s, t0 = clock() - t0, clock()
        specs = built if isinstance(built, list) else built.specs()  # OTLP/HTTP's input
        specs_s, t0 = clock() - t0, clock()
        sdk_s = None
        if args.sdk:
            with open(Path(tmp) / "sdk.jsonl", "wb") as f:
                for line in otlp_json_lines(_readable(specs, "flink-agents")):
                    f.write(line)
            sdk_s, t0 = clock() - t0, clock()
        with open(Path(tmp) / "baseline.jsonl", "w") as f:
            for s in specs:
                doc = {
                    "traceId": f"{s.trace_id:032x}",
                    "spanId": f"{s.span_id:016x}",
                    "name": s.name,
                    "startTimeUnixNano": str(s.start_ns),
                    "endTimeUnixNano": str(s.end_ns),
                    "attributes": [
                        {"key": k, "value": {"stringValue": str(v)}}
                        for k, v in s.attributes.items()
                    ],
                }
                f.write(json.dumps(doc) + "\n")
        base_s = clock() - t0
        size = out.stat().st_size / 1e6
        print(f"{len(log.frame):,} records -> {len(specs):,} spans, {size:.0f} MB OTLP JSON")
        print(f"CPU s (load average now {os.getloadavg()[0]:.2f}):")
        print(f"read trace log        {read_s:7.2f} s")
        print(f"build spans           {build_s:7.2f} s (SpanSpecs for OTLP/HTTP: +{specs_s:.2f} s)")
        print(f"write OTLP JSON lines {write_s:7.2f} s")
        print(f"export total          {read_s + build_s + write_s:7.2f} s (log file to OTLP file)")
        print(f"baseline json.dumps of the same spans: {base_s:.2f} s")
        print(
            f"spans + write (the export past reading): {build_s + write_s:.2f} s, "
            f"{(build_s + write_s) / base_s:.2f}x the baseline"
        )
        if sdk_s is not None:
            print(
                f"SDK path (ReadableSpan + encode_spans + MessageToDict): {sdk_s:.2f} s "
                f"({sdk_s / write_s:.1f}x the file writer)"
            )


if __name__ == "__main__":
    main()
