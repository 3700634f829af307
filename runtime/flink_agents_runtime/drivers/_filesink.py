"""Exactly-once outputs to files: Flink's ``FileSink``, committing on checkpoints.

PyFlink is imported inside the functions only (the runtime imports without it).
"""

from __future__ import annotations

import json
import os
from typing import Any


def to_json_line(value: Any) -> str:
    """An output as one JSON line (non-JSON values as their ``str``)."""
    return json.dumps(value, sort_keys=True, default=str)


def add_file_sink(stream: Any, path: str, *, prefix: str = "part") -> Any:
    """Write ``stream``'s outputs as JSON lines to Flink's ``FileSink`` at ``path``: files
    roll and commit on each checkpoint, so with checkpointing the outputs are exactly-once
    (in-progress files of a failed attempt are never committed). Returns the sink's
    ``DataStreamSink``. Committed files are ``{prefix}-*``; hidden ``.``-files are in flight.
    """
    from pyflink.common import Types
    from pyflink.common.serialization import Encoder
    from pyflink.datastream.connectors.file_system import (
        FileSink,
        OutputFileConfig,
        RollingPolicy,
    )

    sink = (
        FileSink.for_row_format(path, Encoder.simple_string_encoder())
        .with_rolling_policy(RollingPolicy.on_checkpoint_rolling_policy())
        .with_output_file_config(OutputFileConfig.builder().with_part_prefix(prefix).build())
        .build()
    )
    # a lambda travels by value: workers need not import this module
    lines = stream.map(lambda v: json.dumps(v, sort_keys=True, default=str), Types.STRING())
    return lines.sink_to(sink).name("exactly-once-file-sink")


def read_file_sink(path: str, *, prefix: str = "part") -> list[Any]:
    """The committed outputs under a :func:`add_file_sink` directory, parsed (file order)."""
    out: list[Any] = []
    for root, _dirs, files in sorted(os.walk(path)):
        for name in sorted(files):
            if name.startswith(prefix):
                with open(os.path.join(root, name), encoding="utf-8") as f:
                    out.extend(json.loads(line) for line in f if line.strip())
    return out
