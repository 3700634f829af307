"""Report size and time: ``run.report()`` for 800 triage inputs and for 100k events.

    .venv/bin/python benchmarks/bench_report.py [--events 100000]

Targets (issue 19): under 1 MB for 800 inputs of the triage agent (scripted model and a
tool, ~7.7k records) and under 5 MB for 100k events (the echo agent: 50k inputs, 150k
records). Prints each file's size, how much of it is plotly.js, and the time to write it;
the baseline beside it is the same figures written the former way (full plotly.js inlined,
one ``to_html`` per chart), without the records.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import plotly.io as pio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import flink_agents_nb as fa
from flink_agents_nb.charts import _dashboard as charts
from flink_agents_nb.charts._report_page import plotly_bundle_b64
from tests.helpers.triage_agent import Triage


def triage_run(n: int) -> fa.Run:
    inputs = [
        {"key": f"t{i % 50}", "value": f"where is order {i}" if i % 3 else "printer broken"}
        for i in range(n)
    ]
    return fa.local().from_list(inputs).apply(Triage()).execute()


def echo_run(events: int) -> fa.Run:
    agent = fa.Agent()
    agent.add_action(
        "echo", [fa.InputEvent], lambda e, ctx: ctx.send_event(fa.OutputEvent(e.input))
    )
    inputs = [{"key": i % 100, "value": i} for i in range(events // 2)]
    return fa.local().from_list(inputs).apply(agent).execute()


def old_charts_bytes(run: fa.Run) -> int:
    """The former report's charts: plotly.js inlined once, dashboard plus four charts."""
    frame = run.records
    figs = [
        charts.dashboard(frame),
        charts.throughput(frame),
        charts.latency(frame),
        charts.tokens(frame),
        charts.waterfall(frame, input_seq=charts.slowest_input(frame)),
    ]
    return sum(
        len(pio.to_html(f, full_html=False, include_plotlyjs=i == 0).encode())
        for i, f in enumerate(figs)
    )


def measure(name: str, run: fa.Run, folder: Path, limit_mb: float) -> None:
    t = time.perf_counter()
    path = run.report(folder / f"{name}.html")
    wall = time.perf_counter() - t
    size = path.stat().st_size
    plotly = len(plotly_bundle_b64())
    old = old_charts_bytes(run)
    ok = "OK" if size < limit_mb * 1e6 else "OVER"
    print(
        f"{name:<28} {len(run.records):>9,} records {size / 1e6:>7.2f} MB "
        f"(plotly.js {plotly / 1e6:.2f} MB) in {wall:5.2f} s; target < {limit_mb} MB: {ok}; "
        f"former charts alone {old / 1e6:.2f} MB (ratio {old / size:.1f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        measure("triage, 800 inputs", triage_run(800), folder, 1.0)
        measure(f"echo, {args.events:,} events", echo_run(args.events), folder, 5.0)


if __name__ == "__main__":
    main()
