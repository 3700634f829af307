"""``flink-agents-nb logs PATH [--tree KEY] [--json]``: summarise an event log.

Any log the reader reads (ours, Flink Agents 0.3.1 and 0.4 Trace Logs, a directory of
them), and an OTLP JSON Lines file of GenAI spans (``fa.read_otlp``). Prints events per
type and per key, the time span, token usage and every problem (records
that could not be read, broken causal links); ``--tree KEY`` draws the causal tree of each
input of ``KEY`` instead; ``--json`` prints the same as one JSON document.

Exit codes: 0 read (problems are reported, not errors), 2 no such path, nothing readable at
it (an empty path, a FIFO or device, a symbolic link loop, a directory without event logs)
or no tree for KEY.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from flink_agents_nb.eventlog._reader import EventLog, read_event_log
from flink_agents_nb.eventlog.files._sources import is_otlp_file

DESCRIPTION = (
    "Summarise an event log: ours, a Flink Agents 0.3.1 event log or 0.4 Trace Log "
    "(traces-*.log, *.trace-log.log), a directory of them, or an OTLP JSON Lines file of "
    "GenAI spans."
)


def _read(path: str) -> EventLog:
    if is_otlp_file(path):
        from flink_agents_nb.otel._import import read_otlp

        return read_otlp(path)
    return read_event_log(path)


def _main(args: argparse.Namespace) -> int:
    try:
        log = _read(args.path)
    except FileNotFoundError as exc:
        print(f"flink-agents-nb logs: {exc}", file=sys.stderr)
        return 2
    if not log.files:  # nothing readable at PATH (an empty path, a FIFO, a link loop, ...)
        for problem in log.problems:
            print(f"flink-agents-nb logs: {problem}", file=sys.stderr)
        if os.path.isdir(args.path):  # (a directory of other logs only, Flink's log/ say)
            print(f"flink-agents-nb logs: no event-log file in {args.path}", file=sys.stderr)
        return 2
    if args.tree is not None:
        trees = log.trees(key=args.tree)
        if not trees:
            print(
                f"flink-agents-nb logs: no input with key {args.tree!r} in {args.path}",
                file=sys.stderr,
            )
            return 2
        if args.json:
            print(json.dumps({"key": args.tree, "trees": [t.to_dict() for t in trees]}))
        else:
            print(log.tree_text(key=args.tree))
        return 0
    if args.json:
        doc: dict[str, Any] = log.summary()
        doc["problems"] = [p.to_dict() for p in log.problems_in_order()]
        print(json.dumps(doc, default=str))
    else:
        print(log.summary_text(max_rows=args.max_rows))
    return 0


def _positive(text: str) -> int:
    """An integer >= 1 (argparse type): anything else is a usage error naming the value."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not an integer >= 1")
    return value


def add_parser(subparsers: Any) -> None:
    """Register the ``logs`` subcommand."""
    parser = subparsers.add_parser(
        "logs",
        help="summarise an event log (file or directory)",
        description=DESCRIPTION,
    )
    parser.add_argument(
        "path", help="an event-log or trace-log file, a directory of them, or an OTLP .jsonl"
    )
    parser.add_argument("--tree", metavar="KEY", help="draw the causal tree of KEY's inputs")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--max-rows", type=_positive, default=20, help="rows per section of the text summary"
    )
    parser.set_defaults(func=_main)
