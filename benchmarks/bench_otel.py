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
    from flink_agents_nb.otel._spans import spans_of

    with tempfile.TemporaryDirectory() as tmp:
        d = args.logs
        if d is None:
            d = Path(tmp) / "logs"
            d.mkdir()
            make_trace_logs(d, args.records)
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        t0 = time.process_time()
        log = read_event_log(d)
        t1 = time.process_time()
        specs = spans_of(log)
        t2 = time.process_time()
        out = Path(tmp) / "spans.jsonl"
        with open(out, "wb") as f:  # what export_otlp(path=...) does
            for line in fast_json_lines(specs, "flink-agents"):
                f.write(line)
        t3 = time.process_time()
        sdk_s = None
        if args.sdk:
            with open(Path(tmp) / "sdk.jsonl", "wb") as f:
                for line in otlp_json_lines(_readable(specs, "flink-agents")):
                    f.write(line)
            sdk_s = time.process_time() - t3
            t3 = time.process_time()
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
        t4 = time.process_time()
        size = out.stat().st_size / 1e6
        print(f"{len(log.frame):,} records -> {len(specs):,} spans, {size:.0f} MB OTLP JSON")
        print(f"CPU s (load average now {os.getloadavg()[0]:.2f}):")
        print(f"read trace log        {t1 - t0:7.2f} s")
        print(f"build spans           {t2 - t1:7.2f} s")
        write_s = (t3 - t2) - (sdk_s or 0)
        print(f"write OTLP JSON lines {write_s:7.2f} s")
        print(f"export total          {t1 - t0 + t2 - t1 + write_s:7.2f} s (log file to OTLP file)")
        print(f"baseline json.dumps of the same spans: {t4 - t3:.2f} s")
        print(f"spans + write (the export past reading): {t2 - t1 + write_s:.2f} s, "
              f"{(t2 - t1 + write_s) / (t4 - t3):.2f}x the baseline")  # fmt: skip
        if sdk_s is not None:
            print(f"SDK path (ReadableSpan + encode_spans + MessageToDict): {sdk_s:.2f} s "
                  f"({sdk_s / write_s:.1f}x the file writer)")  # fmt: skip


if __name__ == "__main__":
    main()
