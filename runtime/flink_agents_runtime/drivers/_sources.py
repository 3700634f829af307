"""Unbounded inputs described in plain Python: a monitored directory of JSON Lines files.

A :class:`DirectorySource` says where inputs arrive and how to key them; the Flink driver
turns it into Flink's ``FileSource`` (monitoring the directory, checkpointing which files and
offsets it has read, so a restore neither skips nor repeats a line). Each line is one JSON
object; the key is its ``key`` field and the value the ``value`` field, or the whole object
when ``value`` is ``None``. A line that is not a JSON object with the key field is skipped
and logged with its file position, never fatal: one bad line must not stop a stream.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DirectorySource:
    """Inputs from JSON Lines files in ``path``, read as they appear.

    Attributes:
        path: the directory to monitor (files added later are read too).
        key: the field of each object that keys it.
        value: the field holding the input value; ``None`` takes the whole object.
        poll_ms: how often the directory is listed for new files, in milliseconds.
    """

    path: str
    key: str = "key"
    value: str | None = "value"
    poll_ms: int = 1000


@dataclass(frozen=True)
class JsonLinePairs:
    """Turns a line into ``[(key, value)]``, or ``[]`` for a line it cannot use (logged)."""

    key: str
    value: str | None

    def __call__(self, line: str) -> list[tuple[Any, Any]]:
        text = line.strip()
        if not text:
            return []
        try:
            obj = json.loads(text)
        except ValueError as exc:
            logger.warning("skipped an input line that is not JSON (%s): %.200s", exc, text)
            return []
        if not isinstance(obj, dict) or self.key not in obj:
            logger.warning("skipped an input line without key field %r: %.200s", self.key, text)
            return []
        key = obj[self.key]
        if isinstance(key, (list, dict)):
            logger.warning("skipped an input line whose key %r is not a scalar: %.200s", key, text)
            return []
        return [(key, obj if self.value is None else obj.get(self.value))]
