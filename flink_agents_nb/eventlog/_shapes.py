"""A fast path of the general reader for a common record shape, giving the general code's
results: :func:`nested_plain`, Flink Agents 0.3.1 nested records whose event holds only the
fields the general conversion does not copy into the attributes, converted column-wise.
(Token usage, which this module also read for one shape, is :mod:`._usage`'s.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas._libs.lib import to_object_array_tuples

from flink_agents_nb.eventlog.files._records import MISSING, RECORD_FIELDS

#: The fields of a 0.3.1 nested event that are not copied into its attributes.
NESTED_SKIP = frozenset({"eventType", "eventClass", "id", "attributes", "type", "sourceTimestamp"})
_F = {name: j for j, name in enumerate(RECORD_FIELDS)}

#: What a plain nested event holds (anything else is copied into its attributes, one by one).
_PLAIN_EVENT = NESTED_SKIP
#: Top-level fields a nested record keeps (the rest become missing, as in _from_nested).
_NESTED_KEEPS = {"timestamp", "jobId", "taskName", "subtaskIndex", "subtaskId", "key", "eventType"}
_NESTED_CLEAR = [j for name, j in _F.items() if name not in _NESTED_KEEPS]


def nested_plain(table: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Convert the nested records at ``rows`` whose event holds only the fields
    :func:`~.columns._columns._from_nested` does not copy (the common 0.3.1 shape) in place,
    column-wise, to what :func:`~.columns._columns._from_nested` would give; returns which of
    ``rows`` were converted."""
    events = table[rows, _F["event"]].tolist()
    plain = np.fromiter(
        (
            type(e) is dict and e.keys() <= _PLAIN_EVENT and type(e.get("attributes")) is dict
            for e in events
        ),
        bool,
        len(events),
    )
    done = rows[plain]
    if not len(done):
        return plain
    picked = [e for e, ok in zip(events, plain.tolist(), strict=True) if ok]
    top_types = table[done, _F["eventType"]]
    values = to_object_array_tuples(
        [(e.get("id"), e.get("eventType") or e.get("type"), e["attributes"]) for e in picked]
    ).reshape(len(picked), 3)
    types = values[:, 1]
    fallback = pd.isna(types) | (types == "")
    types[fallback] = top_types[fallback]
    upstream_id = table[done, _F["upstreamEventId"]]
    upstream_action = table[done, _F["upstreamActionName"]]
    for j in _NESTED_CLEAR:
        table[done, j] = MISSING
    table[done, _F["recordType"]] = "event"
    table[done, _F["eventId"]] = values[:, 0]
    table[done, _F["eventType"]] = types
    table[done, _F["eventAttributes"]] = values[:, 2]
    table[done, _F["upstreamEventId"]] = upstream_id
    table[done, _F["upstreamActionName"]] = upstream_action
    return plain
