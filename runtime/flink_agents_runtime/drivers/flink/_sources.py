"""Flink sources for :class:`~flink_agents_runtime.drivers._sources.DirectorySource`."""

from __future__ import annotations

from typing import Any

from pyflink.common import Duration, Types, WatermarkStrategy
from pyflink.datastream import DataStream, StreamExecutionEnvironment
from pyflink.datastream.connectors.file_system import FileSource, StreamFormat

from flink_agents_runtime.drivers._sources import DirectorySource, JsonLinePairs


def directory_stream(env: StreamExecutionEnvironment, source: DirectorySource) -> DataStream:
    """``(key, value)`` pairs from the JSON Lines files in ``source.path``, unbounded: the
    directory is listed every ``source.poll_ms`` ms. The file source has the stable uid
    ``jsonl-directory`` so that savepoints map its read positions."""
    files = (
        FileSource.for_record_stream_format(StreamFormat.text_line_format(), source.path)
        .monitor_continuously(Duration.of_millis(int(source.poll_ms)))
        .build()
    )
    lines: Any = env.from_source(files, WatermarkStrategy.no_watermarks(), "jsonl-directory")
    lines = lines.uid("jsonl-directory")
    pairs = lines.flat_map(
        JsonLinePairs(source.key, source.value), output_type=Types.PICKLED_BYTE_ARRAY()
    )
    return pairs.name("jsonl-to-pairs").uid("jsonl-to-pairs")
