"""The Trace Log sink a configuration asks for (``trace-log.*`` keys), if any."""

from __future__ import annotations

import logging
import os
import tempfile
from typing import Any

from flink_agents_runtime.api._metrics import MetricGroup
from flink_agents_runtime.eventlog._targets import TargetResolver
from flink_agents_runtime.eventlog._trace_sink import TraceLogSink
from flink_agents_runtime.eventlog._truncate import Truncator

logger = logging.getLogger(__name__)


def trace_sink_for_task(
    config: Any,
    job_id: str,
    task_name: str,
    subtask_index: int,
    metrics: MetricGroup | None = None,
    flush_every: int = 1,
    agent_name: str | None = None,
) -> TraceLogSink | None:
    """The Trace Log sink ``config`` asks for, or ``None``: no ``trace-log.base-dir`` and no
    ``trace-log.output-type``, or every target ``OFF``. ``output-type: FILE`` without a
    base directory writes into ``flink-agents`` in the temporary directory (upstream's
    default, ``java.io.tmpdir/flink-agents``). Raises
    :class:`~flink_agents_runtime.eventlog._targets.TraceTargetError` on bad targets."""
    base_dir = config.get("trace-log.base-dir")
    output = str(config.get("trace-log.output-type") or ("FILE" if base_dir else "")).upper()
    if output not in ("FILE", "SLF4J"):
        return None
    if output == "FILE" and not base_dir:
        base_dir = os.path.join(tempfile.gettempdir(), "flink-agents")
        logger.info(
            "trace-log.output-type FILE without trace-log.base-dir: writing into %s", base_dir
        )
    targets = TargetResolver.from_config(config)
    if targets.all_off:
        return None
    truncator = Truncator.from_config(config, "trace-log")
    return TraceLogSink(
        targets,
        truncator,
        job_id,
        task_name,
        subtask_index,
        base_dir if output == "FILE" else None,
        agent_name=agent_name or str(config.get("job-identifier") or job_id),
        pretty=bool(config.get("trace-log.pretty-print")),
        flush_every=flush_every,
        metrics=metrics,
    )
