"""The ``flink-agents-nb`` command line: ``quickstart``, ``logs``, ``doctor`` and ``job``.

Each subcommand lives in its own module and registers itself in :data:`COMMANDS` through
``add_parser(subparsers)``; this module only dispatches.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    from flink_agents_nb.cli import _ops, _quickstart

    parser = argparse.ArgumentParser(
        prog="flink-agents-nb",
        description="Develop event-driven AI agents in Jupyter, run them on Apache Flink.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _quickstart.add_parser(sub)
    _ops.add_parser(sub)
    try:
        from flink_agents_nb.cli import _logs as _logs_cli
    except ImportError:  # the logs command ships with the event-log reader
        pass
    else:
        _logs_cli.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    from flink_agents_runtime import FlinkAgentsError

    args = _parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except FlinkAgentsError as exc:  # a bad option, file or input: its message says which
        print(f"flink-agents-nb {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # ``flink-agents-nb logs DIR | head``: the reader left early
        # (stdout points at nothing now, so the interpreter's exit flush cannot fail again)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a shell reports a process ended by SIGPIPE (128 + 13)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
