"""OTLP export benchmark: N Flink Agents 0.4 trace records (default 1M) to an OTLP JSON Lines
file, timed by phase (read the log, build spans, SDK spans + OTLP encoding + JSON write),
against a baseline in the same run: ``json.dumps`` of the same spans as hand-built OTLP dicts.

Usage: ``.venv/bin/python benchmarks/bench_otel.py [--records N]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_eventlog import make_trace_logs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    from flink_agents_nb.eventlog._reader import read_event_log
    from flink_agents_nb.otel._export import _readable, otlp_json_lines
    from flink_agents_nb.otel._spans import spans_of

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "logs"
        d.mkdir()
        make_trace_logs(d, args.records)
        t0 = time.perf_counter()
        log = read_event_log(d)
        t1 = time.perf_counter()
        specs = spans_of(log)
        t2 = time.perf_counter()
        spans = _readable(specs, "flink-agents")
        out = Path(tmp) / "spans.jsonl"
        with open(out, "wb") as f:
            for line in otlp_json_lines(spans):
                f.write(line)
        t3 = time.perf_counter()
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
        t4 = time.perf_counter()
        size = out.stat().st_size / 1e6
        print(f"{len(log.frame):,} records -> {len(specs):,} spans, {size:.0f} MB OTLP JSON")
        print(f"read trace log        {t1 - t0:7.2f} s")
        print(f"build spans           {t2 - t1:7.2f} s")
        print(f"SDK spans+OTLP encode {t3 - t2:7.2f} s")
        print(f"export total          {t3 - t0:7.2f} s (from the file on disk to the OTLP file)")
        print(f"baseline json.dumps of the same spans: {t4 - t3:.2f} s "
              f"(OTel path / baseline: {(t3 - t2) / (t4 - t3):.1f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
